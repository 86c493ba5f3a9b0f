/**
 * Custody of the cluster CA private key between ceremonies. Whoever holds it can admit a node or a ceremony
 * certificate to the cluster, so it is kept either encrypted under a passphrase or split among custodians
 * k of n (Shamir over GF(256), by the audited shamir-secret-sharing package), never in the clear.
 *
 * A custodian's share is one line of text, for paper or a smart card's data object:
 *
 *   kofn-ca-share:v1:<i>:<k>:<n>:<ca>:<set>:<share>:<check>
 *
 *   i        the custodian's number, 1 … n (for people; the Shamir x coordinate is inside <share>)
 *   k, n     the threshold and the number of shares
 *   ca       the first 8 hex digits of the CA certificate's SHA-256 fingerprint: shares of two CAs do not mix
 *   set      8 random hex digits naming this split: shares of two splits of the same key do not mix either
 *   share    the Shamir share, unpadded base64url
 *   check    the first 8 hex digits of SHA-256 over everything before ":<check>": catches a mistyped share
 *
 * The secret that is split is the key's PKCS#8 DER, so a combined key is checked simply by parsing it.
 */
import { createCipheriv, createHash, createPrivateKey, createPublicKey, type KeyObject, pbkdf2Sync, randomBytes,
  X509Certificate } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { fingerprint } from '../pki/index.js';

/** Every refusal of this module: one line that says what to do, never key material. */
export class CustodyError extends Error {
  override readonly name = 'CustodyError';
}

export const MIN_PASSPHRASE_LENGTH = 12;

/**
 * PBKDF2-HMAC-SHA256 rounds for the encrypted key (OWASP's 2023 figure). OpenSSL's own PKCS#8 export, which
 * Node uses, fixes 2048: far too few for a key that may sit on a USB stick for years.
 */
export const PBKDF2_ITERATIONS = 600_000;

