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

function fail(msg: string): never {
  throw new ThresholdError('INVALID_PARAMETERS', msg);
}

/**
 * l players and threshold k, for generated and imported keys alike: throws INVALID_PARAMETERS for
 * what cannot work, and returns a warning for a threshold that is not a majority.
 */
export function validatePlayers(l: number, k: number): string[] {
  if (!Number.isInteger(l) || l < 1 || l > MAX_PLAYERS) fail(`n (shares) must be 1..${MAX_PLAYERS}`);
  if (!Number.isInteger(k) || k < 1 || k > l) fail(`k must be 1..n (n = ${l})`);
  return k <= l / 2
    ? [`threshold ${k}-of-${l} is not a majority: two disjoint groups of ${k} nodes can each sign`]
    : [];
}

/** Throws INVALID_PARAMETERS for what cannot work; returns warnings for what is merely unwise. */
export function validateParameters(p: SchemeParameters): string[] {
  const warnings = validatePlayers(p.l, p.k);
  if (!Number.isInteger(p.bits) || p.bits < MIN_BITS || p.bits > MAX_BITS || p.bits % 2 !== 0) {
    fail(`modulus size must be an even number of bits in ${MIN_BITS}..${MAX_BITS}`);
  }
  if (p.e < 3n || p.e <= BigInt(p.l) || p.e % 2n === 0n || !checkPrimeSync(p.e)) {
    fail('public exponent must be an odd prime greater than n');
  }
  return warnings;
}
