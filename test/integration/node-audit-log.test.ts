import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { NodeClient } from '../../src/coordinator/node-client.js';
import { type FetchedEntry, verifyFetchedLog } from '../../src/node/audit-chain.js';
import type { ClientRole } from '../../src/cluster/cluster-file.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

describe('Reading a node\'s audit log over mutual TLS', function () {
  this.timeout(120_000);
  let t: TestCluster;
  const clients: NodeClient[] = [];

  const endpoint = () => {
    const e = t.cluster.endpoints[0];
    assert.ok(e);
    return e;
  };
  const clientAs = (role: ClientRole) => {
    const c = new NodeClient(endpoint(), t.cluster.tlsFor(role));
    clients.push(c);
    return c;
  };
  const dbPath = () => `${t.dir}/nodes/node1/node.db`;

  function storedHash(seq: number): Buffer | undefined {
    const db = new Database(dbPath(), { readonly: true });
    try {
      return db.prepare<[number], { hash: Buffer }>('SELECT hash FROM audit WHERE seq = ?').get(seq)?.hash;
    } finally {
      db.close();
    }
  }

  /** Every page from after `afterSeq`, each checked on its own, continuing from the page before. */
  async function readAll(auditor: NodeClient, limit: number, afterSeq = 0): Promise<FetchedEntry[]> {
    const all: FetchedEntry[] = [];
    let after: { seq: number; hash: string } | undefined;
    for (;;) {
      const page = await auditor.readAuditLog(after?.seq ?? afterSeq, limit, 5000);
      const v = verifyFetchedLog(page.entries, page.head, endpoint().certPem, after);
      assert.ok(v.ok, JSON.stringify(v));
      assert.equal(v.head?.signed, true);
      assert.equal(v.head.reached, !page.more, 'the last page, and only it, ends at the head');
      assert.ok(page.entries.length <= Math.min(limit || 1000, 1000));
      all.push(...page.entries);
      if (!page.more) return all;
      assert.ok(page.entries.length > 0, 'more without entries');
      after = v.end;
    }
  }

  before(async () => {
    // No background health probes: the entry counts below are exact.
    t = await startTestCluster(1, 1, { healthIntervalMs: 0 });
    const coordinator = clientAs('coordinator');
    for (let i = 0; i < 10; i++) await coordinator.health(5000);
    // 17 batches of 64 refused SignShare items: 1088 entries, more than one full page.
    const items = Array.from({ length: 64 }, (_, i) => ({ key_id: `absent-${i}`, x: Buffer.from([2]), with_proof: false }));
    for (let i = 0; i < 17; i++) {
      await new Promise<void>((resolve, reject) => {
        coordinator.client.SignShares({ items }, (err) => (err ? reject(err) : resolve()));
      });
    }
  });

  after(async () => {
    for (const c of clients) c.close();
    await t?.close();
  });

  it('returns to the auditor a chain that verifies and ends at the head the node signed', async () => {
    const auditor = clientAs('auditor');
    const entries = await readAll(auditor, 0);
    const head = (await auditor.readAuditLog(Number(entries.at(-1)?.seq), 0, 5000)).head;
    const v = verifyFetchedLog(entries, null, endpoint().certPem);
    assert.ok(v.ok, JSON.stringify(v));
    assert.ok(v.anchored);
    assert.ok(v.entries >= 1098, String(v.entries));
    assert.equal(entries[0]?.rpc, 'Health');
    assert.equal(entries.filter((e) => e.rpc === 'SignShares').length, 17 * 64);
    assert.match(entries.find((e) => e.rpc === 'SignShares')?.outcome ?? '', /^NOT_FOUND: no share for key absent-/);
    // The node's own database holds the same hash at the head it signed.
    assert.ok(head);
    assert.deepEqual(storedHash(Number(head.seq)), head.hash);
  });

  it('pages with after_seq, and the pages together are the whole log', async () => {
    const auditor = clientAs('auditor');
    const paged = await readAll(auditor, 97);
    const whole = await readAll(auditor, 1000);
    // The second read also sees the ReadAuditLog requests of the first.
    assert.ok(whole.length > paged.length);
    assert.deepEqual(paged.map((e) => e.hash), whole.slice(0, paged.length).map((e) => e.hash));
    const tail = await readAll(auditor, 5, paged.length - 3);
    assert.equal(Number(tail[0]?.seq), paged.length - 2);
    assert.deepEqual(tail[0]?.hash, whole[paged.length - 3]?.hash);
  });

  it('reads a full page for limit 0, and reads more than 1000 as 1000', async () => {
    const auditor = clientAs('auditor');
    assert.equal((await auditor.readAuditLog(0, 10, 5000)).entries.length, 10);
    const byDefault = await auditor.readAuditLog(0, 0, 5000);
    const capped = await auditor.readAuditLog(0, 100_000, 5000);
    assert.ok(byDefault.more && capped.more);
    assert.equal(capped.entries.length, byDefault.entries.length);
    const n = byDefault.entries.length;
    // Either 1000 entries, or as many as fit in a message: this log's entries are ~250 bytes each.
    assert.ok(n === 1000 || (n >= 900 && n < 1000), String(n));
  });

  it('logs the ReadAuditLog request itself, after the head it answered with', async () => {
    const auditor = clientAs('auditor');
    const page = await auditor.readAuditLog(0, 1, 5000);
    const headSeq = Number(page.head?.seq);
    const next = await auditor.readAuditLog(headSeq, 0, 5000);
    const own = next.entries[0];
    assert.deepEqual(
      own && [Number(own.seq), own.caller, own.rpc, own.outcome],
      [headSeq + 1, 'auditor[auditor]', 'ReadAuditLog', 'OK'],
    );
    assert.equal(next.more, false);
    assert.deepEqual(next.entries.at(-1)?.hash, next.head?.hash, 'the last page ends at the head');
  });

  it('refuses the coordinator and the ceremony with PERMISSION_DENIED', async () => {
    for (const role of ['coordinator', 'ceremony'] as const) {
      const err = await clientAs(role).readAuditLog(0, 10, 5000).then(() => null, (e: unknown) => e);
      assert.equal((err as grpc.ServiceError | null)?.code, grpc.status.PERMISSION_DENIED, role);
    }
  });

  it('keeps kofn node log verify working on the same log', () => {
    const out = execFileSync(process.execPath, [CLI_PATH, 'node', 'log', 'verify', '--db', dbPath()], {
      encoding: 'utf8',
    });
    assert.match(out, /entries, chain intact, head [0-9a-f]{64}/);
  });
});
