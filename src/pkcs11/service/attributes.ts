/**
 * Attribute rules as one table (PKCS#11 2.40 §4.2–4.9 and the footnotes of its Table 10): which
 * objects carry each attribute, its value type, its default, who may give it and when it may change.
 * objects.ts applies the table; nothing else decides what an attribute may do.
 */
import * as ck from '../ck.js';
import { type Abi, readUlong, writeUlong } from './abi.js';
import { CkError } from './errors.js';

/** Canonical values: CK_ULONG → bigint, CK_BBOOL → boolean, mechanism lists → bigint[], else bytes. */
export type AttrValue = bigint | boolean | Buffer | bigint[];
export type Attrs = Map<bigint, AttrValue>;

type Kind = 'ulong' | 'bool' | 'bytes' | 'date' | 'mechs';

/** The kinds of object an attribute belongs to (PKCS#11 §4 object hierarchy). */
type Scope = 'all' | 'data' | 'cert' | 'x509' | 'key' | 'public' | 'private' | 'rsa-public' | 'rsa-private';

interface Rule {
  name: string;
  kind: Kind;
  on: Scope;
  /** Value when a template leaves it out (absent: the object does not have it). */
  dflt?: AttrValue;
  /** Footnote 1: must be in a C_CreateObject template. */
  mustCreate?: true;
  /** Footnote 2/4/6: never given by the caller; the token sets it (also footnote 4 for generation only). */
  tokenOnly?: true;
  /** Footnote 4: must not be in a key-generation template (the token computes it). */
  notGenerate?: true;
  /** Footnote 3: must be in a key-generation template. */
  mustGenerate?: true;
  /** Footnote 8: may change after creation (C_SetAttributeValue, C_CopyObject). */
  modifiable?: true;
  /** Footnotes 11/12: may change only towards this value. */
  onlyTo?: boolean;
  /** Footnote 7: never revealed when the object is sensitive or not extractable. */
  secret?: true;
  /** Footnote 10: only the SO may set it to true. */
  soOnly?: true;
}

const T = true as const;
const EMPTY = Buffer.alloc(0);

