import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog, auditHash, verifyAuditLog } from '../../../src/node/audit.js';
import { NodeStore, NodeStoreError } from '../../../src/node/store.js';
import { useTempDir } from './tmp-store.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const entry = (i: number) => ({
  caller: `coordinator-${i % 3}`,
  rpc: 'SignShare',
  keyId: `key-${i % 7}`,
  inputSha256: sha(`request ${i}`),
  outcome: i % 11 === 0 ? 'refused:INVALID_MESSAGE' : 'ok',
});

describe('Node audit log', () => {
  const tmp = useTempDir();
  const dbPath = () => join(tmp.dir(), 'node.db');

  /** A store with `n` entries appended concurrently, then closed. */
  async function logOf(n: number): Promise<number[]> {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const log = new AuditLog(store);
    const seqs = await Promise.all(Array.from({ length: n }, (_, i) => log.append(entry(i))));
    store.close();
    return seqs;
  }

  function tamper(sql: string): void {
    const raw = new Database(dbPath());
    raw.exec(sql);
    raw.close();
  }

  it('hashes an entry exactly as docs/node-store.md spells it (format version 1)', () => {
    const prev = Buffer.alloc(32, 0xab);
    const e = { seq: 7, at: 1_700_000_000_123, caller: 'ca', rpc: 'SignShare', keyId: 'k', inputSha256: 'ff',
      outcome: 'ok' };
    const lp = (s: string) => {
      const b = Buffer.from(s, 'utf8');
      return Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    };
    const expected = createHash('sha256').update(Buffer.concat([
      Buffer.from('kofn/audit/v1'),
      prev,
      Buffer.from('0000000000000007', 'hex'),
      Buffer.from('0000018bcfe5687b', 'hex'),
      lp('ca'), lp('SignShare'), lp('k'), lp('ff'), lp('ok'),
    ])).digest();
    assert.deepEqual(auditHash(prev, e), expected);
  });

  it('commits 500 concurrent appends with contiguous seqs and a chain that verifies', async () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const log = new AuditLog(store);
    const seqs = await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(entry(i))));
    assert.deepEqual(seqs, Array.from({ length: 500 }, (_, i) => i + 1));
    const live = log.verify();
    assert.ok(live.ok);
    assert.equal(live.entries, 500);
    assert.equal(live.head, log.head.hash);
    assert.equal(log.entries(499).length, 2);
    assert.deepEqual(log.entries(3, 1)[0], { seq: 3, at: log.entries(3, 1)[0]?.at, ...entry(2),
      prevHash: log.entries(2, 1)[0]?.hash, hash: log.entries(4, 1)[0]?.prevHash });
    store.close();
    assert.deepEqual(verifyAuditLog(dbPath()), live);
  });

  it('continues the chain across a reopen', async () => {
    await logOf(3);
    const store = NodeStore.open(dbPath(), tmp.keyfile());
    const log = new AuditLog(store);
    assert.equal(log.head.seq, 3);
    assert.equal(log.head.at, log.entries(3, 1)[0]?.at, 'the head keeps its entry\'s time across a reopen');
    assert.equal(await log.append(entry(3)), 4);
    assert.equal(log.head.at, log.entries(4, 1)[0]?.at);
    store.close();
    assert.deepEqual({ ...verifyAuditLog(dbPath()), head: '' }, { ok: true, entries: 4, head: '' });
  });

  it('finds an edited outcome', async () => {
    await logOf(500);
    tamper(`UPDATE audit SET outcome = 'refused:EDITED' WHERE seq = 242`);
    assert.deepEqual(verifyAuditLog(dbPath()), {
      ok: false, entries: 241, firstBadSeq: 242, reason: 'entry 242 does not match its hash (entry edited)',
    });
  });

  it('finds a deleted entry', async () => {
    await logOf(500);
    tamper('DELETE FROM audit WHERE seq = 100');
    const r = verifyAuditLog(dbPath());
    assert.ok(!r.ok);
    assert.equal(r.firstBadSeq, 100);
    assert.match(r.reason, /missing/);
  });

  it('finds two entries swapped in order', async () => {
    await logOf(500);
    tamper(`UPDATE audit SET seq = -1 WHERE seq = 10;
            UPDATE audit SET seq = 10 WHERE seq = 11;
            UPDATE audit SET seq = 11 WHERE seq = -1;`);
    const r = verifyAuditLog(dbPath());
    assert.ok(!r.ok);
    assert.equal(r.firstBadSeq, 10);
    assert.equal(r.entries, 9);
  });

  it('finds entries removed from the end when the live log verifies against what it wrote', async () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const log = new AuditLog(store);
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(entry(i))));
    tamper('DELETE FROM audit WHERE seq > 18');
    const r = log.verify();
    assert.ok(!r.ok);
    assert.equal(r.firstBadSeq, 19);
    assert.ok(verifyAuditLog(dbPath()).ok, 'without a recorded head, a shortened log still verifies');
    store.close();
  });

  it('commits pending entries on close and rejects appends after it', async () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const log = new AuditLog(store);
    const pending = log.append(entry(0));
    store.close();
    assert.equal(await pending, 1);
    await assert.rejects(log.append(entry(1)), (err: unknown) => err instanceof NodeStoreError);
    const r = verifyAuditLog(dbPath());
    assert.ok(r.ok && r.entries === 1);
  });

  it('rejects malformed entries and a second log on the same store', async () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const log = new AuditLog(store);
    await assert.rejects(log.append({ ...entry(0), inputSha256: 'XYZ' }), { code: 'INVALID' });
    await assert.rejects(log.append({ ...entry(0), caller: 'c'.repeat(2000) }), { code: 'INVALID' });
    assert.throws(() => new AuditLog(store), { code: 'INVALID' });
    await log.close();
    store.close();
  });
});
