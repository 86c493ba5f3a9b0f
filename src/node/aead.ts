import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM with a random 96-bit nonce and the 16-byte tag appended to the ciphertext. */

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  nonce: Buffer;
  ciphertext: Buffer;
}

export function seal(key: Buffer, aad: Buffer, plaintext: Buffer): Sealed {
  // Random nonces are safe under one key for far more than the 2^32 messages a node will ever seal.
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, ciphertext };
}

/** The plaintext (the caller wipes it), or undefined if the row was altered, moved or truncated. */
export function unseal(key: Buffer, aad: Buffer, nonce: Buffer, ciphertext: Buffer): Buffer | undefined {
  if (nonce.length !== NONCE_BYTES || ciphertext.length < TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
  // GCM is a stream mode: update() returns all the plaintext and final() only checks the tag.
  const plaintext = decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    return undefined;
  }
  return plaintext;
}