const SHARE_PREFIX = 'kofn-ca-share';
const SHARE_VERSION = 'v1';
const HEX8 = /^[0-9a-f]{8}$/;
const DECIMAL = /^[1-9][0-9]{0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

// Object identifiers of the encrypted PKCS#8 structure (RFC 8018, RFC 5958), DER content bytes.
const OID_PBES2 = Buffer.from('2a864886f70d01050d', 'hex');
const OID_PBKDF2 = Buffer.from('2a864886f70d01050c', 'hex');
const OID_HMAC_SHA256 = Buffer.from('2a864886f70d0209', 'hex');
const OID_AES256_CBC = Buffer.from('60864801650304012a', 'hex');

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  // Definite lengths up to 65535 bytes: an encrypted key is a few hundred.
  const length = n < 0x80
    ? Buffer.from([n])
    : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const oid = (value: Buffer) => tlv(0x06, value);
const octets = (value: Buffer) => tlv(0x04, value);
const NULL = Buffer.from([0x05, 0x00]);

function integer(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  if (bytes.length === 0 || (bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function passphraseBytes(passphrase: string | Uint8Array): Buffer {
  return typeof passphrase === 'string' ? Buffer.from(passphrase, 'utf8') : Buffer.from(passphrase);
}

function passphraseLength(passphrase: string | Uint8Array): number {
  return typeof passphrase === 'string' ? [...passphrase].length : passphrase.length;
}

function privateKey(keyPem: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem' });
  } catch {
    throw new CustodyError('not an unencrypted private key in PEM (an encrypted one must be unprotected first)');
  }
}

/**
 * Encrypts a private key as a standard encrypted PKCS#8 PEM (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC), which
 * `openssl pkey` and Node read as well as `unprotect` does.
 */
export function protectWithPassphrase(keyPem: string, passphrase: string | Uint8Array): string {
  if (passphraseLength(passphrase) < MIN_PASSPHRASE_LENGTH) {
    throw new CustodyError(`the passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  const der = privateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const secret = passphraseBytes(passphrase);
  const key = pbkdf2Sync(secret, salt, PBKDF2_ITERATIONS, 32, 'sha256');
  let encrypted: Buffer;
  try {
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    encrypted = Buffer.concat([cipher.update(der), cipher.final()]);
  } finally {
    der.fill(0);
    key.fill(0);
    secret.fill(0);
  }
  const algorithm = seq(
    oid(OID_PBES2),
    seq(
      seq(oid(OID_PBKDF2), seq(octets(salt), integer(PBKDF2_ITERATIONS), seq(oid(OID_HMAC_SHA256), NULL))),
      seq(oid(OID_AES256_CBC), octets(iv)),
    ),
  );
  const body = seq(algorithm, octets(encrypted)).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body}-----END ENCRYPTED PRIVATE KEY-----\n`;
}

/** Decrypts an encrypted PKCS#8 PEM back to an unencrypted PKCS#8 PEM. */
export function unprotect(encPem: string, passphrase: string | Uint8Array): string {
  if (!encPem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new CustodyError('not an encrypted private key (expected "BEGIN ENCRYPTED PRIVATE KEY")');
  }
  const secret = passphraseBytes(passphrase);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: encPem, format: 'pem', passphrase: secret });
  } catch {
    // OpenSSL cannot tell a wrong passphrase from a damaged file: both end in a padding check that fails.
    throw new CustodyError('wrong passphrase, or the encrypted key file is damaged');
  } finally {
    secret.fill(0);
  }
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** One custodian's share, parsed and its checksum verified. */
export interface CaShare {
  index: number;
  k: number;
  n: number;
  /** The first 8 hex digits of the CA certificate fingerprint. */
  ca: string;
  /** The 8 hex digits naming the split this share belongs to. */
  set: string;
  /** The Shamir share itself; zero it when done. */
  bytes: Uint8Array;
}

function checksum(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 8);
}

function checkThreshold(k: number, n: number): void {
  // The package's own bounds: at least 2 (a 1-of-n split is n copies of the key) and at most 255 x coordinates.
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 2 || n < k || n > 255) {
    throw new CustodyError(`k of n must satisfy 2 <= k <= n <= 255, got ${k} of ${n}`);
  }
}

/** The label for the shares; given the certificate itself, also checks that the key is the CA's. */
function caLabel(key: KeyObject, ca: string): string {
  if (!ca.includes('-----BEGIN')) {
    const hex = normaliseFingerprint(ca);
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new CustodyError('the CA must be given as its certificate or its SHA-256 fingerprint');
    }
    return hex.slice(0, 8);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ca);
  } catch {
    throw new CustodyError('the CA certificate is not a readable X.509 certificate');
  }
  const spki = (pub: KeyObject) => pub.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(cert.publicKey))) {
    throw new CustodyError('the private key does not belong to the CA certificate');
  }
  return fingerprint(ca).slice(0, 8);
}

/**
 * Splits the CA key among n custodians so that any k of them can rebuild it. `ca` is the CA certificate (PEM), or
 * its SHA-256 fingerprint (hex); prefer the certificate: then the key is checked to be the CA's, since a label on
 * the wrong key would send custodians to a reconstruction that fails years later.
 */
export async function splitKey(keyPem: string, k: number, n: number, ca: string): Promise<string[]> {
  checkThreshold(k, n);
  const key = privateKey(keyPem);
  const label = caLabel(key, ca);
  const set = randomBytes(4).toString('hex');
  const der = key.export({ type: 'pkcs8', format: 'der' });
  // The package insists on a plain Uint8Array (a Buffer is refused), hence the copy, zeroed like the original.
  const secret = new Uint8Array(der);
  der.fill(0);
  let shares: Uint8Array[] = [];
  try {
    shares = await split(secret, n, k);
    return shares.map((bytes, i) => {
      // A view, not a copy: a copy of the share would outlive the fill(0) below.
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
      const body = [SHARE_PREFIX, SHARE_VERSION, i + 1, k, n, label, set, data].join(':');
      return `${body}:${checksum(body)}`;
    });
  } finally {
    secret.fill(0);
    for (const s of shares) s.fill(0);
  }
}

