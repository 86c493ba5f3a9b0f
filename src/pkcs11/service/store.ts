/**
 * The token service's store: tokens, objects and tombstones in SQLite (WAL, synchronous=FULL,
 * secure_delete). Format v3 is described in docs/token-service.md; migrations are numbered.
 * Objects are indexed by token, class, CKA_ID and CKA_LABEL so that a find among 10,000 keys is an
 * index lookup.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { byteLength, i2osp } from '../../threshold/bytes.js';
import * as ck from '../ck.js';
import { type Attrs, deserialize, serialize } from './attributes.js';
import { bytesOf, ulongOf } from './objects.js';
import { CkError } from './errors.js';
import { SESSION_HANDLES } from './handles.js';
import type { PinRecord } from './pin.js';

export const SCHEMA_VERSION = 3;
const OBJECT_ID_LIMIT = Number(SESSION_HANDLES);

/** Exported for the migration tests. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE tokens (
     id INTEGER PRIMARY KEY,
     label TEXT NOT NULL UNIQUE,
     serial TEXT NOT NULL UNIQUE,
     cluster_dir TEXT NOT NULL,
     nodes TEXT NOT NULL,
     threshold INTEGER NOT NULL,
     so_pin TEXT NOT NULL,
     user_pin TEXT,
     so_failures INTEGER NOT NULL DEFAULT 0,
     user_failures INTEGER NOT NULL DEFAULT 0,
     secrets BLOB NOT NULL,
     keygen_policy TEXT NOT NULL DEFAULT 'all',
     created TEXT NOT NULL
   );
   CREATE TABLE objects (
     id INTEGER PRIMARY KEY,
     token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
     class INTEGER NOT NULL,
     ckid BLOB NOT NULL,
     label BLOB NOT NULL,
     private INTEGER NOT NULL,
     attrs BLOB NOT NULL,
     placement TEXT
   );
   CREATE INDEX objects_by_class ON objects(token_id, class);
   CREATE INDEX objects_by_id ON objects(token_id, ckid);
   CREATE INDEX objects_by_label ON objects(token_id, label);
   CREATE TABLE tombstones (
     token_id INTEGER NOT NULL,
     key_id TEXT NOT NULL,
     node TEXT NOT NULL,
     since TEXT NOT NULL,
     PRIMARY KEY (key_id, node)
   );`,
  // v2: object row ids are token-object handles (handles.ts), so they must never be reused.
  `CREATE TABLE objects_v2 (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
     class INTEGER NOT NULL,
     ckid BLOB NOT NULL,
     label BLOB NOT NULL,
     private INTEGER NOT NULL,
     attrs BLOB NOT NULL,
     placement TEXT
   );
   INSERT INTO objects_v2 (id, token_id, class, ckid, label, private, attrs, placement)
     SELECT id, token_id, class, ckid, label, private, attrs, placement FROM objects;
   DROP TABLE objects;
   ALTER TABLE objects_v2 RENAME TO objects;
   CREATE INDEX objects_by_class ON objects(token_id, class);
   CREATE INDEX objects_by_id ON objects(token_id, ckid);
   CREATE INDEX objects_by_label ON objects(token_id, label);`,
  // v3: keys dealt ahead of time by a key ceremony, and the hold that keeps the service's sweeper
  // away from shares a ceremony (another process) is still installing.
  `ALTER TABLE tokens ADD COLUMN key_source TEXT NOT NULL DEFAULT 'dealer';
   ALTER TABLE tombstones ADD COLUMN not_before TEXT;
   CREATE TABLE pool (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
     bits INTEGER NOT NULL,
     e BLOB NOT NULL,
     key_id TEXT NOT NULL UNIQUE,
     placement TEXT NOT NULL,
     ceremony TEXT NOT NULL,
     created TEXT NOT NULL
   );
   CREATE INDEX pool_by_size ON pool(token_id, bits, e, id);`,
];

export type KeySource = 'dealer' | 'pool';
export const KEY_SOURCES: readonly KeySource[] = ['dealer', 'pool'];

export interface TokenRow {
  id: number;
  label: string;
  serial: string;
  clusterDir: string;
  nodes: string[];
  threshold: number;
  soPin: PinRecord;
  userPin: PinRecord | null;
  soFailures: number;
  userFailures: number;
  /** The coordinator client key and certificate, sealed under the master key (pin.ts). */
  secrets: Buffer;
  keygenPolicy: 'all';
  /** Where C_GenerateKeyPair takes a key from: dealt on the spot, or the pre-dealt pool. */
  keySource: KeySource;
  created: string;
}

