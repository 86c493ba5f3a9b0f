import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CLI_PATH } from '../../src/cluster/processes.js';
import type { KeyPlacement } from '../../src/coordinator/coordinator.js';
import { CoordinatorError } from '../../src/coordinator/errors.js';
import { NodeClient } from '../../src/coordinator/node-client.js';
import { proveShareRepresentative } from '../../src/node/prove.js';
import { fromBytes } from '../../src/node/rpc/convert.js';
import { i2osp } from '../../src/threshold/bytes.js';
import { type DealtKey, messageRepresentative, verifyShareProof } from '../../src/threshold/rsa/index.js';
import { destroyAll, testKey } from '../helpers/keys.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const message = Buffer.from('example. 300 IN A 192.0.2.53');

function representative(key: KeyPlacement, msg = message): bigint {
  const digest = createHash('sha256').update(msg).digest();
  return messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, key.publicKey.bits);
}

function opensslVerifies(key: KeyPlacement, y: bigint, msg = message): boolean {
  return verify('sha256', msg, key.publicKey.toKeyObject(), i2osp(y, key.publicKey.bytes));
}

async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('A local 3-of-5 cluster of node processes over mutual TLS', function () {
  this.timeout(180_000);
  let t: TestCluster;
  let key: KeyPlacement;
  let dealt: DealtKey;
  let shareWindows: Buffer[];

  before(async () => {
    t = await startTestCluster(5, 3);
    dealt = await testKey({ bits: 2048, shares: 5, threshold: 3 });
    shareWindows = dealt.shares.map((s) => {
      const b = s.exportSecret();
      const w = Buffer.from(b.subarray(b.length - 16));
      b.fill(0);
      return w;
    });
    key = await t.coordinator.installKey('zone-example-ksk', dealt, t.cluster.endpoints.map((e) => e.id));
    destroyAll(dealt);
  });

  after(async () => {
    await t?.close();
  });

  it('signs, and OpenSSL verifies the signature', async () => {
    const r = await t.coordinator.sign(key, representative(key));
    assert.equal(r.signers.length, 3);
    assert.ok(opensslVerifies(key, r.y));
  });

  it('keeps no share in plain form in any node database', () => {
    for (const [i, e] of t.cluster.endpoints.entries()) {
      const files = ['node.db', 'node.db-wal'].map((f) => `${t.dir}/nodes/${e.id}/${f}`);
      const bytes = Buffer.concat(files.filter((f) => existsSync(f)).map((f) => readFileSync(f)));
      assert.ok(bytes.includes(Buffer.from('zone-example-ksk')), 'positive control: the key id is stored in clear');
      const w = shareWindows[i];
      assert.ok(w);
      assert.ok(!bytes.includes(w) && !bytes.includes(Buffer.from(w).reverse()), `share bytes found in ${e.id}`);
    }
  });

  it('lets the auditor list shares and prove possession on fresh challenges, revealing no share', async () => {
    const auditorTls = t.cluster.tlsFor('auditor');
    for (const [i, e] of t.cluster.endpoints.entries()) {
      const auditor = new NodeClient(e, auditorTls);
      try {
        const list = await auditor.listShares(5000);
        const info = list.shares.find((s) => s.key_id === 'zone-example-ksk');
        assert.ok(info, e.id);
        assert.equal(info.index, i + 1);
        assert.deepEqual([info.k, info.l, info.bits], [3, 5, 2048]);
        assert.equal(info.vk_fingerprint, key.publicKey.verificationKeyFingerprint(i + 1));
        assert.ok(!JSON.stringify(list).includes(shareWindows[i]?.toString('hex') ?? 'x'));
        const xs = new Set<string>();
        for (let round = 0; round < 2; round++) {
          const challenge = randomBytes(32);
          const r = await auditor.proveShare({ key_id: 'zone-example-ksk', challenge }, 5000);
          const x = proveShareRepresentative(key.publicKey, 'zone-example-ksk', challenge);
          assert.equal(fromBytes(r.x), x);
          assert.ok(r.proof);
          const proof = { c: fromBytes(r.proof.c), z: fromBytes(r.proof.z) };
          assert.ok(verifyShareProof(key.publicKey, x, r.index, fromBytes(r.xi), proof), `${e.id} proof`);
          assert.ok(!verifyShareProof(key.publicKey, x + 1n, r.index, fromBytes(r.xi), proof));
          xs.add(String(x));
        }
        assert.equal(xs.size, 2, 'fresh challenges give fresh values');
      } finally {
        auditor.close();
      }
    }
  });

  it('installs the same share twice idempotently and refuses a conflicting one', async () => {
    const again = await testKey({ bits: 1024, shares: 5, threshold: 3 });
    const ids = t.cluster.endpoints.map((e) => e.id);
    await t.coordinator.installKey('idempotent', again, ids);
    await t.coordinator.installKey('idempotent', again, ids);
    const other = await testKey({ bits: 1024, shares: 5, threshold: 3 });
    await assert.rejects(t.coordinator.installKey('idempotent', other, ids), (err: unknown) =>
      err instanceof CoordinatorError && err.code === 'INSTALL_FAILED' && /ALREADY_EXISTS|status 6/.test(err.message));
    destroyAll(again);
    destroyAll(other);
  });

  it('signs 1,000 concurrent signatures that all verify', async () => {
    const xs = Array.from({ length: 1000 }, (_, i) => Buffer.from(`name${i}.example. 300 IN A 192.0.2.1`));
    const results = await Promise.all(
      xs.map((m) => t.coordinator.sign(key, representative(key, m), { timeoutMs: 60_000 })),
    );
    results.forEach((r, i) => {
      assert.ok(opensslVerifies(key, r.y, xs[i]), `signature ${i}`);
    });
  });

  it('still signs with two nodes killed by SIGKILL', async () => {
    await t.local.kill('node1');
    await t.local.kill('node2');
    for (let i = 0; i < 5; i++) {
      const r = await t.coordinator.sign(key, representative(key));
      assert.ok(opensslVerifies(key, r.y));
      assert.ok(!r.signers.includes('node1') && !r.signers.includes('node2'));
    }
  });

  it('fails fast with NOT_ENOUGH_NODES naming the missing nodes when three are down', async () => {
    await t.local.kill('node3');
    const started = Date.now();
    await assert.rejects(t.coordinator.sign(key, representative(key)), (err: unknown) => {
      assert.ok(err instanceof CoordinatorError);
      assert.equal(err.code, 'NOT_ENOUGH_NODES');
      assert.deepEqual(Object.keys(err.nodes).sort(), ['node1', 'node2', 'node3']);
      assert.match(err.message, /node1.*node2.*node3|node\d/);
      return true;
    });
    assert.ok(Date.now() - started < 5500, `took ${Date.now() - started} ms`);
  });

  it('uses restarted nodes again', async () => {
    await t.local.start('node1');
    await t.local.start('node2');
    await t.local.start('node3');
    await waitUntil(() => t.coordinator.status().filter((s) => s.state === 'up').length === 5);
    await t.local.kill('node4');
    await t.local.kill('node5');
    const r = await t.coordinator.sign(key, representative(key));
    assert.deepEqual([...r.signers].sort(), ['node1', 'node2', 'node3']);
    assert.ok(opensslVerifies(key, r.y));
    await t.local.start('node4');
    await t.local.start('node5');
  });

  it('logs every request in each node audit log, whose chain verifies', () => {
    for (const e of t.cluster.endpoints) {
      const config = t.cluster.nodeConfigs.get(e.id) ?? '';
      const out = execFileSync(process.execPath, [CLI_PATH, 'node', 'log', 'verify', '--config', config], {
        encoding: 'utf8',
      });
      assert.match(out, /chain intact/);
      const n = Number(/(\d+) entries/.exec(out)?.[1]);
      assert.ok(n > 10, `${e.id}: ${n} entries`);
    }
  });
});
