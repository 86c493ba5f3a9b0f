/**
 * The cluster PKI: one CA per cluster, ECDSA P-256 certificates whose Subject Alternative Name URIs say who
 * the holder is (urn:kofn:role:<role>:<identity>) and, for nodes, which X25519 key shares are sealed to
 * (urn:kofn:x25519:<base64url>). Used for mutual TLS 1.3 between nodes, coordinator, ceremony and auditor.
 */
export { type CaOptions, type CertAndKey, createCa } from './ca.js';
export { certificateDer, fingerprint, parseIdentity } from './cert.js';
export { createKeyAndCsr, type CsrOptions, type KeyAndCsr } from './csr.js';
export { PkiError } from './errors.js';
export { readPrivateFile, writePrivateFile } from './files.js';
export { issueCertificate, type IssueOptions } from './issue.js';
export { type KofnIdentity, SHARE_KEY_LENGTH } from './names.js';
export { IDENTITY_PATTERN, isIdentity, isRole, type Role, ROLES } from './roles.js';
export { signCsr, type SignCsrOptions } from './sign.js';
export { type PeerRejection, type PeerVerdict, verifyPeerCertificate } from './verify.js';
