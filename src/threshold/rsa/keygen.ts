/**
 * The trusted dealer (Shoup 2000, section 3 "The dealer"): safe primes p = 2p'+1, q = 2q'+1, n = pq
 * of exactly the requested size, d = e^{-1} mod m (m = p'q'), a random polynomial of degree k−1 over
 * Z_m with f(0) = d, shares s_i = f(i), a random square v and v_i = v^{s_i}.
 *
 * An imported key (one made elsewhere, from ordinary primes) is dealt the same way over
 * Z_λ(n), λ(n) = lcm(p−1, q−1), instead: see `dealImported` and docs/threshold-rsa.md.
 *
 * All of that runs in native code on secure-heap BIGNUMs that are cleared before `deal` returns;
 * the primes arrive from OpenSSL's generator as ArrayBuffers that are zeroed once read.
 */
import { generatePrime } from 'node:crypto';
import { bitLength } from '../bytes.js';
import { native, type Sharing } from '../native.js';
import { ThresholdError } from './errors.js';
import { KeyShare } from './key-share.js';
import { extendedGcd } from './lagrange.js';
import {
  DEFAULT_E,
  defaultThreshold,
  delta,
  MAX_BITS,
  MIN_BITS,
  validateParameters,
  validatePlayers,
} from './params.js';
import { ThresholdPublicKey } from './public-key.js';

export type { Sharing } from '../native.js';

export interface KeyGenOptions {
  /** Modulus size in bits: 1024, 2048, 3072 or 4096 (any even size in 1024..4096). Default 2048. */
  bits?: number;
  /** Number of shares (players), 1..64. Default 5. */
  shares?: number;
  /** Shares needed to sign. Default ⌊n/2⌋+1. */
  threshold?: number;
  /** Public exponent: a prime greater than the number of shares. Default 65537. */
  e?: bigint;
}

export interface DealtKey {
  publicKey: ThresholdPublicKey;
  /** shares[i] has index i+1. Ship each to its node, then destroy() it. */
  shares: KeyShare[];
  /** Non-fatal concerns, e.g. a threshold that is not a majority. */
  warnings: string[];
  /** 'safe-prime' for a key kofn generated, 'lambda' for an imported one. */
  sharing: Sharing;
}

export interface ImportDealOptions {
  /** The key's public exponent. */
  e: bigint;
  /** Number of shares (players), 1..64. */
  shares: number;
  /** Shares needed to sign. */
  threshold: number;
  /** The key's public modulus, when the source states it: the dealt n must equal it. */
  n?: bigint;
}

/** Safe primes as big-endian bytes in fresh buffers the dealer will zero. */
export type PrimeSource = (bits: number) => Promise<Buffer>;

export const opensslSafePrime: PrimeSource = (bits) =>
  new Promise((resolve, reject) => {
    // OpenSSL sets the top two bits of every candidate, so the product of two such primes has
    // exactly 2·bits bits; `deal` still checks it.
    generatePrime(bits, { safe: true }, (err, prime) => (err ? reject(err) : resolve(Buffer.from(prime))));
  });

function resolveOptions(opts: KeyGenOptions) {
  const bits = opts.bits ?? 2048;
  const l = opts.shares ?? 5;
  const k = opts.threshold ?? defaultThreshold(l);
  const e = opts.e ?? DEFAULT_E;
  const warnings = validateParameters({ bits, l, k, e });
  return { bits, l, k, e, warnings };
}

/** Runs the native dealer; p and q are zeroed by it whatever happens. */
function deal(p: Buffer, q: Buffer, e: bigint, k: number, l: number, sharing: Sharing) {
  try {
    return native.deal(p, q, e, k, l, 2n * delta(l), sharing);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ThresholdError(
      'INVALID_PARAMETERS',
      code === 'KOFN_BN_ARGUMENT' ? (err as Error).message : 'dealing failed',
    );
  }
}

function finish(
  dealt: ReturnType<typeof native.deal>,
  e: bigint,
  k: number,
  l: number,
  warnings: string[],
  sharing: Sharing,
): DealtKey {
  const publicKey = new ThresholdPublicKey(dealt.n, e, k, l, dealt.v, dealt.vks);
  const shares = dealt.shares.map((h, i) => KeyShare.fromDealer(publicKey, i + 1, h));
  return { publicKey, shares, warnings, sharing };
}

function refuse(dealt: ReturnType<typeof native.deal>, message: string): never {
  for (const s of dealt.shares) native.secretDestroy(s);
  throw new ThresholdError('INVALID_PARAMETERS', message);
}