const RULES = new Map<bigint, Rule>([
  // Common storage attributes (§4.4)
  [ck.CKA_CLASS, { name: 'CKA_CLASS', kind: 'ulong', on: 'all', mustCreate: T }],
  [ck.CKA_TOKEN, { name: 'CKA_TOKEN', kind: 'bool', on: 'all', dflt: false }],
  [ck.CKA_PRIVATE, { name: 'CKA_PRIVATE', kind: 'bool', on: 'all', dflt: false }],
  [ck.CKA_MODIFIABLE, { name: 'CKA_MODIFIABLE', kind: 'bool', on: 'all', dflt: true }],
  [ck.CKA_COPYABLE, { name: 'CKA_COPYABLE', kind: 'bool', on: 'all', dflt: true, onlyTo: false }],
  [ck.CKA_DESTROYABLE, { name: 'CKA_DESTROYABLE', kind: 'bool', on: 'all', dflt: true }],
  [ck.CKA_LABEL, { name: 'CKA_LABEL', kind: 'bytes', on: 'all', dflt: EMPTY, modifiable: T }],
  // Data objects (§4.5)
  [ck.CKA_APPLICATION, { name: 'CKA_APPLICATION', kind: 'bytes', on: 'data', dflt: EMPTY, modifiable: T }],
  [ck.CKA_OBJECT_ID, { name: 'CKA_OBJECT_ID', kind: 'bytes', on: 'data', dflt: EMPTY, modifiable: T }],
  // Certificates (§4.6) and X.509 certificates (§4.6.3)
  [ck.CKA_CERTIFICATE_TYPE, { name: 'CKA_CERTIFICATE_TYPE', kind: 'ulong', on: 'cert', mustCreate: T }],
  [ck.CKA_TRUSTED, { name: 'CKA_TRUSTED', kind: 'bool', on: 'cert', dflt: false, soOnly: T }],
  [ck.CKA_CERTIFICATE_CATEGORY, { name: 'CKA_CERTIFICATE_CATEGORY', kind: 'ulong', on: 'cert', dflt: 0n }],
  [ck.CKA_CHECK_VALUE, { name: 'CKA_CHECK_VALUE', kind: 'bytes', on: 'cert', dflt: EMPTY }],
  [ck.CKA_ISSUER, { name: 'CKA_ISSUER', kind: 'bytes', on: 'x509', dflt: EMPTY, modifiable: T }],
  [ck.CKA_SERIAL_NUMBER, { name: 'CKA_SERIAL_NUMBER', kind: 'bytes', on: 'x509', dflt: EMPTY, modifiable: T }],
  [ck.CKA_URL, { name: 'CKA_URL', kind: 'bytes', on: 'x509', dflt: EMPTY }],
  [ck.CKA_HASH_OF_SUBJECT_PUBLIC_KEY, { name: 'CKA_HASH_OF_SUBJECT_PUBLIC_KEY', kind: 'bytes', on: 'x509', dflt: EMPTY }],
  [ck.CKA_HASH_OF_ISSUER_PUBLIC_KEY, { name: 'CKA_HASH_OF_ISSUER_PUBLIC_KEY', kind: 'bytes', on: 'x509', dflt: EMPTY }],
  [ck.CKA_JAVA_MIDP_SECURITY_DOMAIN, { name: 'CKA_JAVA_MIDP_SECURITY_DOMAIN', kind: 'ulong', on: 'x509', dflt: 0n }],
  [ck.CKA_NAME_HASH_ALGORITHM, { name: 'CKA_NAME_HASH_ALGORITHM', kind: 'ulong', on: 'x509', dflt: ck.CKM_SHA_1 }],
  // CKA_VALUE: a data object's value (modifiable) or an X.509 certificate's DER (required).
  [ck.CKA_VALUE, { name: 'CKA_VALUE', kind: 'bytes', on: 'all', dflt: EMPTY, modifiable: T }],
  // Keys (§4.7)
  [ck.CKA_KEY_TYPE, { name: 'CKA_KEY_TYPE', kind: 'ulong', on: 'key', mustCreate: T }],
  [ck.CKA_ID, { name: 'CKA_ID', kind: 'bytes', on: 'all', dflt: EMPTY, modifiable: T }],
  [ck.CKA_START_DATE, { name: 'CKA_START_DATE', kind: 'date', on: 'all', dflt: EMPTY, modifiable: T }],
  [ck.CKA_END_DATE, { name: 'CKA_END_DATE', kind: 'date', on: 'all', dflt: EMPTY, modifiable: T }],
  [ck.CKA_DERIVE, { name: 'CKA_DERIVE', kind: 'bool', on: 'key', dflt: false, modifiable: T }],
  [ck.CKA_LOCAL, { name: 'CKA_LOCAL', kind: 'bool', on: 'key', tokenOnly: T }],
  [ck.CKA_KEY_GEN_MECHANISM, { name: 'CKA_KEY_GEN_MECHANISM', kind: 'ulong', on: 'key', tokenOnly: T }],
  [ck.CKA_ALLOWED_MECHANISMS, { name: 'CKA_ALLOWED_MECHANISMS', kind: 'mechs', on: 'key', dflt: [] }],
  [ck.CKA_SUBJECT, { name: 'CKA_SUBJECT', kind: 'bytes', on: 'all', dflt: EMPTY, modifiable: T }],
  // Public keys (§4.8)
  [ck.CKA_ENCRYPT, { name: 'CKA_ENCRYPT', kind: 'bool', on: 'public', dflt: true, modifiable: T }],
  [ck.CKA_VERIFY, { name: 'CKA_VERIFY', kind: 'bool', on: 'public', dflt: true, modifiable: T }],
  [ck.CKA_VERIFY_RECOVER, { name: 'CKA_VERIFY_RECOVER', kind: 'bool', on: 'public', dflt: false, modifiable: T }],
  [ck.CKA_WRAP, { name: 'CKA_WRAP', kind: 'bool', on: 'public', dflt: false, modifiable: T }],
  [ck.CKA_PUBLIC_KEY_INFO, { name: 'CKA_PUBLIC_KEY_INFO', kind: 'bytes', on: 'key', dflt: EMPTY }],
  // Private keys (§4.9)
  [ck.CKA_SENSITIVE, { name: 'CKA_SENSITIVE', kind: 'bool', on: 'private', dflt: true, modifiable: T, onlyTo: true }],
  [ck.CKA_DECRYPT, { name: 'CKA_DECRYPT', kind: 'bool', on: 'private', dflt: false, modifiable: T }],
  [ck.CKA_SIGN, { name: 'CKA_SIGN', kind: 'bool', on: 'private', dflt: true, modifiable: T }],
  [ck.CKA_SIGN_RECOVER, { name: 'CKA_SIGN_RECOVER', kind: 'bool', on: 'private', dflt: false, modifiable: T }],
  [ck.CKA_UNWRAP, { name: 'CKA_UNWRAP', kind: 'bool', on: 'private', dflt: false, modifiable: T }],
  [ck.CKA_EXTRACTABLE, { name: 'CKA_EXTRACTABLE', kind: 'bool', on: 'private', dflt: false, modifiable: T,
    onlyTo: false }],
  [ck.CKA_ALWAYS_SENSITIVE, { name: 'CKA_ALWAYS_SENSITIVE', kind: 'bool', on: 'private', tokenOnly: T }],
  [ck.CKA_NEVER_EXTRACTABLE, { name: 'CKA_NEVER_EXTRACTABLE', kind: 'bool', on: 'private', tokenOnly: T }],
  [ck.CKA_WRAP_WITH_TRUSTED, { name: 'CKA_WRAP_WITH_TRUSTED', kind: 'bool', on: 'private', dflt: false,
    modifiable: T, onlyTo: true }],
  [ck.CKA_ALWAYS_AUTHENTICATE, { name: 'CKA_ALWAYS_AUTHENTICATE', kind: 'bool', on: 'private', dflt: false }],
  // RSA keys (§2.1.2, §2.1.3 of the mechanisms document)
  [ck.CKA_MODULUS, { name: 'CKA_MODULUS', kind: 'bytes', on: 'key', notGenerate: T }],
  [ck.CKA_MODULUS_BITS, { name: 'CKA_MODULUS_BITS', kind: 'ulong', on: 'rsa-public', mustGenerate: T }],
  [ck.CKA_PUBLIC_EXPONENT, { name: 'CKA_PUBLIC_EXPONENT', kind: 'bytes', on: 'key' }],
  [ck.CKA_PRIVATE_EXPONENT, { name: 'CKA_PRIVATE_EXPONENT', kind: 'bytes', on: 'rsa-private', secret: T }],
  [ck.CKA_PRIME_1, { name: 'CKA_PRIME_1', kind: 'bytes', on: 'rsa-private', secret: T }],
  [ck.CKA_PRIME_2, { name: 'CKA_PRIME_2', kind: 'bytes', on: 'rsa-private', secret: T }],
  [ck.CKA_EXPONENT_1, { name: 'CKA_EXPONENT_1', kind: 'bytes', on: 'rsa-private', secret: T }],
  [ck.CKA_EXPONENT_2, { name: 'CKA_EXPONENT_2', kind: 'bytes', on: 'rsa-private', secret: T }],
  [ck.CKA_COEFFICIENT, { name: 'CKA_COEFFICIENT', kind: 'bytes', on: 'rsa-private', secret: T }],
]);

