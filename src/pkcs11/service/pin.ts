/**
 * PINs are never stored. scrypt(PIN, salt) gives 64 bytes: the first 32 are kept as a verifier
 * (compared in constant time), the last 32 are a key that wraps the token's master key. The master
 * key in turn seals the token's secrets (its coordinator client key), so a copy of the database
 * without a PIN cannot talk to the nodes.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { seal, unseal } from '../../node/aead.js';

export interface PinRecord {
  v: 1;
  salt: string;
  N: number;
  r: number;
  p: number;
  check: string;
  /** The master key sealed under the PIN key: nonce and ciphertext, base64. */
  wrapNonce: string;
  wrapped: string;
}

/** 2^15 × 8 × 128 B = 32 MiB and ~60 ms per try on this class of machine: slow for guessing, fine for a login. */
const PARAMS = { N: 1 << 15, r: 8, p: 1 };
const AAD = Buffer.from('kofn/token/pin-wrap/v1');

function derive(pin: Buffer, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pin, salt, 64, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A verifier for `pin` that also wraps `masterKey`. */
export async function makePin(pin: Buffer, masterKey: Buffer): Promise<PinRecord> {
  const salt = randomBytes(16);
  const k = await derive(pin, salt, PARAMS.N, PARAMS.r, PARAMS.p);
  try {
    const s = seal(k.subarray(32), AAD, masterKey);
    return {
      v: 1, salt: salt.toString('base64'), ...PARAMS, check: k.subarray(0, 32).toString('base64'),
      wrapNonce: s.nonce.toString('base64'), wrapped: s.ciphertext.toString('base64'),
    };
  } finally {
    k.fill(0);
  }
}

/** The master key when `pin` is right, else undefined. */
export async function openPin(pin: Buffer, rec: PinRecord): Promise<Buffer | undefined> {
  const k = await derive(pin, Buffer.from(rec.salt, 'base64'), rec.N, rec.r, rec.p);
  try {
    const check = Buffer.from(rec.check, 'base64');
    if (check.length !== 32 || !timingSafeEqual(check, k.subarray(0, 32))) return undefined;
    return unseal(k.subarray(32), AAD, Buffer.from(rec.wrapNonce, 'base64'), Buffer.from(rec.wrapped, 'base64'));
  } finally {
    k.fill(0);
  }
}

const SECRET_AAD = Buffer.from('kofn/token/secrets/v1');

export function sealSecrets(masterKey: Buffer, plaintext: Buffer): Buffer {
  const s = seal(masterKey, SECRET_AAD, plaintext);
  return Buffer.concat([s.nonce, s.ciphertext]);
}

export function openSecrets(masterKey: Buffer, blob: Buffer): Buffer | undefined {
  return unseal(masterKey, SECRET_AAD, blob.subarray(0, 12), blob.subarray(12));
}
