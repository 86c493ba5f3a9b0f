/**
 * The mechanisms the token implements, as one table that C_GetMechanismList/C_GetMechanismInfo
 * report and the operations consult, so the list tells the truth. Signing builds the message
 * representative here (PKCS#11 2.40 mechanisms §2.1.6–2.1.15); the secret exponentiation happens
 * on the nodes.
 */
import { createHash, type Hash, type KeyObject, constants, publicEncrypt } from 'node:crypto';
import * as ck from '../ck.js';
import type { Mechanism } from '../protocol/wire.js';
import { digestInfo, emsaPkcs1v15, HASH_LENGTH, type HashName, mgf1 } from '../../threshold/rsa/index.js';
import { type Abi, readUlongAt } from './abi.js';
import { CkError } from './errors.js';

export type Role = 'sign' | 'digest' | 'keygen' | 'encrypt';

interface MechInfo {
  name: string;
  flags: bigint;
  min: bigint;
  max: bigint;
  /** Hash applied by the token before padding (the CKM_SHA*_RSA_* family). */
  hash?: HashName;
  scheme?: 'pkcs1' | 'pss';
}

const RSA = { min: 1024n, max: 4096n };
// CKF_HW: the private-key half runs on the nodes, outside the calling process and this service.
const SV = ck.CKF_HW | ck.CKF_SIGN | ck.CKF_VERIFY;
const DIGEST = { flags: ck.CKF_DIGEST, min: 0n, max: 0n };

export const MECHANISMS = new Map<bigint, MechInfo>([
  [ck.CKM_RSA_PKCS_KEY_PAIR_GEN, { name: 'CKM_RSA_PKCS_KEY_PAIR_GEN', flags: ck.CKF_HW | ck.CKF_GENERATE_KEY_PAIR, ...RSA }],
  [ck.CKM_RSA_PKCS, { name: 'CKM_RSA_PKCS', flags: SV | ck.CKF_ENCRYPT, ...RSA, scheme: 'pkcs1' }],
  [ck.CKM_SHA1_RSA_PKCS, { name: 'CKM_SHA1_RSA_PKCS', flags: SV, ...RSA, scheme: 'pkcs1', hash: 'sha1' }],
  [ck.CKM_SHA224_RSA_PKCS, { name: 'CKM_SHA224_RSA_PKCS', flags: SV, ...RSA, scheme: 'pkcs1', hash: 'sha224' }],
  [ck.CKM_SHA256_RSA_PKCS, { name: 'CKM_SHA256_RSA_PKCS', flags: SV, ...RSA, scheme: 'pkcs1', hash: 'sha256' }],
  [ck.CKM_SHA384_RSA_PKCS, { name: 'CKM_SHA384_RSA_PKCS', flags: SV, ...RSA, scheme: 'pkcs1', hash: 'sha384' }],
  [ck.CKM_SHA512_RSA_PKCS, { name: 'CKM_SHA512_RSA_PKCS', flags: SV, ...RSA, scheme: 'pkcs1', hash: 'sha512' }],
  [ck.CKM_RSA_PKCS_PSS, { name: 'CKM_RSA_PKCS_PSS', flags: SV, ...RSA, scheme: 'pss' }],
  [ck.CKM_SHA1_RSA_PKCS_PSS, { name: 'CKM_SHA1_RSA_PKCS_PSS', flags: SV, ...RSA, scheme: 'pss', hash: 'sha1' }],
  [ck.CKM_SHA224_RSA_PKCS_PSS, { name: 'CKM_SHA224_RSA_PKCS_PSS', flags: SV, ...RSA, scheme: 'pss', hash: 'sha224' }],
  [ck.CKM_SHA256_RSA_PKCS_PSS, { name: 'CKM_SHA256_RSA_PKCS_PSS', flags: SV, ...RSA, scheme: 'pss', hash: 'sha256' }],
  [ck.CKM_SHA384_RSA_PKCS_PSS, { name: 'CKM_SHA384_RSA_PKCS_PSS', flags: SV, ...RSA, scheme: 'pss', hash: 'sha384' }],
  [ck.CKM_SHA512_RSA_PKCS_PSS, { name: 'CKM_SHA512_RSA_PKCS_PSS', flags: SV, ...RSA, scheme: 'pss', hash: 'sha512' }],
  [ck.CKM_RSA_PKCS_OAEP, { name: 'CKM_RSA_PKCS_OAEP', flags: ck.CKF_ENCRYPT, ...RSA }],
  [ck.CKM_SHA_1, { name: 'CKM_SHA_1', ...DIGEST, hash: 'sha1' }],
  [ck.CKM_SHA224, { name: 'CKM_SHA224', ...DIGEST, hash: 'sha224' }],
  [ck.CKM_SHA256, { name: 'CKM_SHA256', ...DIGEST, hash: 'sha256' }],
  [ck.CKM_SHA384, { name: 'CKM_SHA384', ...DIGEST, hash: 'sha384' }],
  [ck.CKM_SHA512, { name: 'CKM_SHA512', ...DIGEST, hash: 'sha512' }],
]);

/** The mechanism's entry if it may be used for `flag` (CKF_SIGN, CKF_DIGEST…), else CKR_MECHANISM_INVALID. */
export function mechanismFor(type: bigint, flag: bigint): MechInfo {
  const m = MECHANISMS.get(type);
  if (m === undefined || (m.flags & flag) === 0n) {
    throw new CkError(ck.CKR_MECHANISM_INVALID, `mechanism 0x${type.toString(16)} not usable here`);
  }
  return m;
}