export function rule(type: bigint): Rule | undefined {
  return RULES.get(type);
}

export function attrName(type: bigint): string {
  return RULES.get(type)?.name ?? `0x${type.toString(16)}`;
}

/** What kind of object a set of attributes describes, for the table's scopes. */
export interface Shape {
  cls: bigint;
  keyType?: bigint;
  certType?: bigint;
}

/** Whether objects of this shape carry the attribute at all (else CKR_ATTRIBUTE_TYPE_INVALID). */
export function applies(type: bigint, s: Shape): boolean {
  const r = RULES.get(type);
  if (r === undefined) return false;
  const key = s.cls === ck.CKO_PUBLIC_KEY || s.cls === ck.CKO_PRIVATE_KEY || s.cls === ck.CKO_SECRET_KEY;
  const rsa = s.keyType === ck.CKK_RSA;
  switch (r.on) {
    case 'all':
      if (type === ck.CKA_VALUE) return s.cls === ck.CKO_DATA || s.cls === ck.CKO_CERTIFICATE;
      if (type === ck.CKA_ID || type === ck.CKA_START_DATE || type === ck.CKA_END_DATE) {
        return key || s.cls === ck.CKO_CERTIFICATE;
      }
      if (type === ck.CKA_SUBJECT) return key || s.cls === ck.CKO_CERTIFICATE;
      return true;
    case 'data':
      return s.cls === ck.CKO_DATA;
    case 'cert':
      return s.cls === ck.CKO_CERTIFICATE;
    case 'x509':
      return s.cls === ck.CKO_CERTIFICATE && s.certType === ck.CKC_X_509;
    case 'key':
      if (type === ck.CKA_MODULUS || type === ck.CKA_PUBLIC_EXPONENT) return key && rsa && s.cls !== ck.CKO_SECRET_KEY;
      return key;
    case 'public':
      return s.cls === ck.CKO_PUBLIC_KEY;
    case 'private':
      return s.cls === ck.CKO_PRIVATE_KEY;
    case 'rsa-public':
      return s.cls === ck.CKO_PUBLIC_KEY && rsa;
    case 'rsa-private':
      return s.cls === ck.CKO_PRIVATE_KEY && rsa;
    default:
      return false;
  }
}