/**
 * Deals a key from the given safe primes (both zeroed, whatever happens). Used by `generateKey`
 * and by callers that keep a pool of pre-generated safe primes.
 */
export function dealFromPrimes(p: Buffer, q: Buffer, opts: KeyGenOptions = {}): DealtKey {
  let params: ReturnType<typeof resolveOptions>;
  try {
    params = resolveOptions(opts);
  } catch (err) {
    p.fill(0);
    q.fill(0);
    throw err;
  }
  const { bits, l, k, e, warnings } = params;
  const dealt = deal(p, q, e, k, l, 'safe-prime');
  if (bitLength(dealt.n) !== bits) refuse(dealt, `primes give a ${bitLength(dealt.n)}-bit modulus, not ${bits}`);
  return finish(dealt, e, k, l, warnings, 'safe-prime');
}

/**
 * What an imported key must satisfy before its primes reach the dealer. e need not be prime here
 * (the key exists already); what the combination needs is gcd(e, 4Δ²) = 1, i.e. no prime factor of
 * e is at most l, which e > l alone does not give when e is composite.
 */
function checkImport(opts: ImportDealOptions): string[] {
  const fail = (msg: string): never => {
    throw new ThresholdError('INVALID_PARAMETERS', msg);
  };
  const { e, shares: l, threshold: k } = opts;
  const warnings = validatePlayers(l, k);
  if (typeof e !== 'bigint' || e < 3n || e % 2n === 0n) {
    fail(`the key's public exponent ${String(e)} is not an odd number of at least 3: not an RSA key kofn can share`);
  }
  if (e <= BigInt(l)) {
    fail(
      `the key's public exponent e = ${e} is not greater than the number of shares (${l}): ` +
      `threshold RSA needs gcd(e, 4·${l}!²) = 1, so this key cannot be split among ${l} nodes; ` +
      'roll it over to a kofn-generated key (e = 65537) instead',
    );
  }
  const [, , g] = extendedGcd(4n * delta(l) ** 2n, e);
  if (g !== 1n) {
    fail(
      `the key's public exponent e = ${e} is divisible by ${g}, which divides 4·${l}!²: threshold RSA ` +
      `needs gcd(e, 4Δ²) = 1 (Δ = ${l}!), so this key cannot be split among ${l} nodes; ` +
      'use fewer nodes or roll the key over',
    );
  }
  return warnings;
}

/**
 * Deals an existing RSA key (say one migrated from SoftHSM2 or BIND) whose primes are not safe
 * primes. The private exponent d = e^{-1} mod λ(n) is shared over Z_λ(n); signing, proofs and
 * combination are Shoup's, unchanged. p and q (big-endian) are zeroed whatever happens. Refuses a
 * modulus outside 1024..4096 bits, an even e, e ≤ shares, gcd(e, 4Δ²) ≠ 1 and gcd(e, λ(n)) ≠ 1.
 * What this weakens, and why it is acceptable: docs/threshold-rsa.md, "Imported keys".
 */
export function dealImported(p: Buffer, q: Buffer, opts: ImportDealOptions): DealtKey {
  let warnings: string[];
  try {
    warnings = checkImport(opts);
  } catch (err) {
    p.fill(0);
    q.fill(0);
    throw err;
  }
  const { e, shares: l, threshold: k } = opts;
  const dealt = deal(p, q, e, k, l, 'lambda');
  const bits = bitLength(dealt.n);
  if (bits < MIN_BITS || bits > MAX_BITS) {
    refuse(dealt, `the key has a ${bits}-bit modulus: kofn shares moduli of ${MIN_BITS} to ${MAX_BITS} bits`);
  }
  if (opts.n !== undefined && dealt.n !== opts.n) {
    refuse(dealt, 'p·q is not the key\'s public modulus: the key file is inconsistent');
  }
  return finish(dealt, e, k, l, warnings, 'lambda');
}

/** Generates and deals a fresh key. A 2048-bit key takes seconds (two 1024-bit safe primes). */
export async function generateKey(
  opts: KeyGenOptions = {},
  primes: PrimeSource = opensslSafePrime,
): Promise<DealtKey> {
  const { bits } = resolveOptions(opts);
  for (;;) {
    const [p, q] = await Promise.all([primes(bits / 2), primes(bits / 2)]);
    if (p.equals(q)) {
      p.fill(0);
      q.fill(0);
      continue;
    }
    return dealFromPrimes(p, q, opts);
  }
}