const HASH_BY_CKM = new Map<bigint, HashName>([
  [ck.CKM_SHA_1, 'sha1'], [ck.CKM_SHA224, 'sha224'], [ck.CKM_SHA256, 'sha256'], [ck.CKM_SHA384, 'sha384'],
  [ck.CKM_SHA512, 'sha512'],
]);
const HASH_BY_MGF = new Map<bigint, HashName>([
  [ck.CKG_MGF1_SHA1, 'sha1'], [ck.CKG_MGF1_SHA224, 'sha224'], [ck.CKG_MGF1_SHA256, 'sha256'],
  [ck.CKG_MGF1_SHA384, 'sha384'], [ck.CKG_MGF1_SHA512, 'sha512'],
]);

export interface PssParams {
  hash: HashName;
  mgfHash: HashName;
  saltLength: number;
}

function badParam(what: string): never {
  throw new CkError(ck.CKR_MECHANISM_PARAM_INVALID, what);
}

/** CK_RSA_PKCS_PSS_PARAMS from its wire form (form 2, or raw bytes in the client's ABI). */
export function pssParams(abi: Abi, m: Mechanism, info: MechInfo): PssParams {
  let hashAlg: bigint;
  let mgf: bigint;
  let sLen: bigint;
  if (m.param.form === 'pss') ({ hashAlg, mgf, sLen } = m.param);
  else if (m.param.form === 'raw' && m.param.bytes.length === 3 * abi.ulongSize) {
    [hashAlg, mgf, sLen] = [0, 1, 2].map((i) => readUlongAt(abi, (m.param as { bytes: Buffer }).bytes, i)) as [
      bigint, bigint, bigint];
  } else return badParam('PSS parameters required');
  const hash = HASH_BY_CKM.get(hashAlg) ?? badParam('unsupported PSS hash');
  const mgfHash = HASH_BY_MGF.get(mgf) ?? badParam('unsupported MGF');
  // For CKM_SHAx_RSA_PKCS_PSS the parameter's hash must be the mechanism's (§2.1.15).
  if (info.hash !== undefined && info.hash !== hash) badParam('PSS hash differs from the mechanism');
  if (sLen > 1024n) badParam('PSS salt too long');
  return { hash, mgfHash, saltLength: Number(sLen) };
}

/** CK_RSA_PKCS_OAEP_PARAMS (form 3): MGF1 with the same hash (all OpenSSL offers), an optional label. */
export function oaepParams(m: Mechanism): { hash: HashName; label?: Buffer } {
  if (m.param.form !== 'oaep') return badParam('OAEP parameters required');
  const { hashAlg, mgf, source, sourceData } = m.param;
  const hash = HASH_BY_CKM.get(hashAlg) ?? badParam('unsupported OAEP hash');
  if (HASH_BY_MGF.get(mgf) !== hash) badParam('OAEP MGF1 must use the OAEP hash');
  if (source !== 0n && source !== ck.CKZ_DATA_SPECIFIED) badParam('unsupported OAEP label source');
  return { hash, ...(sourceData && sourceData.length > 0 ? { label: sourceData } : {}) };
}

export function noParams(m: Mechanism): void {
  if (m.param.form === 'raw' && m.param.bytes.length > 0) badParam('this mechanism takes no parameter');
  if (m.param.form !== 'none' && m.param.form !== 'raw') badParam('this mechanism takes no parameter');
}

/** Incremental hashing for the CKM_SHA*_RSA_* mechanisms and digests. */
export function newHash(name: HashName): Hash {
  return createHash(name);
}

export { digestInfo, emsaPkcs1v15, HASH_LENGTH, type HashName };

/**
 * RSA verification with the public key: EM = s^e mod n compared with the expected encoding
 * (RFC 8017 §8.2.2 and §8.1.2, EMSA-PSS-VERIFY §9.1.2). Public data only; no secret involved.
 */
export function rsaOpen(key: KeyObject, modBytes: number, sig: Buffer): Buffer | undefined {
  if (sig.length !== modBytes) return undefined;
  try {
    return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, sig);
  } catch {
    return undefined; // s ≥ n
  }
}

export function pssVerify(em: Buffer, mHash: Buffer, modBits: number, p: PssParams): boolean {
  const hLen = HASH_LENGTH[p.hash];
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  // EM has emLen bytes; the RSA output has modBytes, with a leading zero when emLen < modBytes.
  const e = em.subarray(em.length - emLen);
  if (em.length > emLen && em[0] !== 0) return false;
  if (mHash.length !== hLen || emLen < hLen + p.saltLength + 2 || e[emLen - 1] !== 0xbc) return false;
  const masked = e.subarray(0, emLen - hLen - 1);
  const h = e.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if (((masked[0] ?? 0) & ~topMask) !== 0) return false;
  const mask = mgf1(p.mgfHash, h, masked.length);
  const db = Buffer.from(masked.map((b, i) => b ^ (mask[i] ?? 0)));
  db[0] = (db[0] ?? 0) & topMask;
  const ps = db.subarray(0, emLen - hLen - p.saltLength - 2);
  if (ps.some((b) => b !== 0) || db[ps.length] !== 0x01) return false;
  const salt = db.subarray(db.length - p.saltLength);
  const h2 = createHash(p.hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return h2.equals(h);
}
