import { createHash } from 'node:crypto';
import { lengthPrefixed } from '../threshold/bytes.js';

/**
 * The audit log's hash chain, format version 1 (docs/node-store.md): pure functions shared by the
 * live log and by `kofn node log verify`, which reads the database without the KEK.
 */

const DOMAIN = Buffer.from('kofn/audit/v1', 'ascii');
export const GENESIS_HASH: Readonly<Buffer> = Buffer.alloc(32);

export interface AuditRecord {
  seq: number;
  at: number;
  caller: string;
  rpc: string;
  keyId: string;
  inputSha256: string;
  outcome: string;
}

/** An audit row as SQLite returns it; typed loosely because a tampered row can hold anything. */
export interface AuditRow {
  seq: number;
  at: unknown;
  caller: unknown;
  rpc: unknown;
  key_id: unknown;
  input_sha256: unknown;
  outcome: unknown;
  prev_hash: unknown;
  hash: unknown;
}

export const AUDIT_COLUMNS = 'seq, at, caller, rpc, key_id, input_sha256, outcome, prev_hash, hash';

export type AuditVerifyResult =
  | { ok: true; entries: number; head: string }
  /** `entries` counts the intact entries before `firstBadSeq`. */
  | { ok: false; entries: number; firstBadSeq: number; reason: string };

/**
 * SHA-256("kofn/audit/v1" ‖ prev_hash ‖ u64(seq) ‖ u64(at) ‖ lp(caller) ‖ lp(rpc) ‖ lp(key_id) ‖
 * lp(input_sha256) ‖ lp(outcome)); lp = u32 byte length ‖ UTF-8, integers big-endian.
 */
export function auditHash(prevHash: Uint8Array, r: AuditRecord): Buffer {
  const ints = Buffer.alloc(16);
  ints.writeBigUInt64BE(BigInt(r.seq), 0);
  ints.writeBigUInt64BE(BigInt(r.at), 8);
  const h = createHash('sha256').update(DOMAIN).update(prevHash).update(ints);
  for (const field of [r.caller, r.rpc, r.keyId, r.inputSha256, r.outcome]) {
    h.update(lengthPrefixed(Buffer.from(field, 'utf8')));
  }
  return h.digest();
}

/**
 * Walks the rows in seq order from the genesis hash. Catches an edited row (its hash), a deleted one
 * (a gap in seq) and a reordering (prev_hash no longer links). Removing entries from the end, or
 * rewriting the whole chain from some row on, shows only against a head recorded elsewhere:
 * `expectedHead` is that head when the caller has one (the live log knows what it wrote).
 */
export function verifyChain(
  rows: Iterable<AuditRow>,
  expectedHead?: { seq: number; hash: Uint8Array },
): AuditVerifyResult {
  let prev: Buffer = Buffer.from(GENESIS_HASH);
  let count = 0;
  const bad = (firstBadSeq: number, reason: string): AuditVerifyResult => ({
    ok: false,
    entries: count,
    firstBadSeq,
    reason,
  });

  for (const row of rows) {
    const expectedSeq = count + 1;
    if (row.seq !== expectedSeq) {
      return bad(expectedSeq, `entry ${expectedSeq} is missing (the next entry is ${row.seq})`);
    }
    const record = toRecord(row);
    if (!record || !Buffer.isBuffer(row.prev_hash) || !Buffer.isBuffer(row.hash)) {
      return bad(row.seq, `entry ${row.seq} has a column of the wrong type`);
    }
    if (!row.prev_hash.equals(prev)) {
      return bad(row.seq, `entry ${row.seq} does not link to entry ${row.seq - 1} (entries reordered or replaced)`);
    }
    const hash = auditHash(prev, record);
    if (!row.hash.equals(hash)) return bad(row.seq, `entry ${row.seq} does not match its hash (entry edited)`);
    prev = hash;
    count++;
  }

  if (expectedHead) {
    if (count < expectedHead.seq) {
      return bad(count + 1, `the log ends at entry ${count} but ${expectedHead.seq} were written (entries removed)`);
    }
    if (count > expectedHead.seq) {
      return bad(expectedHead.seq + 1, `entries after ${expectedHead.seq} were not written by this node`);
    }
    if (!prev.equals(expectedHead.hash)) {
      return bad(count, `the newest entry is not the one this node wrote (chain rewritten)`);
    }
  }
  return { ok: true, entries: count, head: prev.toString('hex') };
}

function toRecord(row: AuditRow): AuditRecord | undefined {
  const { seq, at, caller, rpc, key_id: keyId, input_sha256: inputSha256, outcome } = row;
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return undefined;
  if (typeof caller !== 'string' || typeof rpc !== 'string' || typeof keyId !== 'string') return undefined;
  if (typeof inputSha256 !== 'string' || typeof outcome !== 'string') return undefined;
  return { seq, at, caller, rpc, keyId, inputSha256, outcome };
}
