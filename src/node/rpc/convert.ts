/** Between protocol messages (bytes) and scheme values (bigint); public values only. */
import { byteLength, i2osp, os2ip } from '../../threshold/bytes.js';
import { ThresholdPublicKey } from '../../threshold/rsa/index.js';
import type { ThresholdPublicKey as PublicKeyMsg, ThresholdPublicKey__Output } from './schema.js';

export function toBytes(x: bigint): Buffer {
  return i2osp(x, Math.max(1, byteLength(x)));
}

export function fromBytes(b: Uint8Array): bigint {
  return os2ip(b);
}

export function publicKeyToMessage(pub: ThresholdPublicKey): PublicKeyMsg {
  return { n: toBytes(pub.n), e: toBytes(pub.e), k: pub.k, l: pub.l, v: toBytes(pub.v), vks: pub.vks.map(toBytes) };
}

/** Throws ThresholdError INVALID_PARAMETERS on anything that is not a consistent public key. */
export function publicKeyFromMessage(m: ThresholdPublicKey__Output | null): ThresholdPublicKey {
  if (m === null) return new ThresholdPublicKey(0n, 0n, 0, 0, 0n, []); // throws INVALID_PARAMETERS
  return new ThresholdPublicKey(fromBytes(m.n), fromBytes(m.e), m.k, m.l, fromBytes(m.v), m.vks.map(fromBytes));
}
