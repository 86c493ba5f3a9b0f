/**
 * Step 4, Ship: each share sealed to its node's share-encryption key (X25519, docs/node-protocol.md)
 * and sent over mutual TLS with the ceremony certificate. Each node answers with a receipt signed by
 * its own key; the ceremony checks every receipt against the node's CA-signed certificate and waits
 * for all n. Shipping to a node that already holds the share is idempotent, so a retry is safe.
 */
import type { Cluster } from '../cluster/cluster-file.js';
import { NodeClient } from '../coordinator/node-client.js';
import { sealShare } from '../node/envelope.js';
import { type InstallReceipt, verifyReceipt } from '../node/receipt.js';
import { publicKeyToMessage } from '../node/rpc/convert.js';
import type { DealtKey } from '../threshold/rsa/index.js';

export interface ShipResult {
  receipts: Map<string, { receipt: InstallReceipt; raw: Buffer; signature: Buffer }>;
  /** node → why it gave no valid receipt. */
  missing: Map<string, string>;
}

export interface Shipper {
  ship(keyId: string, dealt: DealtKey, nodes: readonly string[], onReceipt?: (node: string) => void):
  Promise<ShipResult>;
  /** Removes a key's shares from the nodes (an aborted ceremony); returns the nodes that failed. */
  unship(keyId: string, nodes: readonly string[]): Promise<string[]>;
  close(): void;
}

function text(err: unknown): string {
  const e = err as { details?: string; message?: string };
  return (e.details ?? e.message ?? String(err)).split('\n')[0] ?? 'error';
}

export function shipper(cluster: Cluster, timeoutMs = 30_000): Shipper {
  const tls = cluster.tlsFor('ceremony');
  const clients = new Map<string, NodeClient>();
  const certs = new Map(cluster.endpoints.map((e) => [e.id, e.certPem]));
  const client = (id: string) => {
    let c = clients.get(id);
    if (c === undefined) {
      const ep = cluster.endpoints.find((e) => e.id === id);
      if (ep === undefined) throw new Error(`node ${id} is not in ${cluster.dir}/cluster.yaml`);
      c = new NodeClient(ep, tls);
      clients.set(id, c);
    }
    return c;
  };
  return {
    async ship(keyId, dealt, nodes, onReceipt) {
      const pub = dealt.publicKey;
      if (nodes.length !== pub.l) throw new Error(`${pub.l} shares need ${pub.l} nodes, not ${nodes.length}`);
      const result: ShipResult = { receipts: new Map(), missing: new Map() };
      await Promise.all(nodes.map(async (id, i) => {
        const share = dealt.shares[i];
        try {
          const c = client(id);
          if (share === undefined || c.shareKey === undefined) throw new Error('no share-encryption key');
          const bytes = share.exportSecret();
          let sealed;
          try {
            sealed = sealShare({ recipientPublicKey: c.shareKey, keyId, index: i + 1, share: bytes });
          } finally {
            bytes.fill(0);
          }
          const r = await c.installShare({
            key_id: keyId, index: i + 1, public_key: publicKeyToMessage(pub),
            sealed: { version: sealed.version, ephemeral_public_key: sealed.ephemeralPublicKey, nonce: sealed.nonce,
              ciphertext: sealed.ciphertext },
          }, timeoutMs);
          const raw = Buffer.from(r.receipt);
          const signature = Buffer.from(r.receipt_signature);
          const receipt = verifyReceipt(raw, signature, certs.get(id) ?? '', {
            node: id, keyId, index: i + 1, vkFingerprint: pub.verificationKeyFingerprint(i + 1),
          });
          result.receipts.set(id, { receipt, raw, signature });
          onReceipt?.(id);
        } catch (err) {
          result.missing.set(id, text(err));
        }
      }));
      return result;
    },
    async unship(keyId, nodes) {
      const failed: string[] = [];
      await Promise.all(nodes.map(async (id) => {
        try {
          // Shorter than shipping's wait: a node that did not take its share is most likely down.
          await client(id).deleteShare({ key_id: keyId }, Math.min(timeoutMs, 10_000));
        } catch {
          failed.push(id);
        }
      }));
      return failed;
    },
    close() {
      for (const c of clients.values()) c.close();
    },
  };
}

/** Nodes that do not answer Health within `timeoutMs` now, with why: asked before a key is dealt. */
export async function unreachable(cluster: Cluster, nodes: readonly string[], timeoutMs = 3000):
Promise<Map<string, string>> {
  const tls = cluster.tlsFor('ceremony');
  const down = new Map<string, string>();
  await Promise.all(nodes.map(async (id) => {
    const ep = cluster.endpoints.find((e) => e.id === id);
    if (ep === undefined) {
      down.set(id, 'not in the cluster file');
      return;
    }
    let c: NodeClient | undefined;
    try {
      c = new NodeClient(ep, tls);
      await c.health(timeoutMs);
    } catch (err) {
      down.set(id, text(err));
    } finally {
      c?.close();
    }
  }));
  return down;
}
