import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Coordinator, type KeyPlacement } from '../../src/coordinator/coordinator.js';
import { i2osp } from '../../src/threshold/bytes.js';
import { messageRepresentative } from '../../src/threshold/rsa/index.js';
import { destroyAll, testKey } from '../helpers/keys.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const LYING_NODE = fileURLToPath(new URL('./helpers/lying-node.js', import.meta.url));

describe('A cluster with a node that returns wrong signature shares', function () {
  this.timeout(120_000);
  let t: TestCluster;
  let key: KeyPlacement;

  before(async () => {
    t = await startTestCluster(5, 3, { start: false });
    await Promise.all(
      t.local.ids.map((id) =>
        t.local.start(id, id === 'node2' ? { argv: (config) => [LYING_NODE, '--config', config] } : {})),
    );
    const dealt = await testKey({ bits: 2048, shares: 5, threshold: 3 });
    key = await t.coordinator.installKey('lied-about', dealt, t.local.ids);
    destroyAll(dealt);
  });

  after(async () => {
    await t?.close();
  });

  it('still returns only signatures that verify, and names the lying node', async () => {
    // A fresh coordinator without health probes ranks the nodes in placement order, so the first
    // signature asks nodes 1, 2, 3 and must meet the liar.
    const logs: string[] = [];
    const coordinator = new Coordinator({
      tls: t.cluster.tlsFor('coordinator'),
      nodes: t.cluster.endpoints,
      healthIntervalMs: 0,
      log: (l) => logs.push(l),
    });
    for (let i = 0; i < 20; i++) {
      const msg = Buffer.from(`record ${i}`);
      const digest = createHash('sha256').update(msg).digest();
      const x = messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, key.publicKey.bits);
      const r = await coordinator.sign(key, x);
      assert.ok(verify('sha256', msg, key.publicKey.toKeyObject(), i2osp(r.y, key.publicKey.bytes)), `signature ${i}`);
      assert.ok(!r.signers.includes('node2'));
    }
    const node2 = coordinator.status().find((s) => s.id === 'node2');
    assert.equal(node2?.state, 'faulty');
    assert.equal(node2?.invalidShares, 1, 'named once, then avoided');
    assert.ok(logs.some((l) => /node node2 returned an invalid signature share for key lied-about/.test(l)));
    for (const s of coordinator.status().filter((x) => x.id !== 'node2')) assert.equal(s.invalidShares, 0);
    coordinator.close();
  });
});
