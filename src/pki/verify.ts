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
  notBefore: Date;
  notAfter: Date;
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
  const hit = cacheKey === undefined ? undefined : settled.get(cacheKey);
  if (hit !== undefined) {
    // Same precedence as a first check: untrusted and not-a-leaf before the validity window.
    if (!hit.verdict.ok && hit.verdict.reason !== 'no-identity') return hit.verdict;
    return windowProblem('the peer certificate', hit.notBefore, hit.notAfter, now) ??
      windowProblem('the cluster CA certificate', ca.notBefore, ca.notAfter, now) ?? hit.verdict;
  }
  const r = verifyUncached(cert, ca, now);
  if (cacheKey !== undefined && r.settled !== undefined) {
    if (settled.size >= MAX_SETTLED) settled.delete(settled.keys().next().value ?? '');
    settled.set(cacheKey, r.settled);
  }
  return r.verdict;
}

function verifyUncached(
  cert: Buffer | string,
  ca: TrustedCa,
  now: Date,
): { verdict: PeerVerdict; settled?: Settled } {
  const done = (verdict: PeerVerdict) => ({ verdict });
  let leaf: X509Certificate;
  let parsed: x509.X509Certificate;
  try {
    leaf = new X509Certificate(cert);
    parsed = new x509.X509Certificate(leaf.raw);
  } catch {
    return done(reject('untrusted', 'the peer certificate is not a readable X.509 certificate'));
  }
  // checkIssued compares issuer with CA subject (and key identifiers); verify checks the CA's signature.
  let issued: boolean;
  try {
    issued = leaf.checkIssued(ca.node) && leaf.verify(ca.node.publicKey);
  } catch {
    issued = false;
  }
  const window = { notBefore: parsed.notBefore, notAfter: parsed.notAfter };
  const final = (verdict: PeerVerdict) => ({ verdict, settled: { verdict, ...window } });
  if (!issued) {
    return final(reject('untrusted', `the peer certificate ${JSON.stringify(leaf.subject)} is not signed by the cluster CA`));
  }
  if (leaf.ca) return final(reject('not-a-leaf', 'the peer certificate is a CA certificate, not a member certificate'));
  let verdict: PeerVerdict;
  try {
    verdict = { ok: true, ...identityOf(parsed) };
  } catch (err) {
    verdict = reject('no-identity', err instanceof PkiError ? err.message : 'the peer certificate names no kofn identity');
  }
  const problem = windowProblem('the peer certificate', parsed.notBefore, parsed.notAfter, now) ??
    windowProblem('the cluster CA certificate', ca.notBefore, ca.notAfter, now);
  return { verdict: problem ?? verdict, settled: { verdict, ...window } };
}
