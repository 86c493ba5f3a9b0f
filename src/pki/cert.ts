/** Reading a cluster certificate: its DER bytes, its fingerprint and the kofn identity it names. */
import { createHash, X509Certificate } from 'node:crypto';
import { PkiError } from './errors.js';
import type { KofnIdentity } from './names.js';
import { x509 } from './provider.js';
import { readSan } from './san.js';

/** DER bytes of a certificate given as PEM (string or bytes) or DER; throws PkiError if it does not parse. */
export function certificateDer(cert: string | Buffer): Buffer {
  try {
    return new X509Certificate(cert).raw;
  } catch {
    throw new PkiError('not a readable X.509 certificate (PEM or DER)');
  }
}

/** SHA-256 of the DER encoding, lower-case hex: how logs and the audit name a certificate. */
export function fingerprint(cert: string | Buffer): string {
  return createHash('sha256').update(certificateDer(cert)).digest('hex');
}

/** The identity in an already parsed certificate; throws PkiError if it has none or an inconsistent one. */
export function identityOf(cert: x509.X509Certificate): KofnIdentity {
  let extensions: x509.Extension[];
  try {
    extensions = cert.extensions;
  } catch {
    throw new PkiError('the certificate extensions are malformed');
  }
  const { identity, roles, shareKey } = readSan(extensions);
  return shareKey === undefined ? { identity, roles } : { identity, roles, shareKey };
}

export function parseIdentity(cert: string | Buffer): KofnIdentity {
  const der = certificateDer(cert);
  let parsed: x509.X509Certificate;
  try {
    parsed = new x509.X509Certificate(der);
  } catch {
    throw new PkiError('not a readable X.509 certificate (PEM or DER)');
  }
  return identityOf(parsed);
}
