/**
 * Integer Lagrange coefficients and the final exponent adjustment of Shoup's combination
 * (section 3, "Share combining").
 */

/**
 * λ^S_{0,j} = Δ · Π_{j' ∈ S∖{j}} (0 − j') / Π_{j' ∈ S∖{j}} (j − j'). Section 3 (lemma 2) shows Δ makes
 * this an integer; the division below is checked to be exact.
 */
export function lagrangeAtZero(delta: bigint, subset: readonly number[], j: number): bigint {
  let num = delta;
  let den = 1n;
  for (const jp of subset) {
    if (jp === j) continue;
    num *= BigInt(-jp);
    den *= BigInt(j - jp);
  }
  if (num % den !== 0n)
    throw new Error('Lagrange coefficient is not an integer: Δ does not cover the subset');
  return num / den;
}

/** Extended Euclid: returns [a, b, g] with a·x + b·y = g = gcd(x, y). */
export function extendedGcd(x: bigint, y: bigint): [bigint, bigint, bigint] {
  let [r0, r1] = [x, y];
  let [s0, s1] = [1n, 0n];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return r0 < 0n ? [-s0, -t0, -r0] : [s0, t0, r0];
}

/** (a, b) with e'·a + e·b = 1 for e' = 4Δ² (section 3): y = w^a · x^b then satisfies y^e = x. */
export function combinationExponents(delta: bigint, e: bigint): { a: bigint; b: bigint } {
  const ePrime = 4n * delta * delta;
  const [a, b, g] = extendedGcd(ePrime, e);
  if (g !== 1n) throw new Error('gcd(4Δ², e) ≠ 1: e must be a prime greater than n');
  return { a, b };
}
