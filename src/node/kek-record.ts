import type Database from 'better-sqlite3';
import type { KekRecord, ScryptParams } from './kek.js';
import { NodeStoreError } from './store-error.js';

/** The KEK record in the meta table: `kek.source`, `kek.verifier`, and for passphrases `kek.salt`, `kek.scrypt`. */

export function writeKekRecord(db: Database.Database, record: KekRecord): void {
  const put = db.prepare<[string, string | Buffer]>('INSERT INTO meta (name, value) VALUES (?, ?)');
  put.run('kek.source', record.source);
  put.run('kek.verifier', record.verifier);
  if (record.source === 'passphrase') {
    put.run('kek.salt', record.salt);
    put.run('kek.scrypt', JSON.stringify(record.scrypt));
  }
}

export function readKekRecord(db: Database.Database, path: string): KekRecord {
  const get = db.prepare<[string], { value: unknown }>('SELECT value FROM meta WHERE name = ?');
  const value = (name: string): unknown => get.get(name)?.value;
  const corrupt = (what: string) => new NodeStoreError('CORRUPT', `${path}: ${what} in the meta table`);

  const source = value('kek.source');
  const verifier = value('kek.verifier');
  if (!Buffer.isBuffer(verifier) || verifier.length !== 32) throw corrupt('no valid kek.verifier');
  if (source === 'keyfile') return { source, verifier };
  if (source !== 'passphrase') throw corrupt('no valid kek.source');

  const salt = value('kek.salt');
  if (!Buffer.isBuffer(salt) || salt.length < 16) throw corrupt('no valid kek.salt');
  const scrypt = parseScrypt(value('kek.scrypt'));
  if (!scrypt) throw corrupt('no valid kek.scrypt');
  return { source, verifier, salt, scrypt };
}

function parseScrypt(raw: unknown): ScryptParams | undefined {
  if (typeof raw !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { N, r, p, maxmem } = parsed as Record<string, unknown>;
  const ok = [N, r, p, maxmem].every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x > 0);
  return ok ? { N: N as number, r: r as number, p: p as number, maxmem: maxmem as number } : undefined;
}
