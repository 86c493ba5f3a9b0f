/**
 * One player's share s_i of a threshold key, held in native zeroizable memory. JavaScript sees an
 * opaque handle; the share never becomes a BigInt, a string, or part of an error.
 */
import { inspect } from 'node:util';
import { native, type NonceHandle, type SecretHandle } from '../native.js';
import { ThresholdError } from './errors.js';
import { nonceBits, proofBase, proofChallenge, type ShareProof } from './proof.js';
import type { ThresholdPublicKey } from './public-key.js';

/** What a node returns: x_i = x^{2Δs_i}, with a proof when asked. */
export interface SignatureShare {
  index: number;
  xi: bigint;
  proof?: ShareProof;
}

export function checkRepresentative(pub: ThresholdPublicKey, x: bigint): void {
  if (typeof x !== 'bigint' || x <= 0n || x >= pub.n) {
    throw new ThresholdError('INVALID_MESSAGE', 'message representative must be in [1, n)');
  }
}

export class KeyShare {
  #secret: SecretHandle;

  private constructor(
    readonly publicKey: ThresholdPublicKey,
    readonly index: number,
    secret: SecretHandle,
  ) {
    this.#secret = secret;
  }

  /** Adopts a handle made by the dealer (already consistent with v_i by construction). */
  static fromDealer(publicKey: ThresholdPublicKey, index: number, secret: SecretHandle): KeyShare {
    return new KeyShare(publicKey, index, secret);
  }

  /**
   * Loads s_i from its big-endian bytes, which are zeroed whether or not it succeeds, and checks it
   * against the published verification key: v^{s_i} must equal v_i.
   */
  static import(publicKey: ThresholdPublicKey, index: number, bytes: Buffer): KeyShare {
    let vi: bigint;
    try {
      vi = publicKey.verificationKey(index);
    } catch (err) {
      bytes.fill(0);
      throw err;
    }
    let secret: SecretHandle;
    try {
      secret = native.secretImport(publicKey.modulus, bytes, 2n * publicKey.delta);
    } catch {
      throw new ThresholdError('INVALID_SHARE', `share ${index} is malformed`);
    }
    if (native.secretPow(secret, publicKey.v) !== vi) {
      native.secretDestroy(secret);
      throw new ThresholdError('INVALID_SHARE', `share ${index} does not match its verification key`);
    }
    return new KeyShare(publicKey, index, secret);
  }

  get destroyed(): boolean {
    return !native.secretAlive(this.#secret);
  }

  /** x_i = x^{2Δs_i} mod n, constant time, on the calling thread. */
  sign(x: bigint): SignatureShare {
    checkRepresentative(this.publicKey, x);
    return { index: this.index, xi: native.shareSign(this.#secret, x) };
  }

  /** The same, on the libuv thread pool: many shares run in parallel off the event loop. */
  async signAsync(x: bigint): Promise<SignatureShare> {
    checkRepresentative(this.publicKey, x);
    return { index: this.index, xi: await native.shareSignAsync(this.#secret, x) };
  }

  /** The share with its proof of correctness (section 3); the nonce is consumed by the response. */
  signWithProof(x: bigint): SignatureShare {
    const share = this.sign(x);
    const xt = proofBase(this.publicKey, x);
    const commit = native.proofCommit(this.#secret, [this.publicKey.v, xt], nonceBits(this.publicKey));
    return this.#respond(share, xt, commit);
  }

  /** The same with the three secret exponentiations (x_i, v^r, x̃^r) on the libuv pool. */
  async signWithProofAsync(x: bigint): Promise<SignatureShare> {
    checkRepresentative(this.publicKey, x);
    const xt = proofBase(this.publicKey, x);
    const [xi, commit] = await Promise.all([
      native.shareSignAsync(this.#secret, x),
      native.proofCommitAsync(this.#secret, [this.publicKey.v, xt], nonceBits(this.publicKey)),
    ]);
    return this.#respond({ index: this.index, xi }, xt, commit);
  }

  #respond(
    share: SignatureShare,
    xt: bigint,
    { commitments, nonce }: { commitments: bigint[]; nonce: NonceHandle },
  ): SignatureShare {
    const pub = this.publicKey;
    const [vPrime, xPrime] = commitments;
    if (vPrime === undefined || xPrime === undefined) throw new Error('proof commitment failed');
    const xi2 = native.multiPowPublic(pub.modulus, [share.xi], [2n]);
    const c = proofChallenge(pub, this.index, xt, xi2, vPrime, xPrime);
    const z = native.proofRespond(nonce, this.#secret, c);
    return { ...share, proof: { c, z } };
  }

  /** s_i as byteLength(n) big-endian bytes, to encrypt for shipping. The caller must wipe them. */
  exportSecret(): Buffer {
    return native.secretExport(this.#secret);
  }

  /** Wipes the share now (or when in-flight async signatures finish). Idempotent. */
  destroy(): void {
    native.secretDestroy(this.#secret);
  }

  toString(): string {
    return `KeyShare(#${this.index} of ${this.publicKey.l}, ${this.destroyed ? 'destroyed' : 'sealed'})`;
  }

  toJSON(): { index: number } {
    return { index: this.index };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
