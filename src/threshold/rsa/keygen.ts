/**
 * The trusted dealer (Shoup 2000, section 3 "The dealer"): safe primes p = 2p'+1, q = 2q'+1, n = pq
 * of exactly the requested size, d = e^{-1} mod m (m = p'q'), a random polynomial of degree k−1 over
 * Z_m with f(0) = d, shares s_i = f(i), a random square v and v_i = v^{s_i}.
 *
 * All of that runs in native code on secure-heap BIGNUMs that are cleared before `deal` returns;
 * the primes arrive from OpenSSL's generator as ArrayBuffers that are zeroed once read.
 */
import { generatePrime } from 'node:crypto';
import { bitLength } from '../bytes.js';
import { native } from '../native.js';
import { ThresholdError } from './errors.js';
import { KeyShare } from './key-share.js';
import { DEFAULT_E, defaultThreshold, delta, validateParameters } from './params.js';
import { ThresholdPublicKey } from './public-key.js';

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
  let dealt: ReturnType<typeof native.deal>;
  try {
    dealt = native.deal(p, q, e, k, l, 2n * delta(l));
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ThresholdError(
      'INVALID_PARAMETERS',
      code === 'KOFN_BN_ARGUMENT' ? (err as Error).message : 'dealing failed',
    );
  }
  if (bitLength(dealt.n) !== bits) {
    for (const s of dealt.shares) native.secretDestroy(s);
    throw new ThresholdError(
      'INVALID_PARAMETERS',
      `primes give a ${bitLength(dealt.n)}-bit modulus, not ${bits}`,
    );
  }
  const publicKey = new ThresholdPublicKey(dealt.n, e, k, l, dealt.v, dealt.vks);
  const shares = dealt.shares.map((h, i) => KeyShare.fromDealer(publicKey, i + 1, h));
  return { publicKey, shares, warnings };
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
