/**
 * Proof that a signature share is correct (Shoup 2000, section 3 "Verifying the signature shares",
 * Fiat–Shamir as in the paper): the share x_i satisfies log_{x̃}(x_i²) = log_v(v_i) = s_i with
 * x̃ = x^{4Δ}. Prover: r ← [0, 2^{L(n)+2L1}), v' = v^r, x' = x̃^r, c = H(...), z = s_i·c + r.
 * Verifier: c = H(..., v^z·v_i^{−c}, x̃^z·x_i^{−2c}).
 *
 * Hash input, format version 1 (docs/threshold-rsa.md): SHA-256 over
 *   lp(label) ‖ u32(i) ‖ lp(n) ‖ lp(v) ‖ lp(x̃) ‖ lp(v_i) ‖ lp(x_i²) ‖ lp(v') ‖ lp(x')
 * with lp(b) = u32(len b) ‖ b, every group element I2OSP'd to byteLength(n), u32 big-endian.
 */
import { createHash } from 'node:crypto';
import { i2osp, lengthPrefixed, os2ip } from '../bytes.js';
import { native } from '../native.js';
import type { ThresholdPublicKey } from './public-key.js';

export const PROOF_LABEL = 'kofn/shoup-rsa/share-proof/v1';
/** L1 of the paper: the challenge length, here SHA-256's output. */
export const CHALLENGE_BITS = 256;

export interface ShareProof {
  c: bigint;
  z: bigint;
}

/** L(n) + 2·L1 bits: r hides s_i·c statistically (section 3). */
export function nonceBits(pub: ThresholdPublicKey): number {
  return pub.bits + 2 * CHALLENGE_BITS;
}

/** x̃ = x^{4Δ}. */
export function proofBase(pub: ThresholdPublicKey, x: bigint): bigint {
  return native.multiPowPublic(pub.modulus, [x], [4n * pub.delta]);
}

export function proofChallenge(
  pub: ThresholdPublicKey,
  index: number,
  xt: bigint,
  xi2: bigint,
  vPrime: bigint,
  xPrime: bigint,
): bigint {
  const el = (x: bigint) => lengthPrefixed(i2osp(x, pub.bytes));
  const idx = Buffer.alloc(4);
  idx.writeUInt32BE(index, 0);
  const h = createHash('sha256');
  h.update(lengthPrefixed(Buffer.from(PROOF_LABEL, 'utf8')));
  h.update(idx);
  for (const x of [pub.n, pub.v, xt, pub.verificationKey(index), xi2, vPrime, xPrime]) h.update(el(x));
  return os2ip(h.digest());
}

/** Checks a share's proof. Returns false for any malformed or wrong proof; never throws on bad input. */
export function verifyShareProof(
  pub: ThresholdPublicKey,
  x: bigint,
  index: number,
  xi: bigint,
  proof: ShareProof,
): boolean {
  const { c, z } = proof;
  if (!Number.isInteger(index) || index < 1 || index > pub.l) return false;
  if (xi <= 0n || xi >= pub.n || c < 0n || z < 0n) return false;
  // z = s·c + r < 2^{L(n)+L1} + 2^{L(n)+2L1}: anything longer is not an honest proof.
  if (c >= 1n << BigInt(CHALLENGE_BITS) || z >= 1n << BigInt(nonceBits(pub) + 1)) return false;
  try {
    const mod = pub.modulus;
    const xt = proofBase(pub, x);
    const xi2 = native.multiPowPublic(mod, [xi], [2n]);
    const vPrime = native.multiPowPublic(mod, [pub.v, pub.verificationKey(index)], [z, -c]);
    const xPrime = native.multiPowPublic(mod, [xt, xi], [z, -2n * c]);
    return proofChallenge(pub, index, xt, xi2, vPrime, xPrime) === c;
  } catch {
    return false; // x_i not invertible: not a valid share
  }
}