/** Every attribute type an object of this shape has (for defaults and the object size). */
export function typesOf(s: Shape): bigint[] {
  return [...RULES.keys()].filter((t) => applies(t, s));
}

// ---- values across the socket ----------------------------------------------------------------

/** A client's attribute bytes → canonical value; CKR_ATTRIBUTE_VALUE_INVALID when malformed. */
export function fromClient(abi: Abi, type: bigint, bytes: Buffer | null): AttrValue {
  const r = RULES.get(type);
  if (r === undefined) throw new CkError(ck.CKR_ATTRIBUTE_TYPE_INVALID, `unknown attribute 0x${type.toString(16)}`);
  if (bytes === null) throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, `${r.name} without a value`);
  switch (r.kind) {
    case 'ulong':
      return readUlong(abi, bytes);
    case 'bool':
      if (bytes.length !== 1) throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, `${r.name} is not a CK_BBOOL`);
      return bytes[0] !== 0;
    case 'date':
      if (bytes.length !== 0 && bytes.length !== 8) throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, `${r.name}`);
      return Buffer.from(bytes);
    case 'mechs': {
      if (bytes.length % abi.ulongSize !== 0) throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, r.name);
      const out: bigint[] = [];
      for (let i = 0; i < bytes.length; i += abi.ulongSize) {
        out.push(readUlong(abi, bytes.subarray(i, i + abi.ulongSize)));
      }
      return out;
    }
    default:
      return Buffer.from(bytes);
  }
}

export function toClient(abi: Abi, value: AttrValue): Buffer {
  if (typeof value === 'bigint') return writeUlong(abi, value);
  if (typeof value === 'boolean') return Buffer.from([value ? 1 : 0]);
  if (Array.isArray(value)) return Buffer.concat(value.map((v) => writeUlong(abi, v)));
  return value;
}

// ---- storage: canonical values in the store's TLV (docs/token-service.md, format v1) -------------

const TAG = { ulong: 1, bool: 2, bytes: 3, mechs: 4 } as const;

export function serialize(attrs: Attrs): Buffer {
  const parts: Buffer[] = [];
  for (const [type, v] of attrs) {
    const head = Buffer.alloc(9);
    head.writeBigUInt64BE(type, 0);
    let body: Buffer;
    if (typeof v === 'bigint') {
      head[8] = TAG.ulong;
      body = Buffer.alloc(8);
      body.writeBigUInt64BE(v, 0);
    } else if (typeof v === 'boolean') {
      head[8] = TAG.bool;
      body = Buffer.from([v ? 1 : 0]);
    } else if (Array.isArray(v)) {
      head[8] = TAG.mechs;
      body = Buffer.alloc(8 * v.length);
      v.forEach((m, i) => body.writeBigUInt64BE(m, 8 * i));
    } else {
      head[8] = TAG.bytes;
      body = v;
    }
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length, 0);
    parts.push(head, len, body);
  }
  return Buffer.concat(parts);
}

export function deserialize(buf: Buffer): Attrs {
  const out: Attrs = new Map();
  let at = 0;
  while (at < buf.length) {
    const type = buf.readBigUInt64BE(at);
    const tag = buf.readUInt8(at + 8);
    const len = buf.readUInt32BE(at + 9);
    const body = buf.subarray(at + 13, at + 13 + len);
    if (body.length !== len) throw new Error('attribute record truncated');
    at += 13 + len;
    if (tag === TAG.ulong) out.set(type, body.readBigUInt64BE(0));
    else if (tag === TAG.bool) out.set(type, body[0] === 1);
    else if (tag === TAG.mechs) out.set(type, Array.from({ length: len / 8 }, (_, i) => body.readBigUInt64BE(8 * i)));
    else if (tag === TAG.bytes) out.set(type, Buffer.from(body));
    else throw new Error(`unknown attribute tag ${tag}`);
  }
  return out;
}
