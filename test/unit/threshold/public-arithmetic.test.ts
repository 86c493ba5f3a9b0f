import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { native } from '../../../src/threshold/native.js';
import { extendedGcd } from '../../../src/threshold/rsa/lagrange.js';
import { invert, powMod } from '../../helpers/bigint.js';

/** A random unit modulo n of about `bytes` bytes (n is random, so small factors are common). */
function randomUnit(n: bigint, bytes: number): bigint {
  for (;;) {
    const b = BigInt(`0x${randomBytes(bytes).toString('hex')}`) % n;
    if (extendedGcd(b, n)[2] === 1n) return b;
  }
}

describe('Public multi-exponentiation', () => {
  it('agrees with the BigInt reference for 2048-bit moduli, edge bases, and short and long exponents of either sign', () => {
    for (let round = 0; round < 20; round++) {
      const n = BigInt(`0x${randomBytes(256).toString('hex')}`) | (1n << 2047n) | 1n;
      const mod = native.modulus(n);
      // 1 and n − 1 are their own inverses; small bases have few bytes, which the conversions must keep.
      const bases = [1n, 2n, n - 1n, randomUnit(n, 8), randomUnit(n, 256), randomUnit(n, 256)];
      const exps = [-3n, -(2n ** 20n) - 7n, -1n, 12345n, -65537n, 0n];
      const want = bases.reduce((acc, b, i) => (acc * powMod(b, exps[i] ?? 0n, n)) % n, 1n);
      assert.equal(native.multiPowPublic(mod, bases, exps), want);
      // Exponents as long as a proof's z take the windowed path instead of the shared squarings.
      const big = [randomUnit(n, 288), -randomUnit(n, 288), 3n, -(2n ** 64n), 2n ** 64n + 1n, 0n];
      const wantBig = bases.reduce((acc, b, i) => (acc * powMod(b, big[i] ?? 0n, n)) % n, 1n);
      assert.equal(native.multiPowPublic(mod, bases, big), wantBig);
      for (const [i, b] of bases.entries()) {
        assert.equal(native.multiPowPublic(mod, [b], [-1n]), invert(b, n), `base ${i}`);
      }
    }
  });

  it('refuses to invert a base sharing a factor with the modulus, or zero', () => {
    const n = 101n * 103n;
    const mod = native.modulus(n);
    for (const b of [101n, 103n * 5n, 0n]) {
      assert.throws(() => native.multiPowPublic(mod, [b], [-2n]), { code: 'KOFN_BN_NOT_INVERTIBLE' });
    }
    // One bad base among several inverted together spoils the whole batch, and is refused.
    assert.throws(() => native.multiPowPublic(mod, [2n, 101n, 3n], [-1n, -5n, -1n]), { code: 'KOFN_BN_NOT_INVERTIBLE' });
    assert.throws(() => native.multiPowPublic(mod, [2n, 101n], [-1n, -(2n ** 70n)]), { code: 'KOFN_BN_NOT_INVERTIBLE' });
    assert.equal(native.multiPowPublic(mod, [0n], [2n]), 0n);
    assert.equal(native.multiPowPublic(mod, [0n, 5n], [0n, 0n]), 1n);
    assert.equal(native.multiPowPublic(mod, [0n], [-0n]), 1n);
  });
});
