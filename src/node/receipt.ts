/**
 * Install receipts (docs/node-protocol.md, revision 2): what a node states, under its own signature,
 * about a share it checked and stored. The ceremony keeps them as evidence that each node took its
 * share, which a log line or a bare "OK" is not.
 */
import type { KeyObject } from 'node:crypto';
import { nodeKeyOf, signAsNode, signedByNode } from './node-signature.js';

export const RECEIPT_LABEL = 'kofn/install-receipt/v1';
const RECEIPT_TYPE = 'kofn/install-receipt';
/** A receipt is a few hundred bytes; anything far larger is not one, and is not parsed. */
const MAX_RECEIPT_BYTES = 4096;
const HEX64 = /^[0-9a-f]{64}$/;

export interface InstallReceipt {
  v: 1;
  type: typeof RECEIPT_TYPE;
  node: string;
  keyId: string;
  index: number;
  vkFingerprint: string;
  publicKeyFingerprint: string;
  /** ISO 8601, UTC, with milliseconds: when the node stored the share (the first time). */
  installedAt: string;
  alreadyInstalled: boolean;
  /** The certificate identity of whoever sent this install request. */
  requestedBy: string;
}

export type ReceiptFields = Omit<InstallReceipt, 'v' | 'type'>;

export type ReceiptErrorCode = 'MALFORMED' | 'WRONG_CERTIFICATE' | 'BAD_SIGNATURE' | 'MISMATCH';

export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';

  constructor(
    readonly code: ReceiptErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The one encoding of a receipt: keys in the documented order, no white space. */
export function encodeReceipt(f: ReceiptFields): Buffer {
  const r: InstallReceipt = {
    v: 1,
    type: RECEIPT_TYPE,
    node: f.node,
    keyId: f.keyId,
    index: f.index,
    vkFingerprint: f.vkFingerprint,
    publicKeyFingerprint: f.publicKeyFingerprint,
    installedAt: f.installedAt,
    alreadyInstalled: f.alreadyInstalled,
    requestedBy: f.requestedBy,
  };
  return Buffer.from(JSON.stringify(r), 'utf8');
}

/** Encodes and signs with the node's TLS key (see nodeSigningKey). */
export function signReceipt(fields: ReceiptFields, key: KeyObject): { receipt: Buffer; signature: Buffer } {
  const receipt = encodeReceipt(fields);
  return { receipt, signature: signAsNode(RECEIPT_LABEL, receipt, key) };
}

/**
 * Checks a receipt against the certificate of the node that should have issued it: the certificate
 * names `expect.node` (with the node role), the signature is that certificate's key's, the receipt
 * is in its one encoding, and it is about the expected key, index and (when given) verification key.
 * Returns the receipt; throws ReceiptError otherwise.
 *
 * The certificate is trusted as given: take it from the cluster file (checked against the CA when
 * the cluster is loaded), not from whoever hands over the receipt. Its validity period is not
 * checked, so a receipt stays checkable after the certificate expires.
 */
export function verifyReceipt(
  receipt: Buffer,
  signature: Buffer,
  nodeCertPem: string,
  expect: { node: string; keyId: string; index: number; vkFingerprint?: string },
): InstallReceipt {
  const cert = nodeKeyOf(nodeCertPem);
  if (!cert.ok) throw new ReceiptError('WRONG_CERTIFICATE', cert.reason);
  if (cert.node !== expect.node) {
    throw new ReceiptError('WRONG_CERTIFICATE', `the certificate is node ${cert.node}'s, not node ${expect.node}'s`);
  }
  if (receipt.length === 0) throw new ReceiptError('MALFORMED', `node ${expect.node} sent no receipt`);
  if (!signedByNode(RECEIPT_LABEL, receipt, signature, cert.key)) {
    throw new ReceiptError('BAD_SIGNATURE', `the receipt is not signed by node ${expect.node}'s certificate key`);
  }
  const r = parseReceipt(receipt);
  const mismatch = (what: string, got: unknown, want: unknown) =>
    new ReceiptError('MISMATCH', `the receipt is for ${what} ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  if (r.node !== expect.node) throw mismatch('node', r.node, expect.node);
  if (r.keyId !== expect.keyId) throw mismatch('key', r.keyId, expect.keyId);
  if (r.index !== expect.index) throw mismatch('share index', r.index, expect.index);
  if (expect.vkFingerprint !== undefined && r.vkFingerprint !== expect.vkFingerprint) {
    throw mismatch('verification key', r.vkFingerprint, expect.vkFingerprint);
  }
  return r;
}

/** A signed receipt is still refused unless it is in its one encoding, so that no two byte strings mean the same. */
function parseReceipt(receipt: Buffer): InstallReceipt {
  const malformed = (why: string) => new ReceiptError('MALFORMED', `the receipt is malformed: ${why}`);
  if (receipt.length > MAX_RECEIPT_BYTES) throw malformed(`longer than ${MAX_RECEIPT_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(receipt.toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw malformed('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.v !== 1 || o.type !== RECEIPT_TYPE) throw malformed(`not a version 1 ${RECEIPT_TYPE}`);
  const text = (name: string): string => {
    const value = o[name];
    if (typeof value !== 'string' || value === '') throw malformed(`${name} must be a non-empty string`);
    return value;
  };
  const fingerprint = (name: string): string => {
    const value = text(name);
    if (!HEX64.test(value)) throw malformed(`${name} must be 64 lowercase hex digits`);
    return value;
  };
  const { index, alreadyInstalled } = o;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 1) throw malformed('index must be ≥ 1');
  if (typeof alreadyInstalled !== 'boolean') throw malformed('alreadyInstalled must be true or false');
  const installedAt = text('installedAt');
  const time = new Date(installedAt);
  if (Number.isNaN(time.getTime()) || time.toISOString() !== installedAt) {
    throw malformed('installedAt must be an ISO 8601 UTC time with milliseconds');
  }
  const fields: ReceiptFields = {
    node: text('node'),
    keyId: text('keyId'),
    index,
    vkFingerprint: fingerprint('vkFingerprint'),
    publicKeyFingerprint: fingerprint('publicKeyFingerprint'),
    installedAt,
    alreadyInstalled,
    requestedBy: text('requestedBy'),
  };
  if (!encodeReceipt(fields).equals(receipt)) throw malformed('keys missing, added, reordered or spaced');
  return { v: 1, type: RECEIPT_TYPE, ...fields };
}
