/** The CA's side of enrolment: check a node's request and sign what it asked for, if it may have it. */
import type { CertAndKey } from './ca.js';
import { PkiError } from './errors.js';
import {
  ECDSA_SHA256,
  importSigningKey,
  publicKeyDerOf,
  randomSerial,
  validityWindow,
  x509,
} from './provider.js';
import type { Role } from './roles.js';
import { readSan, sanExtension } from './san.js';

export interface SignCsrOptions {
  ca: CertAndKey;
  csrPem: string;
  /** Roles this enrolment may grant; a request for any other role is refused, not trimmed. */
  allowedRoles: Role[];
  /** Default 825 days, the longest lifetime clients commonly accept for a TLS server certificate. */
  validityDays?: number;
  /** Overrides for tests that need expired or not-yet-valid certificates. */
  notBefore?: Date;
  notAfter?: Date;
}

interface LoadedCa {
  cert: x509.X509Certificate;
  signingKey: Awaited<ReturnType<typeof importSigningKey>>;
}

async function loadCa(ca: CertAndKey): Promise<LoadedCa> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(ca.certPem);
  } catch {
    throw new PkiError('the CA certificate is not a readable X.509 certificate');
  }
  if (cert.getExtension<x509.BasicConstraintsExtension>('2.5.29.19')?.ca !== true) {
    throw new PkiError('the CA certificate is not a CA (basicConstraints cA is not set)');
  }
  const signingKey = await importSigningKey(ca.keyPem);
  if (!publicKeyDerOf(ca.keyPem).equals(Buffer.from(cert.publicKey.rawData))) {
    throw new PkiError('the CA private key does not belong to the CA certificate');
  }
  return { cert, signingKey };
}

async function readCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new PkiError('the CSR is not a readable PKCS#10 certificate request');
  }
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    throw new PkiError('the CSR key is not an ECDSA P-256 key');
  }
  let verified = false;
  try {
    verified = await csr.verify();
  } catch {
    // A signature that cannot even be parsed is refused like one that does not verify.
  }
  if (!verified) throw new PkiError('the CSR signature does not verify: the request was altered or is not self-signed');
  return csr;
}

export async function signCsr(options: SignCsrOptions): Promise<string> {
  const { validityDays = 825 } = options;
  const { cert: caCert, signingKey } = await loadCa(options.ca);
  const csr = await readCsr(options.csrPem);
  let extensions: x509.Extension[];
  try {
    extensions = csr.extensions;
  } catch {
    throw new PkiError('the CSR extensions are malformed');
  }
  const names = readSan(extensions);
  const refused = names.roles.filter((role) => !options.allowedRoles.includes(role));
  if (refused.length > 0) {
    throw new PkiError(`the CSR for ${names.identity} asks for role ${refused.join(', ')}, which this enrolment may not grant (allowed: ${options.allowedRoles.join(', ') || 'none'})`);
  }
  const window = validityWindow({ validityDays, notBefore: options.notBefore, notAfter: options.notAfter });
  // A default lifetime never outlasts the CA; an explicit notAfter is taken as asked (tests).
  if (options.notAfter === undefined && window.notAfter > caCert.notAfter) window.notAfter = caCert.notAfter;
  const caKeyId = caCert.getExtension<x509.SubjectKeyIdentifierExtension>('2.5.29.14')?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [names.identity] }],
    issuer: caCert.subjectName,
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    publicKey: csr.publicKey,
    signingKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
      caKeyId === undefined
        ? await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey)
        : new x509.AuthorityKeyIdentifierExtension(caKeyId),
      sanExtension(names),
    ],
  });
  return cert.toString('pem');
}