/** A key a ceremony dealt ahead of time; its shares are on the nodes, no object names it yet. */
export interface PoolRow {
  id: number;
  tokenId: number;
  bits: number;
  /** The public exponent, big-endian without leading zeros. */
  e: Buffer;
  keyId: string;
  /** As an object's placement (docs/token-service.md). */
  placement: string;
  /** Which ceremony dealt it. */
  ceremony: string;
  created: string;
}

export type NewPoolKey = Pick<PoolRow, 'bits' | 'e' | 'keyId' | 'placement' | 'ceremony'>;

export interface ObjectRow {
  id: number;
  tokenId: number;
  attrs: Attrs;
  /** For threshold private keys: where the shares live (JSON, see docs/token-service.md). */
  placement: string | null;
}

interface RawToken {
  id: number; label: string; serial: string; cluster_dir: string; nodes: string; threshold: number;
  so_pin: string; user_pin: string | null; so_failures: number; user_failures: number; secrets: Buffer;
  keygen_policy: string; key_source: string; created: string;
}
interface RawPool {
  id: number; token_id: number; bits: number; e: Buffer; key_id: string; placement: string; ceremony: string;
  created: string;
}
interface RawObject { id: number; token_id: number; attrs: Buffer; placement: string | null }

function token(r: RawToken): TokenRow {
  return {
    id: r.id, label: r.label, serial: r.serial, clusterDir: r.cluster_dir, nodes: JSON.parse(r.nodes) as string[],
    threshold: r.threshold, soPin: JSON.parse(r.so_pin) as PinRecord,
    userPin: r.user_pin === null ? null : (JSON.parse(r.user_pin) as PinRecord),
    soFailures: r.so_failures, userFailures: r.user_failures, secrets: r.secrets, keygenPolicy: 'all',
    keySource: r.key_source === 'pool' ? 'pool' : 'dealer', created: r.created,
  };
}

/** The canonical form of a public exponent, so that 00 01 00 01 and 01 00 01 are one size class. */
export function exponentBytes(e: Buffer | bigint): Buffer {
  const b = typeof e === 'bigint' ? i2osp(e, Math.max(1, byteLength(e))) : e;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return Buffer.from(b.subarray(i));
}

function object(r: RawObject): ObjectRow {
  return { id: r.id, tokenId: r.token_id, attrs: deserialize(r.attrs), placement: r.placement };
}

export interface FindIndex {
  cls?: bigint;
  ckid?: Buffer;
  label?: Buffer;
}

