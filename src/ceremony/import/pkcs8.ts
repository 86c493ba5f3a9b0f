/**
 * Reads an RSA private key from a PEM file: "PRIVATE KEY" (PKCS#8), "ENCRYPTED PRIVATE KEY"
 * (PKCS#8 with a passphrase), or "RSA PRIVATE KEY" (PKCS#1, possibly with OpenSSL's legacy
 * encryption); a DER file is accepted as well. OpenSSL decodes and decrypts it from the file's
 * bytes, then re-exports it as PKCS#8 DER, which der.ts takes apart, so the primes end in Buffers
 * that are zeroed, never in strings. The file's bytes and the DER are zeroed before returning.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { DerError, parsePkcs8RsaPrivateKey } from './der.js';
import { ImportError, importedKey, readKeyFile } from './key.js';
import type { ImportedRsaKey } from './types.js';

const PEM_LABELS = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY'];

/** The label of the first PEM block, read from the bytes without turning the key into a string. */
function pemLabel(data: Buffer): string | undefined {
  const at = data.indexOf('-----BEGIN ');
  if (at < 0) return undefined;
  const from = at + '-----BEGIN '.length;
  const to = data.indexOf('-----', from);
  if (to < 0 || to - from > 64) return '';
  return data.subarray(from, to).toString('latin1');
}

function isEncrypted(data: Buffer, label: string | undefined): boolean {
  return label === 'ENCRYPTED PRIVATE KEY' || (label === 'RSA PRIVATE KEY' && data.includes('Proc-Type: 4,ENCRYPTED'));
}

function decode(path: string, data: Buffer, passphrase: string | Buffer | undefined): KeyObject {
  const label = pemLabel(data);
  if (label !== undefined && !PEM_LABELS.includes(label)) {
    throw new ImportError(
      `${path} holds a PEM "${label}", not a private key: expected PRIVATE KEY, ENCRYPTED PRIVATE KEY ` +
      'or RSA PRIVATE KEY',
    );
  }
  const encrypted = isEncrypted(data, label);
  if (encrypted && passphrase === undefined) {
    throw new ImportError(`${path} is encrypted: give its passphrase`);
  }
  const attempts = label !== undefined
    ? [{ key: data, format: 'pem' as const }]
    : (['pkcs8', 'pkcs1'] as const).map((type) => ({ key: data, format: 'der' as const, type }));
  let failure: unknown;
  for (const a of attempts) {
    try {
      return createPrivateKey({ ...a, ...(passphrase === undefined ? {} : { passphrase }) });
    } catch (err) {
      failure ??= err;
    }
  }
  if (encrypted) {
    // A wrong passphrase mostly shows as a padding error, but about one time in 256 the padding
    // happens to look right and the garbage fails to parse instead: both mean the same here.
    throw new ImportError(`wrong passphrase for ${path} (or the file is damaged)`, { cause: failure });
  }
  if (label === undefined) throw new ImportError(`${path} is neither PEM nor a DER private key`, { cause: failure });
  throw new ImportError(`${path} is not a readable private key: ${(failure as Error).message}`, { cause: failure });
}

const KEY_TYPES: Record<string, string> = {
  ec: 'an EC', ed25519: 'an Ed25519', ed448: 'an Ed448', x25519: 'an X25519', x448: 'an X448',
  dsa: 'a DSA', dh: 'a DH',
};

/** Reads the RSA key in the PEM (or DER) file `path`; `passphrase` decrypts an encrypted one. */
export async function readPkcs8(path: string, passphrase?: string | Buffer): Promise<ImportedRsaKey> {
  const data = await readKeyFile(path);
  let der: Buffer | undefined;
  try {
    const key = decode(path, data, passphrase);
    if (key.asymmetricKeyType === 'rsa-pss') {
      throw new ImportError(`${path} holds an RSA-PSS key (restricted to PSS): DNSSEC RSA signs with PKCS#1 v1.5`);
    }
    if (key.asymmetricKeyType !== 'rsa') {
      throw new ImportError(`${path} holds ${KEY_TYPES[key.asymmetricKeyType ?? ''] ?? 'a non-RSA'} key, not RSA: kofn shares RSA keys only`);
    }
    der = key.export({ type: 'pkcs8', format: 'der' });
    let parts: ReturnType<typeof parsePkcs8RsaPrivateKey>;
    try {
      parts = parsePkcs8RsaPrivateKey(der);
    } catch (err) {
      if (err instanceof DerError) throw new ImportError(`${path}: ${err.message}`, { cause: err });
      throw err;
    }
    const format = pemLabel(data) === 'RSA PRIVATE KEY' ? 'PKCS#1' : 'PKCS#8';
    return importedKey({ ...parts, source: `${format} file ${path}` });
  } finally {
    data.fill(0);
    der?.fill(0);
  }
}
