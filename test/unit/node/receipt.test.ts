import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { nodeSigningKey, signAsNode } from '../../../src/node/node-signature.js';
import {
  encodeReceipt,
  RECEIPT_LABEL,
  ReceiptError,
  type ReceiptErrorCode,
  type ReceiptFields,
  signReceipt,
  verifyReceipt,
} from '../../../src/node/receipt.js';
import { type CertAndKey, createCa, issueCertificate } from '../../../src/pki/index.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

const fields: ReceiptFields = {
  node: 'node1',
  keyId: 'zone-example-ksk',
  index: 2,
  vkFingerprint: hex('vk'),
  publicKeyFingerprint: hex('pk'),
  installedAt: '2025-01-02T03:04:05.678Z',
  alreadyInstalled: false,
  requestedBy: 'ceremony',
};
const expect = { node: 'node1', keyId: 'zone-example-ksk', index: 2, vkFingerprint: hex('vk') };

const refusedWith = (code: ReceiptErrorCode, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ReceiptError, String(err));
  assert.equal(err.code, code, err.message);
  assert.match(err.message, message);
  return true;
};

describe('Install receipts', () => {
  let node1: CertAndKey;
  let node2: CertAndKey;
  let auditor: CertAndKey;

  before(async () => {
    const ca = await createCa({ clusterId: 'receipts' });
    node1 = await issueCertificate({ ca, identity: 'node1', roles: ['node'] });
    node2 = await issueCertificate({ ca, identity: 'node2', roles: ['node'] });
    auditor = await issueCertificate({ ca, identity: 'node1', roles: ['auditor'] });
  });

  const sign = () => signReceipt(fields, nodeSigningKey(node1.keyPem, node1.certPem));

  it('encodes the keys in the documented order, without white space', () => {
    assert.equal(
      encodeReceipt(fields).toString('utf8'),
      `{"v":1,"type":"kofn/install-receipt","node":"node1","keyId":"zone-example-ksk","index":2,` +
      `"vkFingerprint":"${hex('vk')}","publicKeyFingerprint":"${hex('pk')}",` +
      `"installedAt":"2025-01-02T03:04:05.678Z","alreadyInstalled":false,"requestedBy":"ceremony"}`,
    );
  });

  it('verifies against the issuing node\'s certificate and returns the receipt', () => {
    const { receipt, signature } = sign();
    assert.deepEqual(verifyReceipt(receipt, signature, node1.certPem, expect), {
      v: 1,
      type: 'kofn/install-receipt',
      ...fields,
    });
  });

  it('refuses a receipt with any single byte changed', () => {
    const { receipt, signature } = sign();
    for (let i = 0; i < receipt.length; i++) {
      const changed = Buffer.from(receipt);
      changed[i] = (changed[i] ?? 0) ^ 0x01;
      assert.throws(() => verifyReceipt(changed, signature, node1.certPem, expect),
        refusedWith('BAD_SIGNATURE', /not signed by node node1/), `byte ${i}`);
    }
  });

  it('refuses a receipt checked against another node\'s certificate', () => {
    const { receipt, signature } = sign();
    assert.throws(() => verifyReceipt(receipt, signature, node2.certPem, expect),
      refusedWith('WRONG_CERTIFICATE', /node node2's, not node node1's/));
    // The other node's certificate, expecting that node: its key did not sign it.
    assert.throws(() => verifyReceipt(receipt, signature, node2.certPem, { ...expect, node: 'node2' }),
      refusedWith('BAD_SIGNATURE', /not signed by node node2/));
  });

  it('refuses a certificate without the node role, even with the right identity', () => {
    const { receipt, signature } = sign();
    assert.throws(() => verifyReceipt(receipt, signature, auditor.certPem, expect),
      refusedWith('WRONG_CERTIFICATE', /not a node certificate/));
  });

  it('refuses a genuine receipt about another key, index or verification key', () => {
    const { receipt, signature } = sign();
    const check = (e: Partial<typeof expect>, what: RegExp) =>
      assert.throws(() => verifyReceipt(receipt, signature, node1.certPem, { ...expect, ...e }),
        refusedWith('MISMATCH', what));
    check({ keyId: 'other-key' }, /for key "zone-example-ksk", expected "other-key"/);
    check({ index: 3 }, /for share index 2, expected 3/);
    check({ vkFingerprint: hex('other') }, /for verification key/);
  });

  it('refuses a receipt the node signed but that is not in the one encoding', () => {
    const key = nodeSigningKey(node1.keyPem, node1.certPem);
    const spaced = Buffer.from(JSON.stringify(JSON.parse(encodeReceipt(fields).toString('utf8')), null, 1));
    assert.throws(() => verifyReceipt(spaced, signAsNode(RECEIPT_LABEL, spaced, key), node1.certPem, expect),
      refusedWith('MALFORMED', /reordered or spaced/));
    const sloppyTime = encodeReceipt({ ...fields, installedAt: '2025-01-02T03:04:05Z' });
    assert.throws(() => verifyReceipt(sloppyTime, signAsNode(RECEIPT_LABEL, sloppyTime, key), node1.certPem, expect),
      refusedWith('MALFORMED', /installedAt/));
  });

  it('refuses a signature made for another purpose with the same key', () => {
    const key = nodeSigningKey(node1.keyPem, node1.certPem);
    const receipt = encodeReceipt(fields);
    assert.throws(() => verifyReceipt(receipt, signAsNode('kofn/audit-head/v1', receipt, key), node1.certPem, expect),
      refusedWith('BAD_SIGNATURE', /not signed/));
  });

  it('refuses to sign with a TLS key that its certificate does not certify', () => {
    assert.throws(() => nodeSigningKey(node2.keyPem, node1.certPem), /not the key its certificate certifies/);
  });
});
