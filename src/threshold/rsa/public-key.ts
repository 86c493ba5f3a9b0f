/** The public side of a Shoup threshold RSA key: (n, e), the threshold, and the verification keys. */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { bitLength, byteLength, i2osp, lengthPrefixed } from '../bytes.js';
import { type ModulusHandle, native } from '../native.js';
import { ThresholdError } from './errors.js';
import { combinationExponents } from './lagrange.js';
import { delta, MAX_PLAYERS } from './params.js';

export interface PublicKeyJson {
  version: 1;
  n: string;
  e: string;
  k: number;
  l: number;
  v: string;
  vks: string[];
}

export class ThresholdPublicKey {
  readonly bits: number;
  /** k = byteLength(n): the length of a signature. */
  readonly bytes: number;
  readonly delta: bigint;
  /** e'a + eb = 1 with e' = 4Δ² (section 3). */
  readonly combination: { readonly a: bigint; readonly b: bigint };
  #modulus: ModulusHandle | undefined;

  constructor(
    readonly n: bigint,
    readonly e: bigint,
    /** Threshold: shares needed to sign. */
    readonly k: number,
    /** Number of shares. */
    readonly l: number,
    /** v, a generator of the squares Q_n. */
    readonly v: bigint,
    /** v_i = v^{s_i}, index i at position i−1. */
    readonly vks: readonly bigint[],
  ) {
    const bad = (m: string): never => {
      throw new ThresholdError('INVALID_PARAMETERS', `invalid public key: ${m}`);
    };
    if (n < 3n || n % 2n === 0n) bad('modulus must be odd');
    if (e < 3n || e % 2n === 0n) bad('exponent must be odd and at least 3');
    if (!Number.isInteger(l) || l < 1 || l > MAX_PLAYERS) bad('bad number of shares');
    if (!Number.isInteger(k) || k < 1 || k > l) bad('bad threshold');
    if (e <= BigInt(l)) bad('exponent must exceed the number of shares');
    if (vks.length !== l) bad('one verification key per share is required');
    for (const x of [v, ...vks]) if (x <= 0n || x >= n) bad('verification key out of range');
    this.bits = bitLength(n);
    this.bytes = byteLength(n);
    this.delta = delta(l);
    this.combination = combinationExponents(this.delta, e);
    this.vks = Object.freeze([...vks]);
    Object.freeze(this.combination);
  }

  /** The native modulus (Montgomery context cached once per key). */
  get modulus(): ModulusHandle {
    this.#modulus ??= native.modulus(this.n);
    return this.#modulus;
  }

  verificationKey(index: number): bigint {
    const vi = this.vks[index - 1];
    if (vi === undefined) throw new ThresholdError('INVALID_SHARE', `no share with index ${index}`);
    return vi;
  }

  /** SHA-256 over "kofn/rsa-public-key/v1" ‖ lp(n) ‖ lp(e), hex: names the key in logs and listings. */
  fingerprint(): string {
    const h = createHash('sha256').update(lengthPrefixed(Buffer.from('kofn/rsa-public-key/v1')));
    for (const x of [this.n, this.e]) h.update(lengthPrefixed(i2osp(x, byteLength(x))));
    return h.digest('hex');
  }

  /**
   * SHA-256 over "kofn/vk/v1" ‖ lp(n) ‖ lp(v) ‖ u32(i) ‖ lp(v_i), hex: what nodes, receipts and the
   * auditor quote for share i.
   */
  verificationKeyFingerprint(index: number): string {
    const vi = this.verificationKey(index);
    const idx = Buffer.alloc(4);
    idx.writeUInt32BE(index, 0);
    const h = createHash('sha256').update(lengthPrefixed(Buffer.from('kofn/vk/v1')));
    h.update(lengthPrefixed(i2osp(this.n, this.bytes))).update(lengthPrefixed(i2osp(this.v, this.bytes)));
    h.update(idx).update(lengthPrefixed(i2osp(vi, this.bytes)));
    return h.digest('hex');
  }

  /** RSA verification primitive: does y^e ≡ x (mod n)? */
  verifyRepresentative(x: bigint, y: bigint): boolean {
    if (y <= 0n || y >= this.n) return false;
    return native.multiPowPublic(this.modulus, [y], [this.e]) === x;
  }

  /** The ordinary RSA public key, for OpenSSL (`crypto.verify`) and for PKCS#11 objects. */
  toKeyObject(): KeyObject {
    return rsaPublicKeyObject(this.n, this.e);
  }

  toJSON(): PublicKeyJson {
    const hex = (x: bigint) => x.toString(16);
    return {
      version: 1,
      n: hex(this.n),
      e: hex(this.e),
      k: this.k,
      l: this.l,
      v: hex(this.v),
      vks: this.vks.map(hex),
    };
  }

  static fromJSON(j: PublicKeyJson): ThresholdPublicKey {
    if (j.version !== 1) throw new ThresholdError('INVALID_PARAMETERS', 'unknown public key format version');
    const big = (h: string) => {
      if (!/^[0-9a-f]+$/.test(h))
        throw new ThresholdError('INVALID_PARAMETERS', 'invalid public key encoding');
      return BigInt(`0x${h}`);
    };
    return new ThresholdPublicKey(big(j.n), big(j.e), j.k, j.l, big(j.v), j.vks.map(big));
  }
}

/** An ordinary RSA public key (n, e) as an OpenSSL KeyObject; throws if OpenSSL rejects it. */
export function rsaPublicKeyObject(n: bigint, e: bigint): KeyObject {
  const b64 = (x: bigint) => i2osp(x, byteLength(x)).toString('base64url');
  return createPublicKey({ key: { kty: 'RSA', n: b64(n), e: b64(e) }, format: 'jwk' });
}
