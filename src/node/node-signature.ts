/**
 * Statements a node signs with its TLS key (docs/node-protocol.md, "Signatures by the node"):
 * ECDSA P-256 with SHA-256, DER, over label ‖ 0x00 ‖ payload. Reusing the TLS key means the node's
 * certificate, which the cluster already distributes and pins, is all a verifier needs; the label
 * keeps a signature made for one purpose from passing as another.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { parseIdentity } from '../pki/index.js';

const CURVE = 'prime256v1';

function framed(label: string, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(label, 'ascii'), Buffer.from([0]), payload]);
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE;
}

/**
 * The node's TLS private key as a signing key. Refuses a key its certificate does not certify: the
 * node would otherwise hand out receipts nobody can check, and find out only when an auditor does.
 */
export function nodeSigningKey(keyPem: string, certPem: string): KeyObject {
  let key: KeyObject;
  let certified: KeyObject;
  try {
    key = createPrivateKey(keyPem);
    certified = new X509Certificate(certPem).publicKey;
  } catch {
    throw new Error('the node TLS key or certificate cannot be read');
  }
  if (!isP256(key)) throw new Error('the node TLS key is not an ECDSA P-256 key');
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(certified))) {
    throw new Error('the node TLS key is not the key its certificate certifies');
  }
  return key;
}

export function signAsNode(label: string, payload: Uint8Array, key: KeyObject): Buffer {
  return sign('sha256', framed(label, payload), { key, dsaEncoding: 'der' });
}

export type NodeKey = { ok: true; node: string; key: KeyObject } | { ok: false; reason: string };

/** The public key of a node certificate and the node it names; a reason instead when it is not one. */
export function nodeKeyOf(certPem: string): NodeKey {
  let key: KeyObject;
  let identity: { identity: string; roles: readonly string[] };
  try {
    key = new X509Certificate(certPem).publicKey;
    identity = parseIdentity(certPem);
  } catch (err) {
    return { ok: false, reason: `the node certificate cannot be read: ${(err as Error).message}` };
  }
  if (!identity.roles.includes('node')) {
    return { ok: false, reason: `the certificate of ${identity.identity} is not a node certificate` };
  }
  if (!isP256(key)) return { ok: false, reason: `the certificate of ${identity.identity} has no ECDSA P-256 key` };
  return { ok: true, node: identity.identity, key };
}

export function signedByNode(label: string, payload: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  try {
    return verify('sha256', framed(label, payload), { key, dsaEncoding: 'der' }, signature);
  } catch {
    // A signature that is not even DER is simply not a valid signature.
    return false;
  }
}
