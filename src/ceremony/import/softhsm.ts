/**
 * Reads an extractable RSA private key out of a PKCS#11 token (written for SoftHSM2 2.6, which is
 * where operators migrating to kofn keep their keys), through pkcs11js in this process.
 *
 * A non-sensitive key's primes are plain attributes. A sensitive one is wrapped (C_WrapKey with
 * CKM_AES_KEY_WRAP_PAD, RFC 5649) under a throw-away AES-256 session key whose value is then read,
 * so the PKCS#8 blob is unwrapped here with OpenSSL ('id-aes256-wrap-pad') and taken apart by der.ts.
 * The AES key and the plaintext are zeroed, the session key is destroyed, and the module is logged
 * out and finalized whatever happens.
 *
 * Not covered: pkcs11js copies attribute values (the primes of a non-sensitive key, the AES key's
 * value) through malloc'd memory it frees without wiping.
 */
import { createDecipheriv } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { DerError, parsePkcs8RsaPrivateKey, type RsaPrivateParts } from './der.js';
import { ImportError, importedKey } from './key.js';
import type { ImportedRsaKey } from './types.js';

export interface Pkcs11Source {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  tokenLabel: string;
  /** The user PIN. */
  pin: string;
  /** CKA_ID of the private key. */
  id?: Buffer;
  /** CKA_LABEL of the private key. With neither, the token must hold exactly one RSA private key. */
  label?: string;
}

/** RFC 5649's alternative initial value, which CKM_AES_KEY_WRAP_PAD uses when given no IV. */
const KWP_IV = Buffer.from('a65959a6', 'hex');
/** A PKCS#8 RSA-16384 key is under 10 KB; SoftHSM2 says CKR_BUFFER_TOO_SMALL rather than truncate. */
const WRAP_BUFFER = 16384;

type P11 = InstanceType<typeof pkcs11js.PKCS11>;

/** "CKR_PIN_INCORRECT" from pkcs11js's errors, whichever of its two shapes they take. */
function ckr(err: unknown): string | undefined {
  return err instanceof Error ? /^(CKR_[A-Z0-9_]+)/.exec(err.message)?.[1] : undefined;
}

function call<T>(what: string, f: () => T, explain: Record<string, string> = {}): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const rv = ckr(err);
    const reason = (rv !== undefined ? explain[rv] : undefined) ?? (err as Error).message;
    throw new ImportError(`${what}: ${reason}`, { cause: err });
  }
}

function findSlot(p11: P11, tokenLabel: string): Buffer {
  const slots = call('C_GetSlotList', () => p11.C_GetSlotList(true));
  const labels: string[] = [];
  for (const slot of slots) {
    const info = call('C_GetTokenInfo', () => p11.C_GetTokenInfo(slot));
    // SoftHSM2 always offers one more, uninitialised, token: not worth naming.
    if (!(info.flags & pkcs11js.CKF_TOKEN_INITIALIZED)) continue;
    const label = info.label.trim();
    if (label === tokenLabel) return slot;
    labels.push(label);
  }
  throw new ImportError(
    `no token labelled "${tokenLabel}" (tokens: ${labels.length > 0 ? labels.map((l) => `"${l}"`).join(', ') : 'none'})`,
  );
}

function describe(src: Pkcs11Source): string {
  const parts = [];
  if (src.label !== undefined) parts.push(`label "${src.label}"`);
  if (src.id !== undefined) parts.push(`id ${src.id.toString('hex')}`);
  return parts.length > 0 ? parts.join(', ') : 'any label or id';
}

function findKey(p11: P11, session: Buffer, src: Pkcs11Source): Buffer {
  const template: pkcs11js.Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
  ];
  if (src.id !== undefined) template.push({ type: pkcs11js.CKA_ID, value: src.id });
  if (src.label !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: src.label });
  const found = call('C_FindObjects', () => {
    p11.C_FindObjectsInit(session, template);
    try {
      return p11.C_FindObjects(session, 2);
    } finally {
      p11.C_FindObjectsFinal(session);
    }
  });
  const [key] = found;
  if (key === undefined) {
    throw new ImportError(`token "${src.tokenLabel}" has no RSA private key with ${describe(src)}`);
  }
  if (found.length > 1) {
    throw new ImportError(
      `token "${src.tokenLabel}" has several RSA private keys with ${describe(src)}: say which by its CKA_ID`,
    );
  }
  return key;
}

function attributes(p11: P11, session: Buffer, key: Buffer, types: number[]): Buffer[] {
  const got = call('C_GetAttributeValue', () =>
    p11.C_GetAttributeValue(session, key, types.map((type) => ({ type }))));
  return types.map((_, i) => {
    const v = got[i]?.value;
    return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
  });
}

const flag = (b: Buffer) => b.length > 0 && b[0] !== 0;

