/**
 * Parameters of Shoup's scheme (EUROCRYPT 2000, section 2): l players, threshold k, Δ = l!,
 * public exponent e a prime greater than l.
 */
import { checkPrimeSync } from 'node:crypto';
import { ThresholdError } from './errors.js';

export const MAX_PLAYERS = 64;
export const SUPPORTED_BITS: readonly number[] = [1024, 2048, 3072, 4096];
export const MIN_BITS = 1024;
export const MAX_BITS = 4096;
export const DEFAULT_E = 65537n;

/** The smallest k that is a strict majority of l. */
export function defaultThreshold(l: number): number {
  return Math.floor(l / 2) + 1;
}

/** Δ = l! (section 3). */
export function delta(l: number): bigint {
  let d = 1n;
  for (let i = 2n; i <= BigInt(l); i++) d *= i;
  return d;
}

export interface SchemeParameters {
  bits: number;
  l: number;
  k: number;
  e: bigint;
}

/** Throws INVALID_PARAMETERS for what cannot work; returns warnings for what is merely unwise. */
export function validateParameters(p: SchemeParameters): string[] {
  const fail = (msg: string): never => {
    throw new ThresholdError('INVALID_PARAMETERS', msg);
  };
  if (!Number.isInteger(p.l) || p.l < 1 || p.l > MAX_PLAYERS) fail(`n (shares) must be 1..${MAX_PLAYERS}`);
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > p.l) fail(`k must be 1..n (n = ${p.l})`);
  if (!Number.isInteger(p.bits) || p.bits < MIN_BITS || p.bits > MAX_BITS || p.bits % 2 !== 0) {
    fail(`modulus size must be an even number of bits in ${MIN_BITS}..${MAX_BITS}`);
  }
  if (p.e < 3n || p.e <= BigInt(p.l) || p.e % 2n === 0n || !checkPrimeSync(p.e)) {
    fail('public exponent must be an odd prime greater than n');
  }
  const warnings: string[] = [];
  if (p.k <= p.l / 2) {
    warnings.push(
      `threshold ${p.k}-of-${p.l} is not a majority: two disjoint groups of ${p.k} nodes can each sign`,
    );
  }
  return warnings;
}
