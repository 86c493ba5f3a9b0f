import Database from 'better-sqlite3';
import { timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, openSync, rmSync } from 'node:fs';
import { lengthPrefixed } from '../threshold/bytes.js';
import { seal, unseal } from './aead.js';
import type { AuditLog } from './audit.js';
import { type AtRestKeys, enrollKek, type KekSource, unlockKek } from './kek.js';
import { readKekRecord, writeKekRecord } from './kek-record.js';
import { assertNodeStore, configure, migrate } from './schema.js';
import { fileError, NodeStoreError } from './store-error.js';

export { NodeStoreError, type NodeStoreErrorCode } from './store-error.js';
export { createKeyFile, type KekSource } from './kek.js';

/** Key ids and secret names: what fits in a file name, a log line and a certificate field without escaping. */
export const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_INDEX = 64;
const MAX_SECRET_BYTES = 64 * 1024;
const SHARE_AAD = Buffer.from('kofn/share/v1', 'ascii');
const SECRET_AAD = Buffer.from('kofn/secret/v1', 'ascii');

export interface ShareInput {
  keyId: string;
  /** The share's index i, 1 ≤ i ≤ 64. */
  index: number;
  /** The key's public parameters as JSON; the store compares it byte for byte and never parses it. */
  publicKey: string;
  vkFingerprint: string;
  /** The share's secret bytes; the store does not keep or wipe this buffer. */
  share: Buffer;
  /** Who installed it (the ceremony's certificate identity), for listings. */
  installedBy: string;
}

export interface ShareInfo {
  keyId: string;
  index: number;
  publicKey: string;
  vkFingerprint: string;
  /** Unix milliseconds. */
  installedAt: number;
  installedBy: string;
}

interface ShareRow {
  key_id: string;
  share_index: number;
  public_key: string;
  vk_fingerprint: string;
  nonce: unknown;
  ciphertext: unknown;
  installed_at: number;
  installed_by: string;
}

const SHARE_COLUMNS = 'key_id, share_index, public_key, vk_fingerprint, nonce, ciphertext, installed_at, installed_by';
/** The columns that describe a share without its ciphertext. */
const INFO_COLUMNS = 'key_id, share_index, public_key, vk_fingerprint, installed_at, installed_by';
type InfoRow = Omit<ShareRow, 'nonce' | 'ciphertext'>;

function shareInfoOf(r: InfoRow): ShareInfo {
  return {
    keyId: r.key_id,
    index: r.share_index,
    publicKey: r.public_key,
    vkFingerprint: r.vk_fingerprint,
    installedAt: r.installed_at,
    installedBy: r.installed_by,
  };
}

/**
 * A node's persistent state in one SQLite file: its shares, encrypted at rest under a sub-key of the
 * KEK, a few named secrets, and the audit log. Synchronous, like better-sqlite3: every call is a
 * short local transaction, and the one that needs batching (the audit log) batches itself.
 */
