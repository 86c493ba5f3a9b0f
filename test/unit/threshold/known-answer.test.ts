/**
 * Known answers for Shoup's scheme with parameters small enough to check on paper.
 * Section numbers refer to V. Shoup, "Practical Threshold Signatures", EUROCRYPT 2000.
 *
 * The toy key (section 3, "The dealer"):
 *   p = 2·11 + 1 = 23, q = 2·5 + 1 = 11, n = 253, m = p'q' = 55
 *   l = 3 players, k = 2, Δ = 3! = 6, e = 7 (prime > l, gcd(7, 55) = 1)
 *   d = 7⁻¹ mod 55 = 8            (7·8 = 56 = 55 + 1)
 *   f(X) = 8 + 3X                  (a_0 = d, a_1 = 3)
 *   s_1 = 11, s_2 = 14, s_3 = 17
 *   v = 4 = 2² (a square unit),   v_i = v^{s_i}: v_1 = 4^11 = 70, v_2 = 4^14 = 179, v_3 = 4^17 = 71 (mod 253)
 *
 * Message representative x = 5.
 * Signature shares (section 3, "Signature shares"), x_i = x^{2Δs_i} = 5^{12·s_i}:
 *   x_1 = 5^132 = 47,  x_2 = 5^168 = 59,  x_3 = 5^204 = 31 (mod 253)
 * Combination (section 3, "Combining shares") for S = {1, 2}:
 *   λ_{0,1} = Δ·(0−2)/(1−2) = 12,  λ_{0,2} = Δ·(0−1)/(2−1) = −6
 *   w = x_1^{2·12} · x_2^{2·(−6)} = 47^24 · 59^−12 = 223, and w^e = x^{e'} with e' = 4Δ² = 144
 *   e'a + eb = 1: 144 = 20·7 + 4, 7 = 4 + 3, 4 = 3 + 1 ⇒ 1 = 2·144 − 41·7, so a = 2, b = −41
 *   y = w^2 · x^−41 = 191, and indeed 191^7 ≡ 5 (mod 253).
 * With S = {1, 3}: λ = (9, −3); S = {2, 3}: λ = (18, −12); both give the same w = 223 and y = 191.
 * y is the unique e-th root of x, so it is also x^{7⁻¹ mod φ(n)} = 5^63 mod 253 = 191.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  combinationExponents,
  combineShares,
  combineSubset,
  delta,
  KeyShare,
  lagrangeAtZero,
  PROOF_LABEL,
  proofChallenge,
  ThresholdPublicKey,
  verifyShareProof,
} from '../../../src/threshold/rsa/index.js';

const toy = () => new ThresholdPublicKey(253n, 7n, 2, 3, 4n, [70n, 179n, 71n]);
const share = (pub: ThresholdPublicKey, i: number, s: number) => KeyShare.import(pub, i, Buffer.from([s]));

describe('Shoup threshold RSA on a key small enough to check by hand', () => {
  it('uses Δ = l! and the hand-derived exponents a = 2, b = −41', () => {
    assert.equal(delta(3), 6n);
    assert.equal(delta(5), 120n);
    assert.deepEqual(combinationExponents(6n, 7n), { a: 2n, b: -41n });
  });

  it('computes the integer Lagrange coefficients of every pair', () => {
    assert.deepEqual([lagrangeAtZero(6n, [1, 2], 1), lagrangeAtZero(6n, [1, 2], 2)], [12n, -6n]);
    assert.deepEqual([lagrangeAtZero(6n, [1, 3], 1), lagrangeAtZero(6n, [1, 3], 3)], [9n, -3n]);
    assert.deepEqual([lagrangeAtZero(6n, [2, 3], 2), lagrangeAtZero(6n, [2, 3], 3)], [18n, -12n]);
  });

  it('imports the shares s_i and checks them against v_i', () => {
    const pub = toy();
    for (const [i, s] of [
      [1, 11],
      [2, 14],
      [3, 17],
    ] as const) {
      share(pub, i, s).destroy();
    }
    assert.throws(() => share(pub, 1, 12), { code: 'INVALID_SHARE' });
  });

  it('produces the signature shares x_i = x^{2Δs_i} = 47, 59, 31', () => {
    const pub = toy();
    const shares = [share(pub, 1, 11), share(pub, 2, 14), share(pub, 3, 17)];
    assert.deepEqual(
      shares.map((s) => s.sign(5n).xi),
      [47n, 59n, 31n],
    );
    for (const s of shares) s.destroy();
  });

  it('combines every pair of shares into y = 191, the e-th root of x', () => {
    const pub = toy();
    const xs = [
      { index: 1, xi: 47n },
      { index: 2, xi: 59n },
      { index: 3, xi: 31n },
    ];
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const pair = [xs[a], xs[b]].filter((s) => s !== undefined);
      assert.equal(combineSubset(pub, 5n, pair), 191n);
    }
    assert.equal(combineShares(pub, 5n, xs).y, 191n);
    assert.ok(pub.verifyRepresentative(5n, 191n));
    assert.ok(!pub.verifyRepresentative(5n, 190n));
  });

  it('hashes the proof input in the documented v1 layout (section 3, "Verifying the signature shares")', () => {
    const pub = toy();
    // For share 1 with nonce r = 1000003:
    //   x̃ = x^{4Δ} = 5^24 = 163, x_1² = 47² = 185, v' = v^r = 141, x' = x̃^r = 223 (mod 253)
    // Layout: lp(label) ‖ u32(i) ‖ lp(n) ‖ lp(v) ‖ lp(x̃) ‖ lp(v_i) ‖ lp(x_i²) ‖ lp(v') ‖ lp(x'),
    // lp(b) = u32(|b|) ‖ b, group elements as byteLength(n) = 1 byte.
    const input = Buffer.concat([
      Buffer.from('0000001d', 'hex'),
      Buffer.from(PROOF_LABEL, 'utf8'),
      Buffer.from('00000001', 'hex'), // i = 1
      Buffer.from('00000001fd', 'hex'), // n = 253
      Buffer.from('0000000104', 'hex'), // v = 4
      Buffer.from('00000001a3', 'hex'), // x̃ = 163
      Buffer.from('0000000146', 'hex'), // v_1 = 70
      Buffer.from('00000001b9', 'hex'), // x_1² = 185
      Buffer.from('000000018d', 'hex'), // v' = 141
      Buffer.from('00000001df', 'hex'), // x' = 223
    ]);
    const c = BigInt(`0x${createHash('sha256').update(input).digest('hex')}`);
    assert.equal(c, 0xe8acfde71eba6e6abd767bba1ef9b33b90cf733a67b7e93cfc3035aada75e89en);
    assert.equal(proofChallenge(pub, 1, 163n, 185n, 141n, 223n), c);

    // z = s_1·c + r; the verifier recomputes v^z·v_1^{−c} = v' and x̃^z·x_1^{−2c} = x'.
    const z = 11n * c + 1000003n;
    assert.ok(verifyShareProof(pub, 5n, 1, 47n, { c, z }));
    assert.ok(!verifyShareProof(pub, 5n, 1, 47n, { c, z: z + 1n }));
    assert.ok(!verifyShareProof(pub, 5n, 1, 48n, { c, z }));
    assert.ok(!verifyShareProof(pub, 5n, 2, 47n, { c, z }));
    assert.ok(!verifyShareProof(pub, 6n, 1, 47n, { c, z }));
  });

  it('produces proofs that verify, and names the share that lies', () => {
    const pub = toy();
    const shares = [share(pub, 1, 11), share(pub, 2, 14), share(pub, 3, 17)];
    const proven = shares.map((s) => s.signWithProof(5n));
    for (const p of proven) {
      assert.ok(p.proof !== undefined && verifyShareProof(pub, 5n, p.index, p.xi, p.proof));
    }
    const lying = proven.map((p) => (p.index === 1 ? { ...p, xi: 48n } : p));
    const r = combineShares(pub, 5n, lying);
    assert.equal(r.y, 191n);
    assert.deepEqual(r.invalid, [1]);
    assert.deepEqual(r.used, [2, 3]);
    for (const s of shares) s.destroy();
  });
});
