/**
 * kofn audit shares: for every share of every key, is its node reachable, does it hold the share,
 * and can it prove possession? The proof is the node's Shoup share proof on a value derived from a
 * fresh random challenge (src/node/prove.ts), checked here against the published v_i: it shows the
 * node can use s_i without revealing it, which a listing alone cannot.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../cluster/cluster-file.js';
import { NodeClients } from '../../cluster/clients.js';
import { errorText } from '../../coordinator/coordinator.js';
import { proveShareRepresentative } from '../../node/prove.js';
import type { ListSharesResponse__Output } from '../../node/rpc/schema.js';
import { os2ip } from '../../threshold/bytes.js';
import { verifyShareProof } from '../../threshold/rsa/index.js';
import type { AuditedKey } from './keys.js';

export type ShareStatus = 'proven' | 'unreachable' | 'missing' | 'mismatch' | 'proof-failed';

export interface ShareAudit {
  index: number;
  node: string;
  vkFingerprint: string;
  status: ShareStatus;
  detail?: string;
}

export interface KeyAudit {
  token: string;
  label: string;
  ckaId: string;
  keyId: string;
  k: number;
  n: number;
  proven: number;
  /** ok: all n proven; degraded: at least k; at-risk: fewer than k, so the key cannot sign. */
  state: 'ok' | 'degraded' | 'at-risk';
  shares: ShareAudit[];
}

export async function auditShares(cluster: Cluster, keys: readonly AuditedKey[], timeoutMs = 3000):
Promise<KeyAudit[]> {
  const clients = new NodeClients(cluster, 'auditor');
  const listings = new Map<string, Promise<ListSharesResponse__Output>>();
  const listing = (id: string) => {
    let l = listings.get(id);
    if (l === undefined) {
      // Asked once per node, however many keys it holds shares of.
      l = clients.get(id).listShares(timeoutMs);
      listings.set(id, l);
    }
    return l;
  };
  try {
    return await Promise.all(keys.map(async (key) => {
      const pub = key.publicKey;
      const shares = await Promise.all(key.nodes.map(async (node, i): Promise<ShareAudit> => {
        const index = i + 1;
        const vkFingerprint = pub.verificationKeyFingerprint(index);
        const base = { index, node, vkFingerprint };
        let list: ListSharesResponse__Output;
        try {
          list = await listing(node);
        } catch (err) {
          return { ...base, status: 'unreachable', detail: errorText(err) };
        }
        const held = list.shares.find((s) => s.key_id === key.keyId);
        if (held === undefined) return { ...base, status: 'missing', detail: 'the node does not list this key' };
        if (held.index !== index || held.vk_fingerprint !== vkFingerprint) {
          return { ...base, status: 'mismatch', detail: `the node holds share ${held.index} with ${held.vk_fingerprint}` };
        }
        const challenge = randomBytes(32);
        try {
          const r = await clients.get(node).proveShare({ key_id: key.keyId, challenge }, timeoutMs);
          const x = proveShareRepresentative(pub, key.keyId, challenge);
          const proof = r.proof;
          const ok = r.index === index && os2ip(r.x) === x && proof !== null &&
            verifyShareProof(pub, x, index, os2ip(r.xi), { c: os2ip(proof.c), z: os2ip(proof.z) });
          return ok ? { ...base, status: 'proven' } : { ...base, status: 'proof-failed', detail: 'the proof does not verify' };
        } catch (err) {
          return { ...base, status: 'proof-failed', detail: errorText(err) };
        }
      }));
      const proven = shares.filter((s) => s.status === 'proven').length;
      const state = proven >= key.n ? 'ok' : proven >= key.k ? 'degraded' : 'at-risk';
      const { token, label, ckaId, keyId, k, n } = key;
      return { token, label, ckaId, keyId, k, n, proven, state, shares };
    }));
  } finally {
    clients.close();
  }
}
