/**
 * The auditor's inventory: every threshold key every token holds, read from the token store
 * (the PKCS#11 objects and their placement: which node holds which share).
 */
import * as ck from '../../pkcs11/ck.js';
import { bytesOf } from '../../pkcs11/service/objects.js';
import type { PlacementJson } from '../../pkcs11/service/register.js';
import type { TokenStore } from '../../pkcs11/service/store.js';
import { ThresholdPublicKey } from '../../threshold/rsa/index.js';

export interface AuditedKey {
  token: string;
  label: string;
  ckaId: string;
  algorithm: 'RSA';
  bits: number;
  k: number;
  n: number;
  keyId: string;
  nodes: string[];
  origin: string;
  /** The ceremony that made it, or how it was made otherwise. */
  ceremony: string;
  created: string;
  fingerprint: string;
  publicKey: ThresholdPublicKey;
}

export function auditKeys(store: TokenStore, filter?: string): AuditedKey[] {
  const keys: AuditedKey[] = [];
  for (const t of store.tokens()) {
    for (const o of store.find(t.id, { cls: ck.CKO_PRIVATE_KEY }, true)) {
      if (o.placement === null) continue;
      const p = JSON.parse(o.placement) as PlacementJson;
      const pub = ThresholdPublicKey.fromJSON(p.publicKey);
      const label = (bytesOf(o.attrs, ck.CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8');
      const ckaId = (bytesOf(o.attrs, ck.CKA_ID) ?? Buffer.alloc(0)).toString('hex');
      const key: AuditedKey = {
        token: t.label, label, ckaId, algorithm: 'RSA', bits: pub.bits, k: pub.k, n: pub.l, keyId: p.keyId,
        nodes: p.nodes, origin: p.origin ?? (o.attrs.get(ck.CKA_LOCAL) === false ? 'imported' : 'generated'),
        ceremony: p.ceremony ?? 'none (C_GenerateKeyPair on the token service)', created: p.created ?? 'unknown',
        fingerprint: pub.fingerprint(), publicKey: pub,
      };
      if (filter === undefined || [label, ckaId, p.keyId].includes(filter)) keys.push(key);
    }
  }
  return keys;
}
