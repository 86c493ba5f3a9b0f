import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { NodeClient } from '../../src/coordinator/node-client.js';
import { sealShare } from '../../src/node/envelope.js';
import { fromBytes, publicKeyToMessage, toBytes } from '../../src/node/rpc/convert.js';
import type { InstallShareRequest } from '../../src/node/rpc/schema.js';
import { type DealtKey, messageRepresentative, verifyShareProof } from '../../src/threshold/rsa/index.js';
import { destroyAll, testKey } from '../helpers/keys.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

describe('A node killed during InstallShare', function () {
  this.timeout(300_000);
  let t: TestCluster;
  const keys: { keyId: string; dealt: DealtKey; request: InstallShareRequest }[] = [];

  before(async () => {
    t = await startTestCluster(1, 1);
    const endpoint = t.cluster.endpoints[0];
    assert.ok(endpoint);
    const probe = new NodeClient(endpoint, t.cluster.tlsFor('coordinator'));
    const shareKey = probe.shareKey;
    probe.close();
    assert.ok(shareKey);
    for (let i = 0; i < 40; i++) {
      const dealt = await testKey({ bits: 1024, shares: 3, threshold: 2 });
      const keyId = `crash-${i}`;
      const bytes = dealt.shares[0]?.exportSecret();
      assert.ok(bytes);
      const s = sealShare({ recipientPublicKey: shareKey, keyId, index: 1, share: bytes });
      bytes.fill(0);
      keys.push({
        keyId,
        dealt,
        request: {
          key_id: keyId,
          index: 1,
          public_key: publicKeyToMessage(dealt.publicKey),
          sealed: {
            version: 1,
            ephemeral_public_key: s.ephemeralPublicKey,
            nonce: s.nonce,
            ciphertext: s.ciphertext,
          },
        },
      });
    }
  });

  after(async () => {
    for (const k of keys) destroyAll(k.dealt);
    await t?.close();
  });

  it('leaves each share either whole and provably correct, or absent', async () => {
    const endpoint = t.cluster.endpoints[0];
    assert.ok(endpoint);
    let landed = 0;
    let lost = 0;
    for (let round = 0; round < 4; round++) {
      const dealer: NodeClient = new NodeClient(endpoint, t.cluster.tlsFor('coordinator'));
      const pending: Promise<boolean>[] = keys.map((k) =>
        dealer.installShare(k.request, 10_000).then(() => true, () => false));
      // Kill just after the first acknowledgement, while the others are in flight.
      await Promise.race(pending.map((p) => p.then((ok) => (ok ? undefined : new Promise<never>(() => {})))));
      await new Promise((r) => setTimeout(r, randomInt(0, 3)));
      await t.local.kill('node1');
      const acked: boolean[] = await Promise.all(pending);
      dealer.close();
      await t.local.start('node1');

      const signer: NodeClient = new NodeClient(endpoint, t.cluster.tlsFor('coordinator'));
      for (const [i, k] of keys.entries()) {
        const pub = k.dealt.publicKey;
        const digest = createHash('sha256').update(k.keyId).digest();
        const x = messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, pub.bits);
        try {
          const r = await signer.signShare({ key_id: k.keyId, x: toBytes(x), with_proof: true }, 10_000);
          assert.ok(r.proof, k.keyId);
          const proof = { c: fromBytes(r.proof.c), z: fromBytes(r.proof.z) };
          assert.ok(verifyShareProof(pub, x, 1, fromBytes(r.xi), proof), `${k.keyId}: stored share is not whole`);
          landed++;
        } catch (err) {
          if ((err as grpc.ServiceError).code !== grpc.status.NOT_FOUND) throw err;
          assert.equal(acked[i], false, `${k.keyId} was acknowledged, then lost`);
          lost++;
        }
      }
      signer.close();
      const out = execFileSync(process.execPath, [CLI_PATH, 'node', 'log', 'verify', '--config',
        t.cluster.nodeConfigs.get('node1') ?? ''], { encoding: 'utf8' });
      assert.match(out, /chain intact/, `round ${round}`);
    }
    assert.ok(landed > 0, 'some installs completed before a kill');
    assert.ok(lost > 0, `the kills interrupted installs (landed ${landed}, lost ${lost})`);
  });
});
