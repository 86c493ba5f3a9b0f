/** Reference modular arithmetic in BigInt for tests: slow, obviously correct. */
import { extendedGcd } from '../../src/threshold/rsa/lagrange.js';

/** b^e mod n; a negative e inverts b first. */
export function powMod(b: bigint, e: bigint, n: bigint): bigint {
  let base = e < 0n ? invert(b, n) : b % n;
  let exp = e < 0n ? -e : e;
  let r = 1n;
  while (exp > 0n) {
    if (exp & 1n) r = (r * base) % n;
    base = (base * base) % n;
    exp >>= 1n;
  }
  return r;
}

export function invert(a: bigint, n: bigint): bigint {
  const [s, , g] = extendedGcd(a, n);
  if (g !== 1n) throw new Error('not invertible');
  return ((s % n) + n) % n;
}
