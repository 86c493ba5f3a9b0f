/**
 * Typed binding to native/src/kofn_bn.c. Secret shares and proof nonces are opaque handles to
 * native memory; public values cross as bigint. Every function that takes a secret Buffer zeroes it,
 * except rsaFactorsMatch, a check made before dealing.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

declare const modulusBrand: unique symbol;
declare const secretBrand: unique symbol;
declare const nonceBrand: unique symbol;

/** An odd modulus n with its cached Montgomery context. */
export type ModulusHandle = { readonly [modulusBrand]: true };
/** A share s_i in native, zeroized memory. */
export type SecretHandle = { readonly [secretBrand]: true };
/** A proof nonce r, consumed by exactly one proofRespond. */
export type NonceHandle = { readonly [nonceBrand]: true };

/**
 * The group the dealer's polynomial lives in: Z_{p'q'} for keys kofn made from safe primes (Shoup's
 * dealer), Z_λ(n) for an imported key whose primes are arbitrary (docs/threshold-rsa.md).
 */
export type Sharing = 'safe-prime' | 'lambda';

export interface DealResult {
  n: bigint;
  v: bigint;
  vks: bigint[];
  shares: SecretHandle[];
  modulus: ModulusHandle;
}

export interface NativeBn {
  modulus(n: bigint): ModulusHandle;
  /** Π bases[i]^exps[i] mod n; negative exponents invert the base. Public values only. */
  multiPowPublic(mod: ModulusHandle, bases: readonly bigint[], exps: readonly bigint[]): bigint;
  /** Imports s_i (big-endian) and zeroes `share`. */
  secretImport(mod: ModulusHandle, share: Buffer, twoDelta: bigint): SecretHandle;
  /** s_i as byteLength(n) big-endian bytes: the caller must wipe them. */
  secretExport(secret: SecretHandle): Buffer;
  secretDestroy(secret: SecretHandle): void;
  secretAlive(secret: SecretHandle): boolean;
  /** base^s_i mod n, constant time. */
  secretPow(secret: SecretHandle, base: bigint): bigint;
  /** x^(2Δs_i) mod n, as (x^(2Δ))^(s_i): constant time in the secret s_i. */
  shareSign(secret: SecretHandle, x: bigint): bigint;
  shareSignAsync(secret: SecretHandle, x: bigint): Promise<bigint>;
  proofCommit(
    secret: SecretHandle,
    bases: readonly bigint[],
    rBits: number,
  ): { commitments: bigint[]; nonce: NonceHandle };
  proofCommitAsync(
    secret: SecretHandle,
    bases: readonly bigint[],
    rBits: number,
  ): Promise<{ commitments: bigint[]; nonce: NonceHandle }>;
  proofRespond(nonce: NonceHandle, secret: SecretHandle, c: bigint): bigint;
  /**
   * Zeroes p and q, whatever happens. 'safe-prime' shares d over Z_{p'q'} and checks that p and q
   * are safe primes; 'lambda' shares d over Z_λ(n), λ(n) = lcm(p−1, q−1), for imported keys.
   */
  deal(
    p: Buffer,
    q: Buffer,
    e: bigint,
    k: number,
    l: number,
    twoDelta: bigint,
    sharing: Sharing,
  ): DealResult;
  /**
   * Whether p·q = n. The one call that leaves its secret Buffers as they are: the caller still needs
   * p and q for `deal`, and wipes them itself if it never gets there.
   */
  rsaFactorsMatch(n: bigint, p: Buffer, q: Buffer): boolean;
  benchModexpConsttime(mod: ModulusHandle, iterations: number): number;
  /**
   * Puts the calling thread under Linux SCHED_BATCH, and each libuv pool thread at its next share;
   * 0, or the errno value why not (ENOSYS where there is no SCHED_BATCH). For the node daemon only.
   */
  schedBatch(): number;
}

const addonPath = fileURLToPath(new URL('../../../native/build/Release/kofn_bn.node', import.meta.url));

function load(): NativeBn {
  try {
    return createRequire(import.meta.url)(addonPath) as NativeBn;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`kofn native addon not built (${addonPath}): run \`npm install\` (${reason})`, { cause: err });
  }
}

export const native: NativeBn = load();
