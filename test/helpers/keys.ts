/** Test keys: live dealing for small sizes, fixture safe primes for the slow ones. */
import { readFileSync } from 'node:fs';
import {
  type DealtKey,
  dealFromPrimes,
  generateKey,
  type KeyGenOptions,
} from '../../src/threshold/rsa/index.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/safe-primes.json', import.meta.url), 'utf8'),
) as Record<string, [string, string]>;

/** A freshly dealt key; sizes above 1024 use the fixture's safe primes (a new polynomial each time). */
export async function testKey(opts: KeyGenOptions & { bits: number }): Promise<DealtKey> {
  const primes = fixture[String(opts.bits)];
  if (primes === undefined) return generateKey(opts);
  const [p, q] = primes.map((h) => Buffer.from(h, 'hex'));
  if (p === undefined || q === undefined) throw new Error('bad fixture');
  return dealFromPrimes(p, q, opts);
}

export function destroyAll(key: DealtKey): void {
  for (const s of key.shares) s.destroy();
}

/** All k-element subsets of xs, in lexicographic order. */
export function subsets<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const rest of subsets(xs.slice(i + 1), k - 1)) out.push([x, ...rest]);
  });
  return out;
}