/** Reads one share as typed or scanned, so a ceremony can refuse a mistyped share at once, custodian by custodian. */
export function parseShare(text: string): CaShare {
  const fields = text.trim().split(':');
  if (fields.length !== 9 || fields[0] !== SHARE_PREFIX) {
    throw new CustodyError(`not a kofn CA share (expected ${SHARE_PREFIX}:${SHARE_VERSION}:<i>:<k>:<n>:…, 9 fields)`);
  }
  const [, version, i, k, n, ca, set, share, check] = fields as [string, string, string, string, string, string, string,
    string, string];
  if (version !== SHARE_VERSION) {
    throw new CustodyError(`share format ${version} is not supported (this is ${SHARE_VERSION})`);
  }
  const body = fields.slice(0, 8).join(':');
  if (checksum(body) !== check.toLowerCase()) {
    throw new CustodyError('checksum mismatch: the share was mistyped or damaged; compare it with the original');
  }
  if (![i, k, n].every((x) => DECIMAL.test(x)) || !HEX8.test(ca) || !HEX8.test(set) || !BASE64URL.test(share)) {
    throw new CustodyError('the share has a malformed field although its checksum matches: it was not made by kofn');
  }
  const index = Number(i);
  const threshold = Number(k);
  const count = Number(n);
  checkThreshold(threshold, count);
  if (index > count) throw new CustodyError(`share number ${index} is larger than the number of shares ${count}`);
  const bytes = Buffer.from(share, 'base64url');
  if (bytes.length < 2 || bytes.toString('base64url') !== share) {
    bytes.fill(0);
    throw new CustodyError('the share data is not canonical base64url');
  }
  const copy = new Uint8Array(bytes);
  bytes.fill(0);
  return { index, k: threshold, n: count, ca, set, bytes: copy };
}

function normaliseFingerprint(value: string): string {
  return value.replace(/[\s:]/g, '').toLowerCase();
}

/**
 * Rebuilds the CA private key (PKCS#8 PEM) from k or more shares. Refuses, each with its own message: a share that
 * is not one, a mistyped share, shares of different CAs or of different splits, a share given twice, fewer than k
 * shares, and shares of another CA than `expectedCaFingerprint` (hex, `:` separators allowed).
 */
export async function combineKey(shares: readonly string[], expectedCaFingerprint?: string): Promise<string> {
  const parsed: CaShare[] = [];
  try {
    shares.forEach((text, pos) => {
      try {
        parsed.push(parseShare(text));
      } catch (err) {
        throw err instanceof CustodyError ? new CustodyError(`share ${pos + 1} of ${shares.length}: ${err.message}`) : err;
      }
    });
    const first = parsed[0];
    if (first === undefined) throw new CustodyError('no shares given');
    for (const s of parsed) {
      if (s.ca !== first.ca) {
        throw new CustodyError(`the shares belong to different CAs (${first.ca}… and ${s.ca}…)`);
      }
      if (s.set !== first.set || s.k !== first.k || s.n !== first.n) {
        throw new CustodyError(`the shares come from different splits (${first.set} and ${s.set}): use one set`);
      }
    }
    if (expectedCaFingerprint !== undefined && !normaliseFingerprint(expectedCaFingerprint).startsWith(first.ca)) {
      throw new CustodyError(`the shares are for CA ${first.ca}…, not the expected CA ${
        normaliseFingerprint(expectedCaFingerprint).slice(0, 8)}…`);
    }
    const seen = new Set<number>();
    for (const s of parsed) {
      if (seen.has(s.index)) throw new CustodyError(`share ${s.index} of ${first.n} was given twice`);
      seen.add(s.index);
    }
    if (parsed.length < first.k) {
      throw new CustodyError(`${first.k} of the ${first.n} shares are needed, only ${parsed.length} given`);
    }
    let secret: Uint8Array;
    try {
      secret = await combine(parsed.map((s) => s.bytes));
    } catch {
      throw new CustodyError('the shares could not be combined: they are not from the same split');
    }
    const der = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' })
        .toString();
    } catch {
      throw new CustodyError(
        'the shares combine into something that is not a private key: one was altered or is from another split');
    } finally {
      secret.fill(0);
    }
  } finally {
    for (const s of parsed) s.bytes.fill(0);
  }
}
