/**
 * The check a node (and the coordinator) makes of its peer on every call, on top of what TLS already did: issued
 * by this cluster's CA, within its validity, a leaf, and naming a kofn identity. It answers with a reason rather
 * than throwing, because its input is whatever a peer chose to send.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { identityOf } from './cert.js';
import { PkiError } from './errors.js';
import { x509 } from './provider.js';
import type { Role } from './roles.js';

export type PeerRejection = 'no-certificate' | 'untrusted' | 'expired' | 'not-yet-valid' | 'not-a-leaf' | 'no-identity';

export type PeerVerdict =
  | { ok: true; identity: string; roles: Role[]; shareKey?: Buffer }
  | { ok: false; reason: PeerRejection; message: string };

interface TrustedCa {
  pem: string;
  node: X509Certificate;
  notBefore: Date;
  notAfter: Date;
}

// The CA is the same on every call of a running node; parse it once.
let cached: TrustedCa | undefined;

function trustedCa(caPem: string): TrustedCa | undefined {
  if (cached?.pem === caPem) return cached;
  try {
    const node = new X509Certificate(caPem);
    const parsed = new x509.X509Certificate(node.raw);
    cached = { pem: caPem, node, notBefore: parsed.notBefore, notAfter: parsed.notAfter };
    return cached;
  } catch {
    return undefined;
  }
}

function reject(reason: PeerRejection, message: string): PeerVerdict {
  return { ok: false, reason, message };
}

function windowProblem(what: string, notBefore: Date, notAfter: Date, now: Date): PeerVerdict | undefined {
  if (now < notBefore) return reject('not-yet-valid', `${what} is not valid before ${notBefore.toISOString()}`);
  if (now > notAfter) return reject('expired', `${what} expired at ${notAfter.toISOString()}`);
  return undefined;
}

/**
 * What does not change for a given (CA, certificate): the signature check and the parsed identity
 * cost ~0.9 ms (ASN.1 in JavaScript plus an ECDSA verification), paid on every RPC otherwise. The
 * validity window is re-checked against the clock on every call, so expiry still bites mid-session.
 */
interface Settled {
  verdict: PeerVerdict;
  /** Absent when the certificate could not even be parsed. */
  window?: { notBefore: Date; notAfter: Date };
}
const MAX_SETTLED = 4096;
const settled = new Map<string, Settled>();

export function verifyPeerCertificate(cert: Buffer | string | undefined, caPem: string, now = new Date()): PeerVerdict {
  if (cert === undefined || cert.length === 0) return reject('no-certificate', 'the peer presented no certificate');
  const ca = trustedCa(caPem);
  // Not throwing even here: this runs inside RPC handlers, where nothing trusts a peer that cannot be checked.
  if (ca === undefined) return reject('untrusted', 'the cluster CA certificate is not a readable X.509 certificate');
  const cacheKey = Buffer.isBuffer(cert)
    ? createHash('sha256').update(ca.node.raw).update(cert).digest('base64')
    : undefined;
  let s = cacheKey === undefined ? undefined : settled.get(cacheKey);
  if (s === undefined) {
    s = settle(cert, ca);
    if (cacheKey !== undefined) {
      if (settled.size >= MAX_SETTLED) settled.delete(settled.keys().next().value ?? '');
      settled.set(cacheKey, s);
    }
  }
  return judge(s, ca, now);
}

/** Untrusted and not-a-leaf first, then the validity windows (peer, CA), then the identity verdict. */
function judge(s: Settled, ca: TrustedCa, now: Date): PeerVerdict {
  if (!s.verdict.ok && s.verdict.reason !== 'no-identity') return s.verdict;
  const peer = s.window && windowProblem('the peer certificate', s.window.notBefore, s.window.notAfter, now);
  return peer ?? windowProblem('the cluster CA certificate', ca.notBefore, ca.notAfter, now) ?? s.verdict;
}

/** Everything about the certificate that does not depend on the clock. */
function settle(cert: Buffer | string, ca: TrustedCa): Settled {
  let leaf: X509Certificate;
  let parsed: x509.X509Certificate;
  try {
    leaf = new X509Certificate(cert);
    parsed = new x509.X509Certificate(leaf.raw);
  } catch {
    return { verdict: reject('untrusted', 'the peer certificate is not a readable X.509 certificate') };
  }
  const window = { notBefore: parsed.notBefore, notAfter: parsed.notAfter };
  // checkIssued compares issuer with CA subject (and key identifiers); verify checks the CA's signature.
  let issued: boolean;
  try {
    issued = leaf.checkIssued(ca.node) && leaf.verify(ca.node.publicKey);
  } catch {
    issued = false;
  }
  if (!issued) {
    const msg = `the peer certificate ${JSON.stringify(leaf.subject)} is not signed by the cluster CA`;
    return { verdict: reject('untrusted', msg), window };
  }
  if (leaf.ca) {
    return { verdict: reject('not-a-leaf', 'the peer certificate is a CA certificate, not a member certificate'), window };
  }
  try {
    return { verdict: { ok: true, ...identityOf(parsed) }, window };
  } catch (err) {
    const msg = err instanceof PkiError ? err.message : 'the peer certificate names no kofn identity';
    return { verdict: reject('no-identity', msg), window };
  }
}