export class NodeStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #keys: AtRestKeys;
  #audit: AuditLog | undefined;
  #closed = false;

  private constructor(path: string, db: Database.Database, keys: AtRestKeys) {
    this.path = path;
    this.#db = db;
    this.#keys = keys;
  }

  /** Creates a new store (mode 0600) protected by `kek`; refuses to touch an existing file. */
  static create(path: string, kek: KekSource): NodeStore {
    if (existsSync(path)) throw new NodeStoreError('EXISTS', `${path} already exists: refusing to overwrite it`);
    for (const leftover of [`${path}-wal`, `${path}-shm`, `${path}-journal`]) {
      // A stale write-ahead log next to a fresh file would be replayed into it.
      if (existsSync(leftover)) {
        throw new NodeStoreError('EXISTS', `${leftover} exists: remove it or choose another path`);
      }
    }
    // The KEK first: a bad key file or passphrase must leave no half-made store behind.
    const { record, keys } = enrollKek(kek);
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      keys.close();
      throw fileError(path, err);
    }
    let db: Database.Database | undefined;
    try {
      // The umask can only remove bits; SQLite gives its -wal and -shm files this file's mode.
      fchmodSync(fd, 0o600);
      closeSync(fd);
      const conn = new Database(path, { fileMustExist: true });
      db = conn;
      configure(conn, path);
      conn.transaction(() => {
        migrate(conn);
        writeKekRecord(conn, record);
      }).immediate();
      return new NodeStore(path, conn, keys);
    } catch (err) {
      db?.close();
      keys.close();
      for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
      throw err;
    }
  }

  /** Opens an existing store: refuses a missing or foreign file, migrates it, and checks the KEK. */
  static open(path: string, kek: KekSource): NodeStore {
    if (!existsSync(path)) throw new NodeStoreError('MISSING', `${path} does not exist`);
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: true });
    } catch (err) {
      throw new NodeStoreError('INVALID', `${path} cannot be opened: ${(err as Error).message}`);
    }
    try {
      assertNodeStore(db, path);
      configure(db, path);
      migrate(db);
      const keys = unlockKek(kek, readKekRecord(db, path), path);
      return new NodeStore(path, db, keys);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Installs a share, idempotently: the same key, index and public key again is 'already-installed'
   * and writes nothing; anything else under an installed key id is a CONFLICT.
   */
  putShare(input: ShareInput): 'installed' | 'already-installed' {
    const db = this.#live();
    checkShareInput(input);
    const { keyId, index, publicKey, vkFingerprint, share, installedBy } = input;
    const select = db.prepare<[string], ShareRow>(`SELECT ${SHARE_COLUMNS} FROM shares WHERE key_id = ?`);
    const insert = db.prepare<[string, number, string, string, Buffer, Buffer, number, string]>(
      `INSERT INTO shares (${SHARE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // immediate: the check and the insert see the same state even with a second process writing.
    return db.transaction(() => {
      const row = select.get(keyId);
      if (!row) {
        const { nonce, ciphertext } = seal(this.#keys.share, shareAad(keyId, index), share);
        insert.run(keyId, index, publicKey, vkFingerprint, nonce, ciphertext, Date.now(), installedBy);
        return 'installed' as const;
      }
      if (row.share_index !== index) {
        const msg = `key ${keyId} already has share ${row.share_index} installed, not ${index}`;
        throw new NodeStoreError('CONFLICT', msg);
      }
      if (row.public_key !== publicKey || row.vk_fingerprint !== vkFingerprint) {
        throw new NodeStoreError('CONFLICT', `key ${keyId} is already installed with a different public key`);
      }
      // Shares are unique per key and index, so different bytes here mean a dealing or shipping error.
      const existing = this.#unsealShare(row);
      try {
        if (existing.length !== share.length || !timingSafeEqual(existing, share)) {
          throw new NodeStoreError('CONFLICT', `key ${keyId} already has a different share ${index} installed`);
        }
      } finally {
        existing.fill(0);
      }
      return 'already-installed' as const;
    }).immediate();
  }

  /** The decrypted share, which the caller wipes; undefined if none is installed for `keyId`. */
  getShare(keyId: string): { index: number; publicKey: string; share: Buffer } | undefined {
    const db = this.#live();
    checkName('keyId', keyId);
    const row = db.prepare<[string], ShareRow>(`SELECT ${SHARE_COLUMNS} FROM shares WHERE key_id = ?`).get(keyId);
    if (!row) return undefined;
    return { index: row.share_index, publicKey: row.public_key, share: this.#unsealShare(row) };
  }

  /** Removes a share (secure_delete overwrites its pages); false if there was none. */
  deleteShare(keyId: string): boolean {
    const db = this.#live();
    checkName('keyId', keyId);
    return db.prepare<[string]>('DELETE FROM shares WHERE key_id = ?').run(keyId).changes > 0;
  }

  /** Every installed share's public description, ordered by key id; decrypts nothing. */
  listShares(): ShareInfo[] {
    const rows = this.#live()
      .prepare<[], InfoRow>(`SELECT ${INFO_COLUMNS} FROM shares ORDER BY key_id`)
      .all();
    return rows.map(shareInfoOf);
  }

  /** One installed share's public description (as listShares gives it); decrypts nothing. */
  shareInfo(keyId: string): ShareInfo | undefined {
    const db = this.#live();
    checkName('keyId', keyId);
    const r = db
      .prepare<[string], InfoRow>(`SELECT ${INFO_COLUMNS} FROM shares WHERE key_id = ?`)
      .get(keyId);
    return r && shareInfoOf(r);
  }

  countShares(): number {
    return this.#live().prepare<[], number>('SELECT count(*) FROM shares').pluck().get() ?? 0;
  }

  /** Stores (or replaces) a small named secret, such as the node's X25519 private key. */
  putSecret(name: string, bytes: Buffer): void {
    const db = this.#live();
    checkName('secret name', name);
    if (!Buffer.isBuffer(bytes) || bytes.length > MAX_SECRET_BYTES) {
      throw new NodeStoreError('INVALID', `secret ${name} must be a buffer of at most ${MAX_SECRET_BYTES} bytes`);
    }
    const { nonce, ciphertext } = seal(this.#keys.secret, secretAad(name), bytes);
    db.prepare<[string, Buffer, Buffer]>(
      `INSERT INTO secrets (name, nonce, ciphertext) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext`,
    ).run(name, nonce, ciphertext);
  }

  /** The decrypted secret, which the caller wipes; undefined if absent (or its row holds NULLs). */
  getSecret(name: string): Buffer | undefined {
    const db = this.#live();
    checkName('secret name', name);
    const row = db
      .prepare<[string], { nonce: unknown; ciphertext: unknown }>(
        'SELECT nonce, ciphertext FROM secrets WHERE name = ?',
      )
      .get(name);
    if (!row || (row.nonce === null && row.ciphertext === null)) return undefined;
    const plain = Buffer.isBuffer(row.nonce) && Buffer.isBuffer(row.ciphertext)
      ? unseal(this.#keys.secret, secretAad(name), row.nonce, row.ciphertext)
      : undefined;
    if (!plain) throw new NodeStoreError('CORRUPT', `secret ${name} in ${this.path} failed its integrity check`);
    return plain;
  }

  deleteSecret(name: string): boolean {
    const db = this.#live();
    checkName('secret name', name);
    return db.prepare<[string]>('DELETE FROM secrets WHERE name = ?').run(name).changes > 0;
  }

  /**
   * For `new AuditLog(store)` only: lends the log this store's database. One log per store, because
   * each keeps the chain's head in memory and two would fork it.
   */
  attachAuditLog(log: AuditLog): Database.Database {
    const db = this.#live();
    if (this.#audit) throw new NodeStoreError('INVALID', `node store ${this.path} already has an audit log`);
    this.#audit = log;
    return db;
  }

  /** Commits pending audit entries, wipes the at-rest keys and closes the database. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // AuditLog.close commits what is pending before it returns; only its promise is asynchronous.
      void this.#audit?.close();
    } finally {
      this.#keys.close();
      this.#db.close();
    }
  }

  #live(): Database.Database {
    if (this.#closed) throw new NodeStoreError('INVALID', `node store ${this.path} is closed`);
    return this.#db;
  }

  #unsealShare(row: ShareRow): Buffer {
    const plain = Buffer.isBuffer(row.nonce) && Buffer.isBuffer(row.ciphertext) && isIndex(row.share_index)
      ? unseal(this.#keys.share, shareAad(row.key_id, row.share_index), row.nonce, row.ciphertext)
      : undefined;
    if (!plain) {
      throw new NodeStoreError(
        'CORRUPT',
        `share of key ${row.key_id} in ${this.path} failed its integrity check (row altered or moved)`,
      );
    }
    return plain;
  }
}

/** "kofn/share/v1" ‖ u32(len keyId) ‖ keyId ‖ u32(index): a ciphertext opens only in its own row. */
function shareAad(keyId: string, index: number): Buffer {
  const idx = Buffer.alloc(4);
  idx.writeUInt32BE(index, 0);
  return Buffer.concat([SHARE_AAD, lengthPrefixed(Buffer.from(keyId, 'utf8')), idx]);
}

/** "kofn/secret/v1" ‖ name: the name is the only variable part, so it needs no length prefix. */
function secretAad(name: string): Buffer {
  return Buffer.concat([SECRET_AAD, Buffer.from(name, 'utf8')]);
}

function isIndex(index: unknown): index is number {
  return typeof index === 'number' && Number.isInteger(index) && index >= 1 && index <= MAX_INDEX;
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new NodeStoreError('INVALID', `${what} must match ${NAME_PATTERN.source}`);
  }
}

/** Checks the shape of an install request; messages describe fields, never the share's bytes. */
function checkShareInput(input: ShareInput): void {
  checkName('keyId', input.keyId);
  if (!isIndex(input.index)) {
    throw new NodeStoreError('INVALID', `share index must be an integer from 1 to ${MAX_INDEX}`);
  }
  for (const field of ['publicKey', 'vkFingerprint', 'installedBy'] as const) {
    const value: unknown = input[field];
    if (typeof value !== 'string' || value.length === 0) {
      throw new NodeStoreError('INVALID', `${field} must be a non-empty string`);
    }
  }
  if (!Buffer.isBuffer(input.share) || input.share.length === 0) {
    throw new NodeStoreError('INVALID', 'share must be a non-empty buffer');
  }
}
