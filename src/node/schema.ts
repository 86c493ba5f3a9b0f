import type Database from 'better-sqlite3';
import { NodeStoreError } from './store-error.js';

/** The node store's SQLite schema, its versions and the connection settings it relies on. */

/** 'kofn' in ASCII, in the SQLite header, so a node never migrates or writes a stranger's database. */
export const APPLICATION_ID = 0x6b6f666e;

type Migration = (db: Database.Database) => void;

/**
 * MIGRATIONS[v] takes the schema from version v to v + 1. Append new steps; never edit one that has
 * shipped, since stores in the field are already past it. docs/node-store.md describes each version.
 */
const MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(`
      CREATE TABLE meta (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
      );
      CREATE TABLE shares (
        key_id         TEXT PRIMARY KEY,
        share_index    INTEGER NOT NULL,
        public_key     TEXT NOT NULL,    -- JSON, opaque to the store
        vk_fingerprint TEXT NOT NULL,
        nonce          BLOB NOT NULL,
        ciphertext     BLOB NOT NULL,    -- AES-256-GCM, tag appended
        installed_at   INTEGER NOT NULL, -- unix ms
        installed_by   TEXT NOT NULL
      );
      CREATE TABLE secrets (
        name       TEXT PRIMARY KEY,
        nonce      BLOB,
        ciphertext BLOB
      );
      CREATE TABLE audit (
        seq          INTEGER PRIMARY KEY,
        at           INTEGER NOT NULL,   -- unix ms
        caller       TEXT NOT NULL,
        rpc          TEXT NOT NULL,
        key_id       TEXT NOT NULL,
        input_sha256 TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        prev_hash    BLOB NOT NULL,
        hash         BLOB NOT NULL
      );
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses any file that is not a kofn node store this code can read, before anything is written to it. */
export function assertNodeStore(db: Database.Database, path: string): void {
  let appId: number;
  try {
    appId = db.pragma('application_id', { simple: true }) as number;
  } catch (err) {
    throw new NodeStoreError('INVALID', `${path} is not a kofn node store (${(err as Error).message})`);
  }
  const version = userVersion(db);
  if (appId !== APPLICATION_ID || version === 0) {
    throw new NodeStoreError('INVALID', `${path} is not a kofn node store`);
  }
  if (version > SCHEMA_VERSION) {
    throw new NodeStoreError(
      'INVALID',
      `${path} has schema version ${version}, newer than this kofn understands (${SCHEMA_VERSION}): upgrade kofn`,
    );
  }
}

/**
 * WAL so readers (log export, verification) never block the signer; synchronous=FULL so a commit is
 * on disk before the node answers; secure_delete so a deleted share's ciphertext does not linger in
 * free pages.
 */
export function configure(db: Database.Database, path: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new NodeStoreError('INVALID', `${path} cannot use write-ahead logging (journal_mode stays ${String(mode)})`);
  }
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.pragma('foreign_keys = ON');
}

/** Brings the schema to SCHEMA_VERSION, one transaction per step, each re-reading the version it starts from. */
export function migrate(db: Database.Database): void {
  const step = db.transaction((): boolean => {
    const version = userVersion(db);
    const migration = MIGRATIONS[version];
    if (!migration) return false;
    migration(db);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  // immediate: two processes opening the same old store must not both run a step.
  while (step.immediate()) {
    // next step
  }
}
