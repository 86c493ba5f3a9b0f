/** In-process signing with local shares: the path a coordinator takes, without the network. */
import { i2osp } from '../bytes.js';
import { combineShares } from './combine.js';
import { messageRepresentative, type SignatureInput } from './encoding.js';
import { ThresholdError } from './errors.js';
import type { KeyShare } from './key-share.js';
import type { ThresholdPublicKey } from './public-key.js';

/** I2OSP(y, k): the signature octet string of RFC 8017. */
export function toSignatureBytes(pub: ThresholdPublicKey, y: bigint): Buffer {
  return i2osp(y, pub.bytes);
}

/** Signs with the first k usable shares (asking the rest only if needed) and returns the signature. */
export async function signWithShares(
  pub: ThresholdPublicKey,
  input: SignatureInput,
  shares: readonly KeyShare[],
): Promise<Buffer> {
  if (shares.length < pub.k) throw new ThresholdError('NOT_ENOUGH_SHARES', `need ${pub.k} shares`);
  const x = messageRepresentative(input, pub.bits);
  const first = await Promise.all(shares.slice(0, pub.k).map((s) => s.signAsync(x)));
  try {
    return toSignatureBytes(pub, combineShares(pub, x, first).y);
  } catch (err) {
    if (!(err instanceof ThresholdError) || err.code === 'INVALID_MESSAGE') throw err;
    const proven = shares.map((s) => s.signWithProof(x));
    return toSignatureBytes(pub, combineShares(pub, x, proven).y);
  }
}