/** The primes of a sensitive key, by way of a wrap under a session AES key. */
function wrapOut(p11: P11, session: Buffer, key: Buffer, src: Pkcs11Source): RsaPrivateParts {
  const aes = call('generating the session AES key (C_GenerateKey)', () =>
    p11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: false },
      { type: pkcs11js.CKA_WRAP, value: true },
      { type: pkcs11js.CKA_ENCRYPT, value: false },
      { type: pkcs11js.CKA_DECRYPT, value: false },
    ]));
  let kek: Buffer | undefined;
  let plain: Buffer | undefined;
  try {
    const wrapped = call('C_WrapKey', () =>
      p11.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD }, aes, key, Buffer.alloc(WRAP_BUFFER)), {
      CKR_MECHANISM_INVALID: 'the module cannot wrap with CKM_AES_KEY_WRAP_PAD (SoftHSM2 2.6 can)',
      CKR_KEY_UNEXTRACTABLE: 'the key is not extractable',
      CKR_KEY_NOT_WRAPPABLE: 'the module will not wrap this key',
    });
    [kek] = attributes(p11, session, aes, [pkcs11js.CKA_VALUE]);
    if (kek?.length !== 32) throw new ImportError('the session AES key\'s value could not be read');
    const decipher = createDecipheriv('id-aes256-wrap-pad', kek, KWP_IV);
    const head = decipher.update(wrapped);
    let tail: Buffer;
    try {
      tail = decipher.final();
    } catch (err) {
      head.fill(0);
      throw new ImportError('unwrapping the key failed its integrity check', { cause: err });
    }
    plain = Buffer.concat([head, tail]);
    head.fill(0);
    tail.fill(0);
    try {
      return parsePkcs8RsaPrivateKey(plain, true);
    } catch (err) {
      if (err instanceof DerError) {
        throw new ImportError(`token "${src.tokenLabel}": the wrapped key is ${err.message}`, { cause: err });
      }
      throw err;
    }
  } finally {
    kek?.fill(0);
    plain?.fill(0);
    try {
      p11.C_DestroyObject(session, aes);
    } catch {
      // a session object: it goes with the session in any case
    }
  }
}

/**
 * Reads the RSA private key `id`/`label` from the token `tokenLabel` of `module`. It must be
 * extractable (CKA_EXTRACTABLE = true); kofn refuses to reach around a token's policy otherwise.
 */
export function readPkcs11Key(src: Pkcs11Source): Promise<ImportedRsaKey> {
  // pkcs11js calls are synchronous; the promise keeps the three readers alike for the ceremony.
  return new Promise((resolve) => resolve(read(src)));
}

function read(src: Pkcs11Source): ImportedRsaKey {
  const p11 = new pkcs11js.PKCS11();
  call(`cannot load PKCS#11 module ${src.module}`, () => p11.load(src.module));
  let initialized = false;
  try {
    try {
      p11.C_Initialize();
      initialized = true;
    } catch (err) {
      // Another part of this process already uses the module: share its initialisation.
      if (ckr(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
        throw new ImportError(`C_Initialize of ${src.module}: ${(err as Error).message}`, { cause: err });
      }
    }
    const slot = findSlot(p11, src.tokenLabel);
    const session = call('C_OpenSession', () => p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION));
    try {
      call(`logging in to token "${src.tokenLabel}"`, () => p11.C_Login(session, pkcs11js.CKU_USER, src.pin), {
        CKR_PIN_INCORRECT: 'wrong PIN',
        CKR_PIN_LOCKED: 'the PIN is locked',
      });
      try {
        return readKey(p11, session, src);
      } finally {
        try {
          p11.C_Logout(session);
        } catch {
          // closing the session ends the login as well
        }
      }
    } finally {
      try {
        p11.C_CloseSession(session);
      } catch {
        // C_Finalize closes it
      }
    }
  } finally {
    if (initialized) {
      try {
        p11.C_Finalize();
      } catch {
        // the key has been read (or the error that stopped us is the one to report)
      }
    }
    p11.close();
  }
}

function readKey(p11: P11, session: Buffer, src: Pkcs11Source): ImportedRsaKey {
  const key = findKey(p11, session, src);
  const [label, id, modulus, exponent, extractable, sensitive] = attributes(p11, session, key, [
    pkcs11js.CKA_LABEL, pkcs11js.CKA_ID, pkcs11js.CKA_MODULUS, pkcs11js.CKA_PUBLIC_EXPONENT,
    pkcs11js.CKA_EXTRACTABLE, pkcs11js.CKA_SENSITIVE,
  ]) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const name = `token "${src.tokenLabel}" key ${label.length > 0 ? `"${label.toString('utf8')}" ` : ''}` +
    `(id ${id.toString('hex') || 'none'})`;
  if (!flag(extractable)) {
    throw new ImportError(
      `${name} is not extractable: SoftHSM2 keys made with CKA_EXTRACTABLE=false cannot be imported; ` +
      'roll the key over instead',
    );
  }
  if (modulus.length === 0 || exponent.length === 0) throw new ImportError(`${name} has no public modulus or exponent`);
  const n = BigInt(`0x${modulus.toString('hex')}`);
  const e = BigInt(`0x${exponent.toString('hex')}`);
  let parts: RsaPrivateParts;
  if (flag(sensitive)) {
    parts = wrapOut(p11, session, key, src);
  } else {
    const [p, q] = attributes(p11, session, key, [pkcs11js.CKA_PRIME_1, pkcs11js.CKA_PRIME_2]) as [Buffer, Buffer];
    parts = { n, e, p, q };
  }
  if (parts.n !== n || parts.e !== e) {
    parts.p.fill(0);
    parts.q.fill(0);
    throw new ImportError(`${name}: the wrapped key's public part differs from the key object's`);
  }
  return importedKey({
    n, e, p: parts.p, q: parts.q, source: `PKCS#11 ${name} in ${src.module}`,
    ...(label.length > 0 ? { label: label.toString('utf8') } : {}),
    ...(id.length > 0 ? { ckaId: Buffer.from(id) } : {}),
  });
}
