import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { NodeClient } from '../../src/coordinator/node-client.js';
import { sealShare } from '../../src/node/envelope.js';
import { ReceiptError, verifyReceipt } from '../../src/node/receipt.js';
import { publicKeyToMessage } from '../../src/node/rpc/convert.js';
import { PROTOCOL_REVISION, type InstallShareRequest } from '../../src/node/rpc/schema.js';
import type { DealtKey } from '../../src/threshold/rsa/index.js';
import { destroyAll, testKey } from '../helpers/keys.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const KEY_ID = 'zone-example-ksk';

describe('Install receipts from node processes over mutual TLS', function () {
  this.timeout(120_000);
  let t: TestCluster;
  let dealt: DealtKey;
  const clients: NodeClient[] = [];

  const endpoint = (i: number) => {
    const e = t.cluster.endpoints[i];
    assert.ok(e);
    return e;
  };
  const clientOf = (i: number, role: 'ceremony' | 'coordinator' | 'auditor') => {
    const c = new NodeClient(endpoint(i), t.cluster.tlsFor(role));
    clients.push(c);
    return c;
  };

  /** Share `index` sealed to the node at endpoint i. */
  function request(i: number, index = i + 1): InstallShareRequest {
    const shareKey = clientOf(i, 'ceremony').shareKey;
    const bytes = dealt.shares[index - 1]?.exportSecret();
    assert.ok(shareKey && bytes);
    const s = sealShare({ recipientPublicKey: shareKey, keyId: KEY_ID, index, share: bytes });
    bytes.fill(0);
    return {
      key_id: KEY_ID,
      index,
      public_key: publicKeyToMessage(dealt.publicKey),
      sealed: { version: 1, ephemeral_public_key: s.ephemeralPublicKey, nonce: s.nonce, ciphertext: s.ciphertext },
    };
  }

  const expectFor = (i: number) => ({
    node: endpoint(i).id,
    keyId: KEY_ID,
    index: i + 1,
    vkFingerprint: dealt.publicKey.verificationKeyFingerprint(i + 1),
  });

  before(async () => {
    t = await startTestCluster(2, 2, { healthIntervalMs: 0 });
    dealt = await testKey({ bits: 2048, shares: 2, threshold: 2 });
  });

  after(async () => {
    for (const c of clients) c.close();
    if (dealt) destroyAll(dealt);
    await t?.close();
  });

  it('reports protocol version 1 and its current revision (receipts came with 2) in Health', async () => {
    const h = await clientOf(0, 'auditor').health(5000);
    assert.deepEqual([h.protocol_version, h.protocol_revision], [1, PROTOCOL_REVISION]);
    assert.ok(PROTOCOL_REVISION >= 2);
  });

  it('answers an install with a receipt that verifies against the node\'s certificate', async () => {
    const before = Date.now();
    const res = await clientOf(0, 'ceremony').installShare(request(0), 10_000);
    const r = verifyReceipt(res.receipt, res.receipt_signature, endpoint(0).certPem, expectFor(0));
    assert.deepEqual({ ...r, installedAt: '' }, {
      v: 1,
      type: 'kofn/install-receipt',
      node: 'node1',
      keyId: KEY_ID,
      index: 1,
      vkFingerprint: res.vk_fingerprint,
      publicKeyFingerprint: dealt.publicKey.fingerprint(),
      installedAt: '',
      alreadyInstalled: false,
      requestedBy: 'ceremony',
    });
    const at = Date.parse(r.installedAt);
    assert.ok(at >= before && at <= Date.now(), r.installedAt);
    // The time is the one the node stored, as the auditor's listing shows it.
    const [listed] = (await clientOf(0, 'auditor').listShares(5000)).shares;
    assert.equal(Number(listed?.installed_at_ms), at);
  });

  it('refuses the receipt with one byte changed, or checked against another node\'s certificate', async () => {
    const res = await clientOf(1, 'ceremony').installShare(request(1), 10_000);
    assert.ok(verifyReceipt(res.receipt, res.receipt_signature, endpoint(1).certPem, expectFor(1)));
    const changed = Buffer.from(res.receipt);
    const at = changed.indexOf('"index":2') + '"index":'.length;
    changed[at] = '3'.charCodeAt(0);
    assert.throws(() => verifyReceipt(changed, res.receipt_signature, endpoint(1).certPem, expectFor(1)),
      (err: unknown) => err instanceof ReceiptError && err.code === 'BAD_SIGNATURE');
    assert.throws(() => verifyReceipt(res.receipt, res.receipt_signature, endpoint(0).certPem, expectFor(1)),
      (err: unknown) => err instanceof ReceiptError && err.code === 'WRONG_CERTIFICATE' &&
        /node node1's, not node node2's/.test(err.message));
    assert.throws(() => verifyReceipt(res.receipt, res.receipt_signature, endpoint(0).certPem, expectFor(0)),
      (err: unknown) => err instanceof ReceiptError && err.code === 'BAD_SIGNATURE',
      'node2\'s receipt does not pass as node1\'s');
  });

  it('answers a repeated install with alreadyInstalled, the original time and the new requester', async () => {
    const first = await clientOf(0, 'auditor').listShares(5000);
    const original = new Date(Number(first.shares[0]?.installed_at_ms)).toISOString();
    await new Promise((r) => setTimeout(r, 20));
    // The coordinator's certificate also carries the dealer role, which may install.
    const res = await clientOf(0, 'coordinator').installShare(request(0), 10_000);
    assert.equal(res.already_installed, true);
    const r = verifyReceipt(res.receipt, res.receipt_signature, endpoint(0).certPem, expectFor(0));
    assert.deepEqual([r.alreadyInstalled, r.installedAt, r.requestedBy], [true, original, 'coordinator']);
  });

  it('gives no receipt for an install it refuses', async () => {
    const err = await clientOf(0, 'ceremony').installShare(request(0, 2), 10_000).then(() => null, (e: unknown) => e);
    assert.equal((err as grpc.ServiceError | null)?.code, grpc.status.ALREADY_EXISTS);
  });
});
