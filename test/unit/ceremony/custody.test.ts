import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import {
  combineKey,
  CustodyError,
  MIN_PASSPHRASE_LENGTH,
  parseShare,
  protectWithPassphrase,
  splitKey,
  unprotect,
} from '../../../src/ceremony/custody.js';
import { type CertAndKey, createCa, fingerprint } from '../../../src/pki/index.js';

const PASSPHRASE = 'correct horse battery staple';

/** Same key whatever the PEM line layout: compares the PKCS#8 DER. */
function sameKey(a: string, b: string): boolean {
  const der = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return der(a).equals(der(b));
}

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => subsets(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}

function refusal(pattern: RegExp) {
  return (err: unknown) => err instanceof CustodyError && pattern.test(err.message);
}

describe('CA key custody', () => {
  let ca: CertAndKey;
  let otherCa: CertAndKey;
  let shares: string[];

  before(async () => {
    ca = await createCa({ clusterId: 'test' });
    otherCa = await createCa({ clusterId: 'test' });
    shares = await splitKey(ca.keyPem, 3, 5, ca.certPem);
  });

  describe('under a passphrase', () => {
    it('encrypts the key and gives it back with the same passphrase', () => {
      const enc = protectWithPassphrase(ca.keyPem, PASSPHRASE);
      assert.match(enc, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      assert.ok(!enc.includes(ca.keyPem.split('\n')[1] ?? 'x'));
      assert.ok(sameKey(unprotect(enc, PASSPHRASE), ca.keyPem));
    });

    it('writes standard encrypted PKCS#8 that Node (OpenSSL) reads directly', () => {
      const enc = protectWithPassphrase(ca.keyPem, PASSPHRASE);
      const key = createPrivateKey({ key: enc, format: 'pem', passphrase: PASSPHRASE });
      assert.ok(sameKey(key.export({ type: 'pkcs8', format: 'pem' }).toString(), ca.keyPem));
    });

    it('refuses a wrong passphrase with a clear message', () => {
      const enc = protectWithPassphrase(ca.keyPem, PASSPHRASE);
      assert.throws(() => unprotect(enc, 'correct horse battery stapler'), refusal(/wrong passphrase/));
    });

    it(`refuses a passphrase shorter than ${MIN_PASSPHRASE_LENGTH} characters`, () => {
      assert.throws(() => protectWithPassphrase(ca.keyPem, 'short pass'), refusal(/at least 12 characters/));
      assert.doesNotThrow(() => protectWithPassphrase(ca.keyPem, 'twelve chars'));
    });

    it('refuses to unprotect a key that is not encrypted', () => {
      assert.throws(() => unprotect(ca.keyPem, PASSPHRASE), refusal(/not an encrypted private key/));
    });
  });

  describe('split among custodians', () => {
    it('labels each share with its number, k of n, the CA and the split', () => {
      const fp = fingerprint(ca.certPem).slice(0, 8);
      shares.forEach((s, i) => {
        assert.match(s, new RegExp(`^kofn-ca-share:v1:${i + 1}:3:5:${fp}:[0-9a-f]{8}:[A-Za-z0-9_-]+:[0-9a-f]{8}$`));
        assert.equal(parseShare(s).index, i + 1);
      });
      assert.equal(new Set(shares.map((s) => parseShare(s).set)).size, 1);
    });

    it('rebuilds the key from any 3 of the 5 shares, in any order', async () => {
      for (const three of subsets(shares, 3)) {
        assert.ok(sameKey(await combineKey(three.reverse()), ca.keyPem));
      }
    });

    it('rebuilds the key from 4 or all 5 shares too', async () => {
      assert.ok(sameKey(await combineKey(shares.slice(1)), ca.keyPem));
      assert.ok(sameKey(await combineKey(shares), ca.keyPem));
    });

    it('refuses 2 shares of a 3-of-5 split', async () => {
      await assert.rejects(combineKey(shares.slice(0, 2)), refusal(/3 of the 5 shares are needed, only 2 given/));
    });

    it('refuses a share with one character changed, by its checksum', async () => {
      const s = shares[1] ?? '';
      const at = s.lastIndexOf(':') - 10;
      const typo = `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
      await assert.rejects(combineKey([shares[0] ?? '', typo, shares[2] ?? '']),
        refusal(/share 2 of 3: checksum mismatch/));
    });

    it('refuses shares from two different splits of the same key', async () => {
      const again = await splitKey(ca.keyPem, 3, 5, ca.certPem);
      await assert.rejects(combineKey([shares[0] ?? '', shares[1] ?? '', again[2] ?? '']),
        refusal(/different splits/));
    });

    it('refuses shares of two different CAs', async () => {
      const other = await splitKey(otherCa.keyPem, 3, 5, otherCa.certPem);
      await assert.rejects(combineKey([shares[0] ?? '', shares[1] ?? '', other[2] ?? '']),
        refusal(/different CAs/));
    });

    it('refuses shares of another CA than the one expected', async () => {
      const three = shares.slice(0, 3);
      await assert.rejects(combineKey(three, fingerprint(otherCa.certPem)), refusal(/not the expected CA/));
      assert.ok(sameKey(await combineKey(three, fingerprint(ca.certPem)), ca.keyPem));
    });

    it('refuses the same share given twice', async () => {
      await assert.rejects(combineKey([shares[0] ?? '', shares[1] ?? '', shares[0] ?? '']), refusal(/given twice/));
    });

    it('refuses text that is not a share', async () => {
      await assert.rejects(combineKey(['hello', shares[1] ?? '', shares[2] ?? '']),
        refusal(/share 1 of 3: not a kofn CA share/));
    });

    it('refuses to split a key under a CA certificate it does not belong to', async () => {
      await assert.rejects(splitKey(ca.keyPem, 3, 5, otherCa.certPem), refusal(/does not belong/));
    });

    it('refuses a threshold outside 2 <= k <= n <= 255', async () => {
      await assert.rejects(splitKey(ca.keyPem, 1, 5, ca.certPem), refusal(/2 <= k <= n <= 255/));
      await assert.rejects(splitKey(ca.keyPem, 4, 3, ca.certPem), refusal(/2 <= k <= n <= 255/));
    });

    it('accepts the CA by its fingerprint instead of its certificate', async () => {
      const byFingerprint = await splitKey(ca.keyPem, 2, 3, fingerprint(ca.certPem));
      assert.equal(parseShare(byFingerprint[0] ?? '').ca, fingerprint(ca.certPem).slice(0, 8));
      assert.ok(sameKey(await combineKey(byFingerprint.slice(1)), ca.keyPem));
    });
  });
});