export class TokenStore {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fresh = !existsSync(path);
    this.db = new Database(path);
    if (fresh) chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('secure_delete = ON');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.#migrate();
  }

  #migrate(): void {
    const v = this.db.pragma('user_version', { simple: true }) as number;
    if (v > MIGRATIONS.length) throw new Error(`${this.path}: schema ${v} is newer than this kofn (${SCHEMA_VERSION})`);
    for (let i = v; i < MIGRATIONS.length; i++) {
      const sql = MIGRATIONS[i] ?? '';
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  // ---- tokens ----

  tokens(): TokenRow[] {
    return (this.db.prepare('SELECT * FROM tokens ORDER BY id').all() as RawToken[]).map(token);
  }

  token(id: number): TokenRow | undefined {
    const r = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(id) as RawToken | undefined;
    return r && token(r);
  }

  tokenByLabel(label: string): TokenRow | undefined {
    const r = this.db.prepare('SELECT * FROM tokens WHERE label = ?').get(label) as RawToken | undefined;
    return r && token(r);
  }

  createToken(t: Omit<TokenRow, 'id' | 'keySource'> & { keySource?: KeySource }): number {
    const r = this.db
      .prepare(`INSERT INTO tokens (label, serial, cluster_dir, nodes, threshold, so_pin, user_pin, so_failures,
        user_failures, secrets, keygen_policy, key_source, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
      .run(t.label, t.serial, t.clusterDir, JSON.stringify(t.nodes), t.threshold, JSON.stringify(t.soPin),
        t.userPin && JSON.stringify(t.userPin), t.soFailures, t.userFailures, t.secrets, t.keygenPolicy,
        t.keySource ?? 'dealer', t.created);
    return Number(r.lastInsertRowid);
  }

  setKeySource(id: number, source: KeySource): void {
    if (!KEY_SOURCES.includes(source)) throw new Error(`key source ${String(source)}: not dealer or pool`);
    this.db.prepare('UPDATE tokens SET key_source = ? WHERE id = ?').run(source, id);
  }

  setPin(id: number, who: 'so' | 'user', rec: PinRecord | null): void {
    const col = who === 'so' ? 'so_pin' : 'user_pin';
    const fail = who === 'so' ? 'so_failures' : 'user_failures';
    this.db.prepare(`UPDATE tokens SET ${col} = ?, ${fail} = 0 WHERE id = ?`).run(rec && JSON.stringify(rec), id);
  }

  setFailures(id: number, who: 'so' | 'user', n: number): void {
    const fail = who === 'so' ? 'so_failures' : 'user_failures';
    this.db.prepare(`UPDATE tokens SET ${fail} = ? WHERE id = ?`).run(n, id);
  }

  setLabel(id: number, label: string): void {
    this.db.prepare('UPDATE tokens SET label = ? WHERE id = ?').run(label, id);
  }

  // ---- objects ----

  insertObject(tokenId: number, attrs: Attrs, placement: string | null = null): number {
    const r = this.db
      .prepare('INSERT INTO objects (token_id, class, ckid, label, private, attrs, placement) VALUES (?,?,?,?,?,?,?)')
      .run(tokenId, ...indexOf(attrs), serialize(attrs), placement);
    const id = Number(r.lastInsertRowid);
    // Row ids are token-object handles, which must stay below the session range (handles.ts).
    if (id >= OBJECT_ID_LIMIT) {
      this.deleteObject(id);
      throw new CkError(ck.CKR_DEVICE_MEMORY, `the store has used all ${OBJECT_ID_LIMIT} object ids`);
    }
    return id;
  }

  updateObject(id: number, attrs: Attrs): void {
    this.db
      .prepare('UPDATE objects SET class = ?, ckid = ?, label = ?, private = ?, attrs = ? WHERE id = ?')
      .run(...indexOf(attrs), serialize(attrs), id);
  }

  deleteObject(id: number): void {
    this.db.prepare('DELETE FROM objects WHERE id = ?').run(id);
  }

  object(id: number): ObjectRow | undefined {
    const r = this.db.prepare('SELECT id, token_id, attrs, placement FROM objects WHERE id = ?').get(id) as
      | RawObject
      | undefined;
    return r && object(r);
  }

  /** Candidates for a find: narrowed by whichever indexed attributes the template names. */
  find(tokenId: number, idx: FindIndex, includePrivate: boolean): ObjectRow[] {
    const where = ['token_id = ?'];
    const args: unknown[] = [tokenId];
    if (idx.cls !== undefined) {
      where.push('class = ?');
      args.push(idx.cls);
    }
    if (idx.ckid !== undefined) {
      where.push('ckid = ?');
      args.push(idx.ckid);
    }
    if (idx.label !== undefined) {
      where.push('label = ?');
      args.push(idx.label);
    }
    if (!includePrivate) where.push('private = 0');
    const sql = `SELECT id, token_id, attrs, placement FROM objects WHERE ${where.join(' AND ')} ORDER BY id`;
    return (this.db.prepare(sql).all(...args) as RawObject[]).map(object);
  }

  countObjects(tokenId: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM objects WHERE token_id = ?').get(tokenId) as { n: number }).n;
  }

  // ---- the pre-dealt pool ----

  /** Adds keys a ceremony has dealt, all or none. */
  addPoolKeys(tokenId: number, keys: readonly NewPoolKey[]): void {
    const ins = this.db.prepare(`INSERT INTO pool (token_id, bits, e, key_id, placement, ceremony, created)
      VALUES (?,?,?,?,?,?,?)`);
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const k of keys) ins.run(tokenId, k.bits, exponentBytes(k.e), k.keyId, k.placement, k.ceremony, now);
    })();
  }

  poolCounts(tokenId: number): { bits: number; e: Buffer; count: number }[] {
    return this.db
      .prepare('SELECT bits, e, count(*) AS count FROM pool WHERE token_id = ? GROUP BY bits, e ORDER BY bits, e')
      .all(tokenId) as { bits: number; e: Buffer; count: number }[];
  }

  poolKeys(tokenId: number): PoolRow[] {
    return (this.db.prepare('SELECT * FROM pool WHERE token_id = ? ORDER BY id').all(tokenId) as RawPool[])
      .map(poolRow);
  }

  /**
   * Removes and returns the oldest pool key of this size. Only inside the transaction that stores
   * the key's objects: otherwise a crash between the two would lose the key, or a retry reuse it.
   */
  takePoolKey(tokenId: number, bits: number, e: Buffer): PoolRow | undefined {
    if (!this.db.inTransaction) throw new Error('takePoolKey outside a transaction');
    const r = this.db.prepare('SELECT * FROM pool WHERE token_id = ? AND bits = ? AND e = ? ORDER BY id LIMIT 1')
      .get(tokenId, bits, exponentBytes(e)) as RawPool | undefined;
    if (r === undefined) return undefined;
    this.db.prepare('DELETE FROM pool WHERE id = ?').run(r.id);
    return poolRow(r);
  }

  removePoolKey(id: number): void {
    this.db.prepare('DELETE FROM pool WHERE id = ?').run(id);
  }

  // ---- tombstones: shares to delete on nodes that were down ----

  /**
   * `notBefore`: the sweeper leaves these alone until then. Another process installing shares (a
   * key ceremony) holds its tombstones this way, since the service cannot know it is still at work.
   */
  addTombstones(tokenId: number, keyId: string, nodes: readonly string[], notBefore?: Date): void {
    const ins = this.db.prepare(`INSERT OR IGNORE INTO tombstones (token_id, key_id, node, since, not_before)
      VALUES (?,?,?,?,?)`);
    const now = new Date().toISOString();
    const hold = notBefore?.toISOString() ?? null;
    this.db.transaction(() => {
      for (const n of nodes) ins.run(tokenId, keyId, n, now, hold);
    })();
  }

  /** Tombstones due now (those still held are left out). */
  tombstones(tokenId: number, now = new Date()): { keyId: string; node: string; since: string }[] {
    return this.db
      .prepare(`SELECT key_id AS keyId, node, since FROM tombstones
        WHERE token_id = ? AND (not_before IS NULL OR not_before <= ?) ORDER BY since`)
      .all(tokenId, now.toISOString()) as { keyId: string; node: string; since: string }[];
  }

  clearTombstone(keyId: string, node: string): void {
    this.db.prepare('DELETE FROM tombstones WHERE key_id = ? AND node = ?').run(keyId, node);
  }

  /** Runs fn in one transaction: a crash leaves all of it or none. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

function poolRow(r: RawPool): PoolRow {
  return {
    id: r.id, tokenId: r.token_id, bits: r.bits, e: r.e, keyId: r.key_id, placement: r.placement,
    ceremony: r.ceremony, created: r.created,
  };
}

function indexOf(attrs: Attrs): [number | bigint, Buffer, Buffer, number] {
  const cls = ulongOf(attrs, ck.CKA_CLASS) ?? 0n;
  return [
    cls <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(cls) : cls,
    bytesOf(attrs, ck.CKA_ID) ?? Buffer.alloc(0),
    bytesOf(attrs, ck.CKA_LABEL) ?? Buffer.alloc(0),
    attrs.get(ck.CKA_PRIVATE) === true ? 1 : 0,
  ];
}
