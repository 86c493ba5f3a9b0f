/** The cluster CA: a self-signed P-256 root that signs the certificates of every node and client. */
import { PkiError } from './errors.js';
import { ECDSA_SHA256, exportPrivateKeyPem, generateSigningKeys, randomSerial, validityWindow, x509 } from './provider.js';

export interface CaOptions {
  clusterId: string;
  /** Default 3650 (ten years): the CA outlives many node certificates and is replaced by a ceremony. */
  validityDays?: number;
}

/** PEM certificate and PKCS#8 PEM key; whoever holds keyPem can admit members to the cluster. */
export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

const CLUSTER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function caSubject(clusterId: string): string {
  return `kofn cluster CA ${clusterId}`;
}

export async function createCa(options: CaOptions): Promise<CertAndKey> {
  const { clusterId, validityDays = 3650 } = options;
  if (typeof clusterId !== 'string' || !CLUSTER_ID.test(clusterId)) {
    throw new PkiError(`cluster id ${JSON.stringify(clusterId)} must match ${String(CLUSTER_ID)}`);
  }
  const keys = await generateSigningKeys();
  const { notBefore, notAfter } = validityWindow({ validityDays });
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [caSubject(clusterId)] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      // pathLen 0: the CA signs leaves only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}
