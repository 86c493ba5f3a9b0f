/**
 * Key, request and signature in one process: for certificates whose key may live where the CA key is (the
 * coordinator, auditor or ceremony of a local cluster) and for tests. Node keys come from createKeyAndCsr on
 * the node instead.
 */
import type { CertAndKey } from './ca.js';
import { createKeyAndCsr } from './csr.js';
import type { Role } from './roles.js';
import { signCsr, type SignCsrOptions } from './sign.js';

export interface IssueOptions {
  ca: CertAndKey;
  identity: string;
  roles: Role[];
  dnsNames?: string[];
  ipAddresses?: string[];
  shareKey?: Buffer;
  validityDays?: number;
  notBefore?: Date;
  notAfter?: Date;
}

export async function issueCertificate(options: IssueOptions): Promise<CertAndKey> {
  const { ca, validityDays, notBefore, notAfter, ...request } = options;
  const { keyPem, csrPem } = await createKeyAndCsr(request);
  const signing: SignCsrOptions = { ca, csrPem, allowedRoles: request.roles };
  if (validityDays !== undefined) signing.validityDays = validityDays;
  if (notBefore !== undefined) signing.notBefore = notBefore;
  if (notAfter !== undefined) signing.notAfter = notAfter;
  return { certPem: await signCsr(signing), keyPem };
}
