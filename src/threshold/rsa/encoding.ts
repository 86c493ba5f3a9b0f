/**
 * Message representatives for RSA signatures: EMSA-PKCS1-v1_5 (RFC 8017 section 9.2) and
 * EMSA-PSS (RFC 8017 section 9.1). The threshold scheme signs the integer OS2IP(EM).
 */
import { createHash, randomBytes } from 'node:crypto';
import { os2ip } from '../bytes.js';
import { ThresholdError } from './errors.js';

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export const HASH_LENGTH: Readonly<Record<HashName, number>> = {
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/** DER prefixes of DigestInfo, RFC 8017 section 9.2, note 1. */
const DIGEST_INFO_PREFIX: Readonly<Record<HashName, string>> = {
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function invalid(msg: string): never {
  throw new ThresholdError('INVALID_MESSAGE', msg);
}

function checkDigest(hash: HashName, digest: Uint8Array): void {
  if (!(hash in HASH_LENGTH)) invalid(`unsupported hash ${String(hash)}`);
  if (digest.length !== HASH_LENGTH[hash]) invalid(`${hash} digest must be ${HASH_LENGTH[hash]} bytes`);
}

/** DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING } */
export function digestInfo(hash: HashName, digest: Uint8Array): Buffer {
  checkDigest(hash, digest);
  return Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash], 'hex'), digest]);
}

/**
 * EMSA-PKCS1-v1_5 padding of T (a DigestInfo, or whatever the caller of CKM_RSA_PKCS supplies):
 * EM = 0x00 || 0x01 || PS (0xff, at least 8) || 0x00 || T, emLen = ceil(modBits/8).
 */
export function emsaPkcs1v15(t: Uint8Array, modBits: number): Buffer {
  const emLen = Math.ceil(modBits / 8);
  if (t.length > emLen - 11) invalid('message too long for EMSA-PKCS1-v1_5 with this modulus');
  const em = Buffer.alloc(emLen, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[emLen - t.length - 1] = 0x00;
  em.set(t, emLen - t.length);
  return em;
}

/** MGF1 (RFC 8017 appendix B.2.1). */
export function mgf1(hash: HashName, seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let i = 0, off = 0; off < length; i++, off += HASH_LENGTH[hash]) {
    counter.writeUInt32BE(i, 0);
    const block = createHash(hash).update(seed).update(counter).digest();
    block.copy(out, off, 0, Math.min(block.length, length - off));
  }
  return out;
}

export interface PssOptions {
  hash: HashName;
  /** Hash of MGF1; PKCS#11 lets it differ from `hash`. Defaults to `hash`. */
  mgfHash?: HashName;
  saltLength: number;
  /** Fixed salt, for known-answer tests only; otherwise drawn from the CSPRNG. */
  salt?: Uint8Array;
}

/** EMSA-PSS-ENCODE(mHash, emBits = modBits − 1), RFC 8017 section 9.1.1, from the message hash. */
export function emsaPss(mHash: Uint8Array, modBits: number, opts: PssOptions): Buffer {
  const { hash, saltLength } = opts;
  const mgfHash = opts.mgfHash ?? hash;
  checkDigest(hash, mHash);
  if (!(mgfHash in HASH_LENGTH)) invalid(`unsupported MGF1 hash ${String(mgfHash)}`);
  const hLen = HASH_LENGTH[hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (!Number.isInteger(saltLength) || saltLength < 0)
    invalid('PSS salt length must be a non-negative integer');
  if (emLen < hLen + saltLength + 2) invalid('PSS salt too long for this modulus');
  const salt = opts.salt ? Buffer.from(opts.salt) : randomBytes(saltLength);
  if (salt.length !== saltLength) invalid('PSS salt has the wrong length');
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.alloc(emLen - hLen - 1);
  db[emLen - saltLength - hLen - 2] = 0x01;
  salt.copy(db, db.length - saltLength);
  const mask = mgf1(mgfHash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  // Clear the leftmost 8·emLen − emBits bits so that EM < 2^emBits < n.
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** What to sign, in the forms PKCS#11 hands them over. */
export type SignatureInput =
  /** CKM_SHA*_RSA_PKCS after hashing: the digest of the message. */
  | { scheme: 'pkcs1'; hash: HashName; digest: Uint8Array }
  /** CKM_RSA_PKCS: the caller's own DigestInfo (or any short string), padded as is. */
  | { scheme: 'pkcs1-raw'; data: Uint8Array }
  /** CKM_RSA_PKCS_PSS / CKM_SHA*_RSA_PKCS_PSS: the message hash and PSS parameters. */
  | ({ scheme: 'pss'; digest: Uint8Array } & PssOptions);

/** The message representative x = OS2IP(EM) for a modulus of `modBits` bits. */
export function messageRepresentative(input: SignatureInput, modBits: number): bigint {
  switch (input.scheme) {
    case 'pkcs1':
      return os2ip(emsaPkcs1v15(digestInfo(input.hash, input.digest), modBits));
    case 'pkcs1-raw':
      return os2ip(emsaPkcs1v15(input.data, modBits));
    case 'pss':
      return os2ip(emsaPss(input.digest, modBits, input));
    default:
      return invalid('unknown signature scheme');
  }
}
