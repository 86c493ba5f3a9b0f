import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { native } from '../../../src/threshold/native.js';
import { KeyShare, ThresholdPublicKey, verifyShareProof } from '../../../src/threshold/rsa/index.js';
import { powMod } from '../../helpers/bigint.js';
import { destroyAll, testKey } from '../../helpers/keys.js';

const toy = () => new ThresholdPublicKey(253n, 7n, 2, 3, 4n, [70n, 179n, 71n]);

describe('Secret shares in native memory', () => {
  it('zeroes the bytes it imports, whether the share is accepted or not', () => {
    const pub = toy();
    const good = Buffer.from([11]);
    KeyShare.import(pub, 1, good).destroy();
    assert.deepEqual([...good], [0]);
    for (const bad of [Buffer.from([12]), Buffer.from([0]), Buffer.from([253]), Buffer.from([1, 2])]) {
      assert.throws(() => KeyShare.import(pub, 1, bad), { code: 'INVALID_SHARE' });
      assert.ok(bad.every((b) => b === 0));
    }
    const wrongIndex = Buffer.from([11]);
    assert.throws(() => KeyShare.import(pub, 4, wrongIndex), { code: 'INVALID_SHARE' });
    assert.deepEqual([...wrongIndex], [0]);
  });

  it('shows nothing of the share in strings, JSON, inspection or enumerable properties', async () => {
    const key = await testKey({ bits: 1024, shares: 3 });
    const share = key.shares[0];
    if (share === undefined) throw new Error('no share');
    const secretHex = share.exportSecret();
    const needle = secretHex.subarray(-12).toString('hex');
    secretHex.fill(0);
    const views = [String(share), JSON.stringify(share), inspect(share, { showHidden: true, depth: 9 })];
    for (const view of views) assert.ok(!view.includes(needle), view);
    assert.equal(String(share), 'KeyShare(#1 of 3, sealed)');
    assert.deepEqual(Object.keys(share), ['publicKey', 'index']);
    destroyAll(key);
  });

  it('exports bytes that import back to a share signing identically', async () => {
    const key = await testKey({ bits: 2048, shares: 3 });
    const [s1] = key.shares;
    if (s1 === undefined) throw new Error('no share');
    const bytes = s1.exportSecret();
    assert.equal(bytes.length, 256);
    const again = KeyShare.import(key.publicKey, 1, bytes);
    assert.ok(bytes.every((b) => b === 0));
    assert.equal(again.sign(12345n).xi, s1.sign(12345n).xi);
    again.destroy();
    destroyAll(key);
  });

  // The native side raises x to 2Δ first and then to s_i; whether 2Δ fits one word (5 shares) or
  // not (21 shares: 2·21! has 67 bits), the share must be exactly x^(2Δ·s_i).
  for (const shares of [5, 21]) {
    it(`signs x^(2Δ·s_i) mod n exactly, synchronously and on the pool, with ${shares} shares`, async () => {
      const key = await testKey({ bits: 1024, shares, threshold: 3 });
      const pub = key.publicKey;
      const x = (3n ** 700n) % pub.n;
      for (const share of [key.shares[0], key.shares[shares - 1]]) {
        if (share === undefined) throw new Error('no share');
        const bytes = share.exportSecret();
        const si = BigInt(`0x${bytes.toString('hex')}`);
        bytes.fill(0);
        const want = powMod(x, 2n * pub.delta * si, pub.n);
        assert.equal(share.sign(x).xi, want);
        assert.equal((await share.signAsync(x)).xi, want);
      }
      destroyAll(key);
    });
  }

  it('refuses to sign with a destroyed share, and destroy is idempotent', async () => {
    const key = await testKey({ bits: 1024, shares: 3 });
    const [s1] = key.shares;
    if (s1 === undefined) throw new Error('no share');
    s1.destroy();
    s1.destroy();
    assert.ok(s1.destroyed);
    assert.equal(String(s1), 'KeyShare(#1 of 3, destroyed)');
    assert.throws(() => s1.sign(2n), { code: 'KOFN_BN_DESTROYED' });
    await assert.rejects(s1.signAsync(2n), { code: 'KOFN_BN_DESTROYED' });
    assert.throws(() => s1.exportSecret(), { code: 'KOFN_BN_DESTROYED' });
    destroyAll(key);
  });

  it('finishes in-flight signatures started before destroy, then wipes', async () => {
    const key = await testKey({ bits: 2048, shares: 3 });
    const [s1] = key.shares;
    if (s1 === undefined) throw new Error('no share');
    const expected = s1.sign(99n).xi;
    const pending = Array.from({ length: 8 }, () => s1.signAsync(99n));
    s1.destroy();
    assert.ok(s1.destroyed);
    for (const r of await Promise.all(pending)) assert.equal(r.xi, expected);
    assert.throws(() => s1.sign(99n), { code: 'KOFN_BN_DESTROYED' });
    destroyAll(key);
  });

  it('consumes a proof nonce: a second response to one commitment fails closed', () => {
    const pub = toy();
    const bytes = Buffer.from([11]);
    const secret = native.secretImport(pub.modulus, bytes, 12n);
    const { commitments, nonce } = native.proofCommit(secret, [4n, 163n], 520);
    assert.equal(commitments.length, 2);
    native.proofRespond(nonce, secret, 5n);
    assert.throws(() => native.proofRespond(nonce, secret, 6n), { code: 'KOFN_BN_NONCE_REUSED' });
    native.secretDestroy(secret);
  });

  it('proves shares off the event loop, with proofs that verify, and fails closed if destroyed meanwhile', async () => {
    const key = await testKey({ bits: 2048, shares: 3 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const proven = await Promise.all(
      key.shares.flatMap((s) => [s.signWithProofAsync(777n), s.signWithProofAsync(778n)]),
    );
    clearInterval(timer);
    assert.ok(ticks > 0, 'the event loop kept running');
    for (const [i, p] of proven.entries()) {
      const x = i % 2 === 0 ? 777n : 778n;
      assert.ok(p.proof && verifyShareProof(key.publicKey, x, p.index, p.xi, p.proof));
      assert.equal(p.xi, key.shares[p.index - 1]?.sign(x).xi);
    }
    const [s1] = key.shares;
    if (s1 === undefined) throw new Error('no share');
    // The response step needs s_i again: a share destroyed meanwhile fails closed, it is not revived.
    const pending = s1.signWithProofAsync(779n);
    s1.destroy();
    await assert.rejects(pending, { code: 'KOFN_BN_DESTROYED' });
    destroyAll(key);
  });

  it('rejects handles of the wrong kind and plain objects without crashing', () => {
    const pub = toy();
    const asAny = native as unknown as Record<string, (...a: unknown[]) => unknown>;
    const shareSign = asAny.shareSign;
    const secretImport = asAny.secretImport;
    assert.ok(shareSign && secretImport);
    assert.throws(() => shareSign(pub.modulus, 5n), { code: 'KOFN_BN_HANDLE' });
    assert.throws(() => shareSign({}, 5n), { code: 'KOFN_BN_HANDLE' });
    assert.throws(() => shareSign(null, 5n), { code: 'KOFN_BN_HANDLE' });
    assert.throws(() => secretImport(pub.modulus, 'not a buffer', 12n), { code: 'KOFN_BN_ARGUMENT' });
    assert.throws(() => native.multiPowPublic(pub.modulus, [300n], [1n]), { code: 'KOFN_BN_ARGUMENT' });
    assert.throws(() => native.multiPowPublic(pub.modulus, [11n], [-1n]), { code: 'KOFN_BN_NOT_INVERTIBLE' });
    assert.throws(() => native.modulus(10n), { code: 'KOFN_BN_ARGUMENT' });
    assert.equal(JSON.stringify(pub.modulus), '{}');
    assert.ok(Object.isFrozen(pub.modulus));
  });
});
