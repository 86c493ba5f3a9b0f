/**
 * @peculiar/x509 over Node's webcrypto, set up once; every module of the PKI reaches x509 through here so that
 * the provider (and the Reflect metadata polyfill that x509's tsyringe needs to load) is in place before first use.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { PkiError } from './errors.js';

x509.cryptoProvider.set(webcrypto);

export { x509 };

/** The one algorithm of the cluster PKI: ECDSA over P-256 with SHA-256. */
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

const DAY_MS = 86_400_000;
/** Certificates start a little in the past so that a node whose clock lags the issuer's still accepts them. */
const CLOCK_SKEW_MS = 5 * 60_000;

export async function generateSigningKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ ...ECDSA_P256 }, true, ['sign', 'verify']);
}

/** PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form Node's tls accepts. */
export async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  try {
    return x509.PemConverter.encode(der, 'PRIVATE KEY');
  } finally {
    der.fill(0);
  }
}

/** Imports a P-256 private key from PEM (PKCS#8 or SEC1) for signing; refuses any other kind of key. */
export async function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  let der: Buffer;
  try {
    const key = createPrivateKey(keyPem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new PkiError('the private key is not an ECDSA P-256 key');
    }
    der = key.export({ format: 'der', type: 'pkcs8' });
  } catch (err) {
    if (err instanceof PkiError) throw err;
    throw new PkiError('the private key is not a readable PEM private key');
  }
  try {
    return await webcrypto.subtle.importKey('pkcs8', der, { ...ECDSA_P256 }, false, ['sign']);
  } finally {
    der.fill(0);
  }
}

/** DER SubjectPublicKeyInfo of the public half of a PEM private key, to check that a key belongs to a cert. */
export function publicKeyDerOf(keyPem: string): Buffer {
  return createPublicKey(keyPem).export({ format: 'der', type: 'spki' });
}

/**
 * A random positive 16-byte serial number as hex: the top bit is cleared so the INTEGER stays positive and the
 * next one set so DER keeps all 16 bytes (RFC 5280 allows up to 20).
 */
export function randomSerial(): string {
  const bytes = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** The validity window: explicit dates win (tests mint expired certificates), else now − skew … + days. */
export interface ValidityOptions {
  validityDays: number;
  notBefore?: Date | undefined;
  notAfter?: Date | undefined;
}

export function validityWindow(options: ValidityOptions): Validity {
  const { validityDays } = options;
  if (!Number.isInteger(validityDays) || validityDays <= 0) {
    throw new PkiError(`validityDays must be a positive integer, got ${String(validityDays)}`);
  }
  const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + CLOCK_SKEW_MS + validityDays * DAY_MS);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new PkiError('notBefore and notAfter must be valid dates');
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new PkiError(`notAfter (${notAfter.toISOString()}) must be later than notBefore (${notBefore.toISOString()})`);
  }
  return { notBefore, notAfter };
}
