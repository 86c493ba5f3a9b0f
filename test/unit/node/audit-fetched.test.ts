import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AuditLog } from '../../../src/node/audit.js';
import {
  entryToMessage,
  type FetchedEntry,
  type FetchedHead,
  signAuditHead,
  verifyFetchedLog,
} from '../../../src/node/audit-chain.js';
import { nodeSigningKey } from '../../../src/node/node-signature.js';
import { NodeStore } from '../../../src/node/store.js';
import { type CertAndKey, createCa, issueCertificate } from '../../../src/pki/index.js';
import { useTempDir } from './tmp-store.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('Checking an audit log fetched from a node', () => {
  const tmp = useTempDir();
  let node1: CertAndKey;
  let node2: CertAndKey;
  let entries: FetchedEntry[];
  let head: FetchedHead;

  before(async () => {
    const ca = await createCa({ clusterId: 'fetched-log' });
    node1 = await issueCertificate({ ca, identity: 'node1', roles: ['node'] });
    node2 = await issueCertificate({ ca, identity: 'node2', roles: ['node'] });
  });

  /** What ReadAuditLog would answer for a log of 12 entries: every entry and the signed head. */
  beforeEach(async () => {
    const store = NodeStore.create(join(tmp.dir(), 'node.db'), tmp.keyfile());
    const log = new AuditLog(store);
    await Promise.all(Array.from({ length: 12 }, (_, i) => log.append({
      caller: 'token[coordinator]',
      rpc: 'SignShare',
      keyId: `key-${i % 3}`,
      inputSha256: sha(`request ${i}`),
      outcome: i === 4 ? 'NOT_FOUND: no share for key key-1' : 'OK',
    })));
    entries = log.entries(1, 100).map(entryToMessage);
    const h = log.head;
    const hash = Buffer.from(h.hash, 'hex');
    head = { seq: h.seq, hash, at_ms: h.at, signature: signAuditHead(h.seq, hash, 'node1', key()) };
    store.close();
  });

  const key = () => nodeSigningKey(node1.keyPem, node1.certPem);

  it('accepts an untouched log, ending at the head the node signed', () => {
    const r = verifyFetchedLog(entries, head, node1.certPem);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.entries, 12);
    assert.deepEqual(r.end, { seq: 12, hash: Buffer.from(head.hash).toString('hex') });
    assert.deepEqual({ ...r.head, hash: '' }, { seq: 12, hash: '', atMs: head.at_ms, signed: true, reached: true });
    assert.ok(r.anchored);
  });

  it('detects an entry whose outcome was changed, and names its seq', () => {
    const tampered = entries.map((e) => (e.seq === 5 ? { ...e, outcome: 'OK' } : e));
    const r = verifyFetchedLog(tampered, head, node1.certPem);
    assert.deepEqual(r, { ok: false, entries: 4, firstBadSeq: 5, reason: 'entry 5 does not match its hash (entry edited)' });
  });

  it('detects a missing entry, and a shortened log passed off under the signed head', () => {
    const gap = verifyFetchedLog(entries.filter((e) => e.seq !== 7), head);
    assert.deepEqual(!gap.ok && [gap.firstBadSeq, gap.reason], [7, 'entry 7 is missing (the next entry is 8)']);
    const relabelled = verifyFetchedLog(entries.slice(0, 9), { ...head, seq: 9 }, node1.certPem);
    assert.match(!relabelled.ok ? relabelled.reason : '', /newest entry is not the one/);
  });

  it('reports a read that stops before the head as not reaching it, which a complete read must', () => {
    const r = verifyFetchedLog(entries.slice(0, 9), head, node1.certPem);
    assert.ok(r.ok);
    assert.equal(r.head?.reached, false);
  });

  it('verifies page by page, each page continuing from the last entry of the one before', () => {
    const first = verifyFetchedLog(entries.slice(0, 5), head, node1.certPem);
    assert.ok(first.ok);
    assert.equal(first.head?.reached, false, 'a page that stops early is not compared with the head');
    assert.equal(first.head?.signed, true);
    assert.equal(first.end.seq, 5);
    const second = verifyFetchedLog(entries.slice(5), head, node1.certPem, first.end);
    assert.ok(second.ok);
    assert.ok(second.anchored);
    assert.equal(second.head?.reached, true);
    // Continuing from the wrong entry breaks the link at once.
    const wrong = verifyFetchedLog(entries.slice(5), head, node1.certPem, { seq: 5, hash: sha('not entry 5') });
    assert.deepEqual(!wrong.ok && [wrong.firstBadSeq, wrong.entries], [6, 0]);
  });

  it('checks a page that starts later only against itself, and says so', () => {
    const r = verifyFetchedLog(entries.slice(6), head, node1.certPem);
    assert.ok(r.ok);
    assert.equal(r.anchored, false);
  });

  it('refuses a head signed by another node, or not for this log', () => {
    const other = verifyFetchedLog(entries, head, node2.certPem);
    assert.equal(other.ok, false);
    assert.match(!other.ok ? other.reason : '', /not signed by node node2/);
    const forged = { ...head, signature: signAuditHead(12, head.hash, 'node2', key()) };
    assert.equal(verifyFetchedLog(entries, forged, node1.certPem).ok, false, 'a head signed for another node id');
    const late = verifyFetchedLog(entries, { ...head, at_ms: Number(head.at_ms) + 1 }, node1.certPem);
    assert.match(!late.ok ? late.reason : '', /head's time/);
  });

  it('shows, from a head kept earlier, that the log was neither cut nor rewritten up to it', () => {
    const kept = entries[7];
    assert.ok(kept);
    const since = verifyFetchedLog(entries.slice(8), head, node1.certPem, { seq: 8, hash: kept.hash });
    assert.ok(since.ok && since.head?.reached && since.head.signed);
    const older = entries[5];
    assert.ok(older);
    const shorter = { seq: 6, hash: older.hash, at_ms: older.at_ms, signature: signAuditHead(6, older.hash, 'node1', key()) };
    const cut = verifyFetchedLog([], shorter, node1.certPem, { seq: 8, hash: kept.hash });
    assert.deepEqual(!cut.ok && [cut.firstBadSeq, cut.reason], [7, 'entries after 6 were not written by this node']);
  });

  it('refuses entries beyond the head the node signed', () => {
    const r = verifyFetchedLog(entries, { ...head, seq: 10 });
    assert.deepEqual(!r.ok && [r.firstBadSeq, r.reason], [11, 'entries after 10 were not written by this node']);
  });
});
