/**
 * Share combination (Shoup 2000, section 3 "Combining shares"): for a set S of k valid shares,
 * w = Π_{j∈S} x_j^{2λ^S_{0,j}} satisfies w^e = x^{e'} with e' = 4Δ², and y = w^a·x^b with
 * e'a + eb = 1 is the signature: y^e = x.
 *
 * Optimistic: combine the first k shares without proofs and check y^e = x (one cheap public
 * exponentiation). Only when that fails are proofs checked; bad shares are dropped and the
 * combination is redone from proven ones. A y that does not verify is never returned.
 */
import { native } from '../native.js';
import { ThresholdError } from './errors.js';
import { checkRepresentative, type SignatureShare } from './key-share.js';
import { lagrangeAtZero } from './lagrange.js';
import { verifyShareProof } from './proof.js';
import type { ThresholdPublicKey } from './public-key.js';

export interface CombineResult {
  /** The RSA signature as an integer: y^e ≡ x (mod n). */
  y: bigint;
  /** Indices whose shares went into y. */
  used: number[];
  /** Indices whose proof failed: the caller should record these nodes as faulty. */
  invalid: number[];
}

/**
 * y from exactly k shares, trusting them. w = Π x_j^{2λ_j} and y = w^a·x^b are folded into one
 * multi-exponentiation, y = Π x_j^{2λ_j·a} · x^b, so that the native side inverts only once.
 * Throws COMBINE_FAILED if a share is not a unit.
 */
export function combineSubset(pub: ThresholdPublicKey, x: bigint, shares: readonly SignatureShare[]): bigint {
  const subset = shares.map((s) => s.index);
  const { a, b } = pub.combination;
  const exps = subset.map((j) => 2n * lagrangeAtZero(pub.delta, subset, j) * a);
  try {
    return native.multiPowPublic(pub.modulus, [...shares.map((s) => s.xi), x], [...exps, b]);
  } catch {
    throw new ThresholdError('COMBINE_FAILED', 'a signature share is not invertible modulo n');
  }
}

function wellFormed(pub: ThresholdPublicKey, shares: readonly SignatureShare[]): SignatureShare[] {
  const seen = new Set<number>();
  const out: SignatureShare[] = [];
  for (const s of shares) {
    if (!Number.isInteger(s.index) || s.index < 1 || s.index > pub.l) {
      throw new ThresholdError('INVALID_SHARE', `share index ${s.index} is not in 1..${pub.l}`);
    }
    if (seen.has(s.index)) continue;
    seen.add(s.index);
    if (typeof s.xi === 'bigint' && s.xi > 0n && s.xi < pub.n) out.push(s);
    else out.push({ ...s, xi: 0n }); // out of range: kept so that its proof fails and it is named
  }
  return out;
}

function tryCombine(
  pub: ThresholdPublicKey,
  x: bigint,
  subset: readonly SignatureShare[],
): bigint | undefined {
  if (subset.some((s) => s.xi === 0n)) return undefined;
  try {
    const y = combineSubset(pub, x, subset);
    return pub.verifyRepresentative(x, y) ? y : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Combines shares of the signature on representative x. Shares may carry proofs; they are only
 * checked when the optimistic combination fails. Throws NOT_ENOUGH_SHARES (fewer than k, or fewer
 * than k proven after excluding bad ones) or PROOFS_NEEDED (listing the shares whose proofs would
 * decide: the caller asks those nodes again with proofs, or asks other nodes).
 */
export function combineShares(
  pub: ThresholdPublicKey,
  x: bigint,
  shares: readonly SignatureShare[],
): CombineResult {
  checkRepresentative(pub, x);
  const candidates = wellFormed(pub, shares);
  if (candidates.length < pub.k) {
    throw new ThresholdError('NOT_ENOUGH_SHARES', `need ${pub.k} shares, have ${candidates.length}`);
  }
  const first = candidates.slice(0, pub.k);
  const y = tryCombine(pub, x, first);
  if (y !== undefined) return { y, used: first.map((s) => s.index), invalid: [] };

  const proven: SignatureShare[] = [];
  const invalid: number[] = [];
  const unproven: number[] = [];
  for (const s of candidates) {
    if (s.xi === 0n) invalid.push(s.index);
    else if (s.proof === undefined) unproven.push(s.index);
    else if (verifyShareProof(pub, x, s.index, s.xi, s.proof)) proven.push(s);
    else invalid.push(s.index);
  }
  if (proven.length >= pub.k) {
    const subset = proven.slice(0, pub.k);
    const yp = tryCombine(pub, x, subset);
    if (yp !== undefined) return { y: yp, used: subset.map((s) => s.index), invalid };
    // Proven shares that do not combine mean a broken key or a broken prover: never sign.
    throw new ThresholdError('COMBINE_FAILED', 'proven shares did not combine to a valid signature', invalid);
  }
  if (proven.length + unproven.length >= pub.k && unproven.length > 0) {
    throw new ThresholdError(
      'PROOFS_NEEDED',
      'the optimistic combination failed: proofs are needed to find the bad shares',
      invalid,
      unproven,
    );
  }
  throw new ThresholdError(
    'NOT_ENOUGH_SHARES',
    `only ${proven.length} valid shares after excluding ${invalid.length} bad ones; ${pub.k} needed`,
    invalid,
    unproven,
  );
}
