import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { delta, extendedGcd, lagrangeAtZero } from '../../../src/threshold/rsa/index.js';
import { subsets } from '../../helpers/keys.js';

describe('Integer Lagrange interpolation (Shoup §3, lemma 2)', () => {
  it('recovers Δ·f(0) from every k-subset of the points of a random integer polynomial', () => {
    for (const [k, l] of [
      [2, 3],
      [3, 5],
      [4, 7],
      [5, 9],
    ] as const) {
      const coeffs = Array.from({ length: k }, () => BigInt(randomInt(-1_000_000, 1_000_000)));
      const f = (i: number) => coeffs.reduceRight((acc, a) => acc * BigInt(i) + a, 0n);
      const d = delta(l);
      const points = Array.from({ length: l }, (_, i) => i + 1);
      for (const subset of subsets(points, k)) {
        const sum = subset.reduce((acc, j) => acc + lagrangeAtZero(d, subset, j) * f(j), 0n);
        assert.equal(sum, d * (coeffs[0] ?? 0n), `subset ${subset.join(',')}`);
      }
    }
  });

  it('stays integral for the largest clusters (l = 64)', () => {
    const d = delta(64);
    const subset = Array.from({ length: 33 }, (_, i) => 64 - 2 * i).filter((j) => j > 0);
    for (const j of subset) assert.equal(typeof lagrangeAtZero(d, subset, j), 'bigint');
  });

  it('finds Bézout coefficients with a·x + b·y = gcd', () => {
    for (let i = 0; i < 200; i++) {
      const x = BigInt(randomInt(1, 2 ** 47));
      const y = BigInt(randomInt(1, 2 ** 47));
      const [a, b, g] = extendedGcd(x, y);
      assert.equal(a * x + b * y, g);
      assert.equal(x % g, 0n);
      assert.equal(y % g, 0n);
    }
  });
});
