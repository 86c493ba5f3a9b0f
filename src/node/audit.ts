import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import {
  AUDIT_COLUMNS,
  auditHash,
  type AuditRecord,
  type AuditRow,
  type AuditVerifyResult,
  GENESIS_HASH,
  verifyChain,
} from './audit-chain.js';
import { assertNodeStore } from './schema.js';
import type { NodeStore } from './store.js';
import { NodeStoreError } from './store-error.js';

export { type AuditVerifyResult, auditHash } from './audit-chain.js';

/** What the daemon logs for one request. */
export interface AuditEntryInput {
  /** Who asked: the client certificate's identity. */
  caller: string;
  rpc: string;
  /** Empty for requests that concern no key. */
  keyId: string;
  /** Lowercase hex SHA-256 of the request input, so the log proves what was asked without holding it. */
  inputSha256: string;
  outcome: string;
}

/** One logged entry as exported. */
export interface AuditEntry extends AuditEntryInput {
  seq: number;
  /** Unix milliseconds when the entry was appended. */
  at: number;
  prevHash: string;
  hash: string;
}

const MAX_FIELD_CHARS = 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_EXPORT = 10_000;

interface Pending {
  record: AuditRecord;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

interface InsertRow extends AuditRecord {
  prevHash: Buffer;
  hash: Buffer;
}

/**
 * The node's hash-chained request log, in the store's database. Appends made in the same turn of
 * the event loop are committed together in one transaction (one fsync under synchronous=FULL), and
 * each append resolves only once its entry is on disk, so the node can answer after logging without
 * paying a disk flush per request.
 */
export class AuditLog {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #insertBatch: (rows: readonly InsertRow[]) => void;
  #lastSeq = 0;
  #lastHash: Buffer = Buffer.from(GENESIS_HASH);
  #lastAt = 0;
  #pending: Pending[] = [];
  #timer: NodeJS.Immediate | undefined;
  #closed = false;

