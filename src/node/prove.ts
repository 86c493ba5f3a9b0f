/**
 * ProveShare: possession of share i without revealing it. The node signs a value derived from the
 * auditor's fresh challenge and proves the share correct (Shoup §3 proof). Deriving x by hashing,
 * under a label of its own, keeps ProveShare from being a signing oracle: x is never a valid
 * EMSA-PKCS1-v1_5 or EMSA-PSS encoding of a message the caller chose.
 *
 * x = OS2IP(MGF1-SHA256("kofn/prove-share/v1" ‖ lp(keyId) ‖ lp(challenge), byteLength(n))) mod n,
 * or 1 in the negligible case that this is 0.
 */
import { lengthPrefixed, os2ip } from '../threshold/bytes.js';
import { mgf1, type ThresholdPublicKey } from '../threshold/rsa/index.js';

export const PROVE_LABEL = 'kofn/prove-share/v1';
export const MIN_CHALLENGE_BYTES = 16;
export const MAX_CHALLENGE_BYTES = 64;

export function proveShareRepresentative(pub: ThresholdPublicKey, keyId: string, challenge: Uint8Array): bigint {
  const seed = Buffer.concat([
    lengthPrefixed(Buffer.from(PROVE_LABEL)),
    lengthPrefixed(Buffer.from(keyId, 'utf8')),
    lengthPrefixed(challenge),
  ]);
  const x = os2ip(mgf1('sha256', seed, pub.bytes)) % pub.n;
  return x === 0n ? 1n : x;
}
