import { createHmac, hkdfSync, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { NodeStoreError, fileError } from './store-error.js';

/**
 * The key-encryption key (KEK) of a node store and the sub-keys derived from it. The KEK itself
 * lives only for the moment of deriving; the store keeps the sub-keys and wipes them on close.
 */

export type KekSource = { kind: 'passphrase'; passphrase: string } | { kind: 'keyfile'; path: string };

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  maxmem: number;
}

/** 32 MiB and roughly 0.1 s per derivation: paid once per daemon start, not per request. */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** What the store keeps about its KEK: enough to re-derive and check it, nothing secret. */
export type KekRecord =
  | { source: 'passphrase'; salt: Buffer; scrypt: ScryptParams; verifier: Buffer }
  | { source: 'keyfile'; verifier: Buffer };

const KEK_BYTES = 32;
const SALT_BYTES = 16;
const VERIFIER_LABEL = 'kofn/node/kek-verifier/v1';
const SHARE_INFO = 'kofn/node/share-at-rest/v1';
const SECRET_INFO = 'kofn/node/secret-at-rest/v1';

/** The two AES-256 keys a store encrypts with; separate so a share row can never open as a secret. */
export class AtRestKeys {
  #share: Buffer | undefined;
  #secret: Buffer | undefined;

  private constructor(share: Buffer, secret: Buffer) {
    this.#share = share;
    this.#secret = secret;
  }

  /** Derives both sub-keys and wipes `kek`, which the caller must not use afterwards. */
  static fromKek(kek: Buffer): AtRestKeys {
    try {
      return new AtRestKeys(hkdf(kek, SHARE_INFO), hkdf(kek, SECRET_INFO));
    } finally {
      kek.fill(0);
    }
  }

  get share(): Buffer {
    if (!this.#share) throw new NodeStoreError('INVALID', 'at-rest keys were closed');
    return this.#share;
  }

  get secret(): Buffer {
    if (!this.#secret) throw new NodeStoreError('INVALID', 'at-rest keys were closed');
    return this.#secret;
  }

  close(): void {
    this.#share?.fill(0);
    this.#secret?.fill(0);
    this.#share = undefined;
    this.#secret = undefined;
  }
}

function hkdf(kek: Buffer, info: string): Buffer {
  // No salt: the KEK is already uniformly random (key file or scrypt output), which HKDF allows.
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), info, KEK_BYTES));
}

export function kekVerifier(kek: Buffer): Buffer {
  return createHmac('sha256', kek).update(VERIFIER_LABEL).digest();
}

/** A new KEK record for a store being created, and the keys it unlocks. */
export function enrollKek(source: KekSource): { record: KekRecord; keys: AtRestKeys } {
  if (source.kind === 'keyfile') {
    const kek = readKeyFile(source.path);
    return { record: { source: 'keyfile', verifier: kekVerifier(kek) }, keys: AtRestKeys.fromKek(kek) };
  }
  const salt = randomBytes(SALT_BYTES);
  const scrypt = { ...SCRYPT_PARAMS };
  const kek = passphraseKek(source.passphrase, salt, scrypt);
  return { record: { source: 'passphrase', salt, scrypt, verifier: kekVerifier(kek) }, keys: AtRestKeys.fromKek(kek) };
}

/**
 * Re-derives the KEK and checks it against the stored verifier before anything is decrypted, so a
 * wrong passphrase is refused even by a store that holds no share yet.
 */
export function unlockKek(source: KekSource, record: KekRecord, dbPath: string): AtRestKeys {
  if (source.kind !== record.source) {
    const expected = record.source === 'keyfile' ? 'a key file' : 'a passphrase';
    const given = source.kind === 'keyfile' ? 'a key file' : 'a passphrase';
    throw new NodeStoreError('WRONG_KEK', `${dbPath} is protected by ${expected}, not ${given}`);
  }
  let kek: Buffer;
  if (source.kind === 'keyfile') kek = readKeyFile(source.path);
  else if (record.source === 'passphrase') kek = passphraseKek(source.passphrase, record.salt, record.scrypt, dbPath);
  else throw new NodeStoreError('CORRUPT', `KEK record of ${dbPath} is inconsistent`);
  const verifier = kekVerifier(kek);
  if (record.verifier.length !== verifier.length || !timingSafeEqual(record.verifier, verifier)) {
    kek.fill(0);
    throw new NodeStoreError('WRONG_KEK', `wrong passphrase or key file for ${dbPath}`);
  }
  return AtRestKeys.fromKek(kek);
}

function passphraseKek(passphrase: string, salt: Buffer, params: ScryptParams, dbPath?: string): Buffer {
  if (passphrase.length === 0) throw new NodeStoreError('INVALID', 'the passphrase must not be empty');
  // NFC so that the same passphrase typed on different systems (composed or decomposed accents) unlocks.
  const bytes = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  try {
    return scryptSync(bytes, salt, KEK_BYTES, params);
  } catch (err) {
    // Only stored parameters can be bad (ours are fixed), so this means the meta table was altered.
    const where = dbPath ?? 'the store';
    throw new NodeStoreError('CORRUPT', `scrypt parameters of ${where} are unusable: ${(err as Error).message}`);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Reads a key file: exactly 32 raw bytes, or 64 hex digits with an optional final newline. Refuses
 * a file that group or others may access, before reading a byte of it. The caller wipes the result.
 */
export function readKeyFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    // fstat on the open descriptor, so the file checked is the file read.
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NodeStoreError('INVALID', `${path} is not a regular file`);
    if ((st.mode & 0o077) !== 0) {
      const mode = `0${(st.mode & 0o777).toString(8).padStart(3, '0')}`;
      throw new NodeStoreError(
        'BAD_PERMISSIONS',
        `${path} must not be readable by group or others (mode ${mode}): run chmod 600 ${path}`,
      );
    }
    const size = st.size;
    if (size !== KEK_BYTES && size !== 2 * KEK_BYTES && size !== 2 * KEK_BYTES + 1) {
      throw badKeyFile(path, `found ${size} bytes`);
    }
    const raw = Buffer.alloc(size);
    try {
      if (readSync(fd, raw, 0, size, 0) !== size) throw badKeyFile(path, 'it changed while being read');
      if (size === KEK_BYTES) return Buffer.from(raw);
      if (size === 2 * KEK_BYTES + 1 && raw[size - 1] !== 0x0a) {
        throw badKeyFile(path, 'the byte after the hex digits is not a newline');
      }
      const key = decodeHex(raw.subarray(0, 2 * KEK_BYTES));
      if (!key) throw badKeyFile(path, 'found a non-hex character');
      return key;
    } finally {
      raw.fill(0);
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes a new key file of 32 random bytes, mode 0600; refuses to overwrite anything. */
export function createKeyFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    throw fileError(path, err);
  }
  const key = randomBytes(KEK_BYTES);
  try {
    // The umask can only remove bits; fchmod makes the mode exactly 0600 whatever it was.
    fchmodSync(fd, 0o600);
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    key.fill(0);
    closeSync(fd);
  }
}

function badKeyFile(path: string, detail: string): NodeStoreError {
  return new NodeStoreError('INVALID', `${path} must hold 32 raw bytes or 64 hex digits (${detail})`);
}

/** Hex to bytes without an intermediate string, so nothing unwipeable holds the key. */
function decodeHex(hex: Buffer): Buffer | undefined {
  const out = Buffer.alloc(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex[2 * i] ?? -1);
    const lo = nibble(hex[2 * i + 1] ?? -1);
    if (hi < 0 || lo < 0) {
      out.fill(0);
      return undefined;
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
