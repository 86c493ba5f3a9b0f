import { createHash, type KeyObject } from 'node:crypto';
import { lengthPrefixed } from '../threshold/bytes.js';
import type { AuditEntry } from './audit.js';
import { nodeKeyOf, signAsNode, signedByNode } from './node-signature.js';

/**
 * The audit log's hash chain, format version 1 (docs/node-store.md): pure functions shared by the
 * live log, by `kofn node log verify`, which reads the database without the KEK, and by auditors
 * checking a log read over the network (ReadAuditLog, docs/node-protocol.md revision 2). No
 * database and no connection, so a saved transcript can be re-checked at any time.
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
 *
 * `start` is the entry just before the first row, already trusted, for checking part of a log (a
 * page read over the network): the rows must then begin at `start.seq + 1` and link to its hash.
 * `entries` in the result counts rows, not seqs.
 */
export function verifyChain(
  rows: Iterable<AuditRow>,
  expectedHead?: { seq: number; hash: Uint8Array },
  start: { seq: number; hash: Uint8Array } = { seq: 0, hash: GENESIS_HASH },
): AuditVerifyResult {
  let prev: Buffer = Buffer.from(start.hash);
  let count = 0;
  const bad = (firstBadSeq: number, reason: string): AuditVerifyResult => ({
    ok: false,
    entries: count,
    firstBadSeq,
    reason,
  });

  for (const row of rows) {
    const expectedSeq = start.seq + count + 1;
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

  const last = start.seq + count;
  if (expectedHead) {
    if (last < expectedHead.seq) {
      return bad(last + 1, `the log ends at entry ${last} but ${expectedHead.seq} were written (entries removed)`);
    }
    if (last > expectedHead.seq) {
      return bad(expectedHead.seq + 1, `entries after ${expectedHead.seq} were not written by this node`);
    }
    if (!prev.equals(expectedHead.hash)) {
      return bad(last, `the newest entry is not the one this node wrote (chain rewritten)`);
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

export const AUDIT_HEAD_LABEL = 'kofn/audit-head/v1';

/** An entry as ReadAuditLog carries it (`AuditLogEntry__Output` fits). */
export interface FetchedEntry {
  seq: string | number;
  at_ms: string | number;
  caller: string;
  rpc: string;
  key_id: string;
  input_sha256: string;
  outcome: string;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

/** A head as ReadAuditLog carries it (`AuditHead__Output` fits). */
export interface FetchedHead {
  seq: string | number;
  hash: Uint8Array;
  at_ms: string | number;
  signature: Uint8Array;
}

export interface CheckedHead {
  seq: number;
  hash: string;
  atMs: number;
  /** Its signature was checked against the node certificate given. */
  signed: boolean;
  /** The entries run up to it, so it was compared with the last of them. */
  reached: boolean;
}

export type FetchedLogVerdict =
  | {
    ok: true;
    /** How many entries were checked. */
    entries: number;
    /** The last entry checked (or the starting point when there was none): `after` for the next page. */
    end: { seq: number; hash: string };
    head: CheckedHead | undefined;
    /** The entries were linked to seq 1's genesis hash or to the `after` entry given, not just to themselves. */
    anchored: boolean;
  }
  /** `entries` counts the intact entries before `firstBadSeq`. */
  | { ok: false; entries: number; firstBadSeq: number; reason: string };

/** "kofn/audit-head/v1" ‖ 0x00 ‖ u64(seq) ‖ hash ‖ node id: what the node signs for a head. */
function headPayload(seq: number, hash: Uint8Array, node: string): Buffer {
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(BigInt(seq), 0);
  return Buffer.concat([s, hash, Buffer.from(node, 'utf8')]);
}

export function signAuditHead(seq: number, hash: Uint8Array, node: string, key: KeyObject): Buffer {
  return signAsNode(AUDIT_HEAD_LABEL, headPayload(seq, hash, node), key);
}

/** A decimal uint64 from the wire as a number, if it is one exactly. */
function safeInt(v: string | number): number | undefined {
  const n = typeof v === 'number' ? v : /^(0|[1-9][0-9]{0,15})$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** An entry in the export form of AuditLog.entries(), as ReadAuditLog carries it. */
export function entryToMessage(e: AuditEntry): FetchedEntry & { seq: number; at_ms: number } {
  return {
    seq: e.seq,
    at_ms: e.at,
    caller: e.caller,
    rpc: e.rpc,
    key_id: e.keyId,
    input_sha256: e.inputSha256,
    outcome: e.outcome,
    prev_hash: Buffer.from(e.prevHash, 'hex'),
    hash: Buffer.from(e.hash, 'hex'),
  };
}

/**
 * Recomputes the chain of fetched entries (consecutive, oldest first) and checks the head against
 * it and, given the node's certificate, the head's signature.
 *
 * The chain starts at the genesis hash when the entries begin at seq 1; at `after` (the last entry
 * of a page verified before) when given; otherwise at the first entry's own prev_hash, and then
 * `anchored` is false. The head is compared with the entries only when they reach its seq, since
 * a page that stops earlier (`more`) says nothing about later entries.
 */
export function verifyFetchedLog(
  entries: readonly FetchedEntry[],
  head?: FetchedHead | null,
  nodeCertPem?: string,
  after?: { seq: number; hash: string | Uint8Array },
): FetchedLogVerdict {
  const bad = (firstBadSeq: number, reason: string, intact = 0): FetchedLogVerdict =>
    ({ ok: false, entries: intact, firstBadSeq, reason });

  // Rows up to the first unreadable seq; the chain is checked up to there before that is reported.
  const rows: AuditRow[] = [];
  for (const e of entries) {
    const seq = safeInt(e.seq);
    if (seq === undefined) break;
    rows.push({
      seq,
      // Left as received when unreadable, so that verifyChain reports the entry as of the wrong type.
      at: safeInt(e.at_ms) ?? e.at_ms,
      caller: e.caller,
      rpc: e.rpc,
      key_id: e.key_id,
      input_sha256: e.input_sha256,
      outcome: e.outcome,
      prev_hash: buf(e.prev_hash),
      hash: buf(e.hash),
    });
  }

  const first = rows[0];
  let start: { seq: number; hash: Uint8Array };
  let anchored = true;
  if (after !== undefined) {
    const hash = typeof after.hash === 'string' ? Buffer.from(after.hash, 'hex') : after.hash;
    if (!Number.isSafeInteger(after.seq) || after.seq < 0 || hash.length !== 32) {
      return bad(0, 'the entry to continue from must have a seq ≥ 0 and a 32-byte hash');
    }
    start = { seq: after.seq, hash };
  } else if (first === undefined || first.seq === 1) {
    start = { seq: 0, hash: GENESIS_HASH };
  } else {
    start = { seq: first.seq - 1, hash: buf(entries[0]?.prev_hash ?? GENESIS_HASH) };
    anchored = false;
  }

  if (rows.length < entries.length) {
    const prefix = verifyChain(rows, undefined, start);
    if (!prefix.ok) return prefix;
    const seq = start.seq + rows.length + 1;
    return bad(seq, `entry ${seq} has an unreadable seq ${String(entries[rows.length]?.seq)}`, rows.length);
  }

  let checked: CheckedHead | undefined;
  if (head) {
    const seq = safeInt(head.seq);
    const atMs = safeInt(head.at_ms);
    if (seq === undefined || atMs === undefined || head.hash.length !== 32) {
      return bad(seq ?? 0, 'the head is malformed (it needs a seq, a time and a 32-byte hash)');
    }
    const lastSeq = rows.at(-1)?.seq ?? start.seq;
    checked = { seq, hash: buf(head.hash).toString('hex'), atMs, signed: false, reached: lastSeq >= seq };
  }

  const expectedHead = head && checked?.reached ? { seq: checked.seq, hash: head.hash } : undefined;
  const chain = verifyChain(rows, expectedHead, start);
  if (!chain.ok) return chain;

  const last = rows.at(-1);
  if (checked && last?.seq === checked.seq && last.at !== checked.atMs) {
    return bad(checked.seq, `the head's time is not that of entry ${checked.seq}`, chain.entries);
  }
  if (head && checked && nodeCertPem !== undefined) {
    const node = nodeKeyOf(nodeCertPem);
    if (!node.ok) return bad(checked.seq, node.reason, chain.entries);
    if (!signedByNode(AUDIT_HEAD_LABEL, headPayload(checked.seq, head.hash, node.node), head.signature, node.key)) {
      return bad(checked.seq, `the head (entry ${checked.seq}) is not signed by node ${node.node}`, chain.entries);
    }
    checked.signed = true;
  }

  return {
    ok: true,
    entries: chain.entries,
    end: { seq: start.seq + chain.entries, hash: chain.head },
    head: checked,
    anchored,
  };
}
