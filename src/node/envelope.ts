/**
 * Share envelope, format version 1: one secret share sealed to one node's X25519 key.
 *
 * Why: InstallShare already travels inside mutual TLS. The envelope makes sure that nothing which sees the
 * channel's plaintext (a TLS-terminating proxy, a capture with exported session keys, a request log) sees the
 * share, and that only the node whose certificate names the key (urn:kofn:x25519:<base64url>, signed by the
 * cluster CA) can open it.
 *
 *   R            recipient's X25519 public key, 32 bytes (from the node's certificate)
 *   e, E         fresh ephemeral X25519 key pair of the sender, E 32 bytes
 *   Z            X25519(e, R) = X25519(r, E), 32 bytes; an all-zero Z (low-order R or E) is refused
 *   info         "kofn/share-envelope/v1" ‖ u32(byte length of keyId) ‖ keyId (UTF-8) ‖ u32(index)
 *                (u32 = 4 bytes big-endian)
 *   K            HKDF-SHA256(ikm = Z, salt = E ‖ R, info = info, length = 32)
 *   nonce        12 random bytes
 *   ciphertext   AES-256-GCM(key = K, iv = nonce, aad = info, plaintext = share) ‖ 16-byte tag
 *
 *   SealedShare  { version: 1, ephemeralPublicKey: E (32), nonce (12), ciphertext (share length + 16) }
 *
 * keyId and index enter both the key derivation and the AAD, so an envelope made for one key or share index
 * does not open as another. A fresh E per envelope means K is never reused, so a random nonce is safe. Z and K
 * are wiped after use; the caller owns and wipes the share and the node's private key.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

export const ENVELOPE_VERSION = 1;
export const X25519_KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
const INFO_LABEL = 'kofn/share-envelope/v1';

// DER framing of a raw X25519 key (RFC 8410): fixed prefixes followed by the 32 key bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface SealedShare {
  version: 1;
  ephemeralPublicKey: Buffer;
  nonce: Buffer;
  /** AES-256-GCM output with the 16-byte tag at the end. */
  ciphertext: Buffer;
}

/** What openShare accepts: a SealedShare as decoded from the wire, whose version is not yet checked. */
export type SealedShareInput = Omit<SealedShare, 'version'> & { version: number };

/** Refusal to seal or open; the message is one line and never holds key or share bytes. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

export interface ShareKeyPair {
  /** 32 raw bytes; goes into the node's certificate request. */
  publicKey: Buffer;
  /** 32 raw bytes; the caller stores it encrypted and wipes this buffer. */
  privateKey: Buffer;
}

export function generateShareKeyPair(): ShareKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    return { publicKey: rawPublicKey(publicKey), privateKey: Buffer.from(pkcs8.subarray(PKCS8_PREFIX.length)) };
  } finally {
    pkcs8.fill(0);
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
}