  /** The log of `store`, which closes it when the store closes; one log per store. */
  constructor(store: NodeStore) {
    const db = store.attachAuditLog(this);
    this.#db = db;
    this.#path = store.path;
    const insert = db.prepare<[InsertRow]>(
      `INSERT INTO audit (${AUDIT_COLUMNS})
       VALUES (@seq, @at, @caller, @rpc, @keyId, @inputSha256, @outcome, @prevHash, @hash)`,
    );
    this.#insertBatch = db.transaction((rows: readonly InsertRow[]) => {
      for (const row of rows) insert.run(row);
    });
    this.#loadHead();
  }

  /** The newest committed entry: seq 0, the genesis hash and at 0 for an empty log. */
  get head(): { seq: number; hash: string; at: number } {
    return { seq: this.#lastSeq, hash: this.#lastHash.toString('hex'), at: this.#lastAt };
  }

  /** Resolves with the entry's seq once the transaction holding it has committed. */
  append(entry: AuditEntryInput): Promise<number> {
    if (this.#closed) {
      return Promise.reject(new NodeStoreError('INVALID', `the audit log of ${this.#path} is closed`));
    }
    const problem = checkEntry(entry);
    if (problem) return Promise.reject(new NodeStoreError('INVALID', `audit entry refused: ${problem}`));
    const { caller, rpc, keyId, inputSha256, outcome } = entry;
    return new Promise<number>((resolve, reject) => {
      // seq is assigned at flush time; `at` is now, when the request is logged.
      const record = { seq: 0, at: Date.now(), caller, rpc, keyId, inputSha256, outcome };
      this.#pending.push({ record, resolve, reject });
      this.#timer ??= setImmediate(() => this.#flush());
    });
  }

  /** Recomputes the whole chain, and checks its end against what this instance wrote. */
  verify(): AuditVerifyResult {
    const rows = this.#db.prepare<[], AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit ORDER BY seq`).iterate();
    return verifyChain(rows, { seq: this.#lastSeq, hash: this.#lastHash });
  }

  /** Up to `limit` entries from `fromSeq` on, oldest first, for export. */
  entries(fromSeq = 1, limit = 1000): AuditEntry[] {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) throw new NodeStoreError('INVALID', 'fromSeq must be ≥ 1');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_EXPORT) {
      throw new NodeStoreError('INVALID', `limit must be between 1 and ${MAX_EXPORT}`);
    }
    const rows = this.#db
      .prepare<[number, number], AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?`)
      .all(fromSeq, limit);
    return rows.map((r) => ({
      seq: r.seq,
      at: Number(r.at),
      caller: String(r.caller),
      rpc: String(r.rpc),
      keyId: String(r.key_id),
      inputSha256: String(r.input_sha256),
      outcome: String(r.outcome),
      prevHash: Buffer.isBuffer(r.prev_hash) ? r.prev_hash.toString('hex') : '',
      hash: Buffer.isBuffer(r.hash) ? r.hash.toString('hex') : '',
    }));
  }

  /**
   * Commits what is pending, synchronously, then refuses further appends; the store stays open.
   * Returns a promise only so callers can treat it like other asynchronous shutdowns.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      if (this.#timer) clearImmediate(this.#timer);
      this.#flush();
      this.#closed = true;
    }
    return Promise.resolve();
  }

  #flush(): void {
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;

    let seq = this.#lastSeq;
    let prevHash = this.#lastHash;
    const rows = batch.map(({ record }): InsertRow => {
      seq++;
      const hash = auditHash(prevHash, { ...record, seq });
      const row = { ...record, seq, prevHash, hash };
      prevHash = hash;
      return row;
    });
    try {
      this.#insertBatch(rows);
    } catch (err) {
      // Rolled back: nobody in the batch may answer. Re-read the head in case another writer moved it.
      for (const p of batch) p.reject(err);
      this.#loadHead();
      return;
    }
    this.#lastSeq = seq;
    this.#lastHash = prevHash;
    this.#lastAt = rows.at(-1)?.at ?? this.#lastAt;
    rows.forEach((row, i) => batch[i]?.resolve(row.seq));
  }

  #loadHead(): void {
    const head = this.#db
      .prepare<[], { seq: number; hash: unknown; at: unknown }>(
        'SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1',
      )
      .get();
    this.#lastSeq = head?.seq ?? 0;
    this.#lastAt = typeof head?.at === 'number' ? head.at : 0;
    // A head hash of the wrong type is chained onto as it is; verify() reports that row as bad.
    this.#lastHash = head && Buffer.isBuffer(head.hash) ? head.hash : Buffer.from(GENESIS_HASH);
  }
}

function checkEntry(entry: AuditEntryInput): string | undefined {
  for (const name of ['caller', 'rpc', 'keyId', 'outcome'] as const) {
    const value: unknown = entry[name];
    if (typeof value !== 'string') return `${name} must be a string`;
    if (value.length > MAX_FIELD_CHARS) return `${name} is longer than ${MAX_FIELD_CHARS} characters`;
  }
  if (typeof entry.inputSha256 !== 'string' || !SHA256_HEX.test(entry.inputSha256)) {
    return 'inputSha256 must be 64 lowercase hex digits';
  }
  if (entry.caller === '' || entry.rpc === '' || entry.outcome === '') {
    return 'caller, rpc and outcome must not be empty';
  }
  return undefined;
}

/**
 * Verifies the audit log of the store at `dbPath` without its KEK (the log is not secret), opening
 * the database read-only: `kofn node log verify`. Truncation at the end shows only when the result's
 * `head` is compared with one recorded earlier.
 */
export function verifyAuditLog(dbPath: string): AuditVerifyResult {
  if (!existsSync(dbPath)) throw new NodeStoreError('MISSING', `${dbPath} does not exist`);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    assertNodeStore(db, dbPath);
    return verifyChain(db.prepare<[], AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit ORDER BY seq`).iterate());
  } finally {
    db.close();
  }
}
