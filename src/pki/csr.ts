/** What `kofn node init` runs on the node itself: a fresh key and a request for the CA; the key stays here. */
import { checkRequestedNames, type RequestedNames } from './names.js';
import { ECDSA_SHA256, exportPrivateKeyPem, generateSigningKeys, x509 } from './provider.js';
import type { Role } from './roles.js';
import { sanExtension } from './san.js';

export interface CsrOptions {
  identity: string;
  roles: Role[];
  /** Host names the node serves under (server certificates), e.g. 'localhost'. */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** The node's X25519 share-encryption public key (32 bytes), to be authenticated by the CA's signature. */
  shareKey?: Buffer;
}

export interface KeyAndCsr {
  keyPem: string;
  csrPem: string;
}

export function requestedNames(options: CsrOptions): RequestedNames {
  const names: RequestedNames = {
    identity: options.identity,
    roles: options.roles,
    dnsNames: options.dnsNames ?? [],
    ipAddresses: options.ipAddresses ?? [],
  };
  if (options.shareKey !== undefined) names.shareKey = options.shareKey;
  checkRequestedNames(names);
  return names;
}

export async function createKeyAndCsr(options: CsrOptions): Promise<KeyAndCsr> {
  const names = requestedNames(options);
  const keys = await generateSigningKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [names.identity] }],
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [sanExtension(names)],
  });
  return { keyPem: await exportPrivateKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}