function publicKeyObject(raw: Buffer, what: string): KeyObject {
  checkLength(raw, X25519_KEY_LENGTH, what);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function privateKeyObject(raw: Buffer): KeyObject {
  checkLength(raw, X25519_KEY_LENGTH, 'private key');
  const der = Buffer.alloc(PKCS8_PREFIX.length + X25519_KEY_LENGTH);
  PKCS8_PREFIX.copy(der);
  raw.copy(der, PKCS8_PREFIX.length);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function checkLength(value: unknown, length: number, what: string): void {
  if (!Buffer.isBuffer(value)) throw new EnvelopeError(`${what} must be a Buffer`);
  if (value.length !== length) throw new EnvelopeError(`${what} must be ${length} bytes, got ${value.length}`);
}

/** The context both sides bind into the key and the AAD: "kofn/share-envelope/v1" ‖ u32 ‖ keyId ‖ u32. */
export function envelopeInfo(keyId: string, index: number): Buffer {
  if (typeof keyId !== 'string' || keyId.length === 0) throw new EnvelopeError('keyId must be a non-empty string');
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw new EnvelopeError(`index must be an integer in [0, 2^32), got ${String(index)}`);
  }
  const id = Buffer.from(keyId, 'utf8');
  const lengths = Buffer.alloc(8);
  lengths.writeUInt32BE(id.length, 0);
  lengths.writeUInt32BE(index, 4);
  return Buffer.concat([Buffer.from(INFO_LABEL, 'ascii'), lengths.subarray(0, 4), id, lengths.subarray(4)]);
}

/** K from Z; Z is wiped here whether or not derivation succeeds. */
function deriveKey(shared: Buffer, ephemeralPublicKey: Buffer, recipientPublicKey: Buffer, info: Buffer): Buffer {
  try {
    if (shared.length !== X25519_KEY_LENGTH || shared.every((b) => b === 0)) {
      throw new EnvelopeError('the X25519 shared secret is zero: the public key is of low order');
    }
    const salt = Buffer.concat([ephemeralPublicKey, recipientPublicKey]);
    return Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
  } finally {
    shared.fill(0);
  }
}

function agree(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  try {
    return diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL refuses an all-zero result itself; report it like the explicit check in deriveKey.
    throw new EnvelopeError('the X25519 shared secret is zero: the public key is of low order');
  }
}

export interface SealOptions {
  recipientPublicKey: Buffer;
  keyId: string;
  index: number;
  share: Buffer;
}

export function sealShare(options: SealOptions): SealedShare {
  const { recipientPublicKey, keyId, index, share } = options;
  const info = envelopeInfo(keyId, index);
  const recipient = publicKeyObject(recipientPublicKey, 'recipient public key');
  if (!Buffer.isBuffer(share) || share.length === 0) throw new EnvelopeError('share must be a non-empty Buffer');
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublicKey = rawPublicKey(ephemeral.publicKey);
  const key = deriveKey(agree(ephemeral.privateKey, recipient), ephemeralPublicKey, recipientPublicKey, info);
  try {
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(info);
    const ciphertext = Buffer.concat([cipher.update(share), cipher.final(), cipher.getAuthTag()]);
    return { version: ENVELOPE_VERSION, ephemeralPublicKey, nonce, ciphertext };
  } finally {
    key.fill(0);
  }
}

export interface OpenOptions {
  /** The node's 32-byte X25519 private key; not wiped here. */
  privateKey: Buffer;
  keyId: string;
  index: number;
  sealed: SealedShareInput;
}

/** The share, in a fresh Buffer the caller wipes. */
export function openShare(options: OpenOptions): Buffer {
  const { privateKey, keyId, index, sealed } = options;
  if (sealed.version !== ENVELOPE_VERSION) {
    throw new EnvelopeError(`share envelope version ${String(sealed.version)} is not supported (expected ${ENVELOPE_VERSION})`);
  }
  const ephemeral = publicKeyObject(sealed.ephemeralPublicKey, 'ephemeral public key');
  checkLength(sealed.nonce, NONCE_LENGTH, 'nonce');
  if (!Buffer.isBuffer(sealed.ciphertext) || sealed.ciphertext.length <= TAG_LENGTH) {
    throw new EnvelopeError(`ciphertext must be longer than its ${TAG_LENGTH}-byte tag`);
  }
  const info = envelopeInfo(keyId, index);
  const own = privateKeyObject(privateKey);
  const ownPublicKey = rawPublicKey(createPublicKey(own));
  const key = deriveKey(agree(own, ephemeral), sealed.ephemeralPublicKey, ownPublicKey, info);
  const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_LENGTH);
  const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_LENGTH);
  // GCM hands out plaintext before it has checked the tag: keep it only if final() accepts.
  let plain: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(info);
    decipher.setAuthTag(tag);
    plain = decipher.update(body);
    const rest = decipher.final();
    if (rest.length === 0) return plain;
    const whole = Buffer.concat([plain, rest]);
    plain.fill(0);
    return whole;
  } catch {
    plain?.fill(0);
    throw new EnvelopeError(`share envelope for ${keyId} index ${index} does not open: wrong node key, wrong key id or index, or altered`);
  } finally {
    key.fill(0);
  }
}
