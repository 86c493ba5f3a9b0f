/**
 * Step 4, Ship: each share sealed to its node's share-encryption key (X25519, docs/node-protocol.md)
 * and sent over mutual TLS with the ceremony certificate. Each node answers with a receipt signed by
 * its own key; the ceremony checks every receipt against the node's CA-signed certificate and waits
 * for all n. Shipping to a node that already holds the share is idempotent, so a retry is safe.
 */
import type { NodeClients } from '../cluster/clients.js';
import { errorText } from '../coordinator/coordinator.js';
import { sealShare } from '../node/envelope.js';
import { type InstallReceipt, verifyReceipt } from '../node/receipt.js';
import { publicKeyToMessage } from '../node/rpc/convert.js';
import type { DealtKey } from '../threshold/rsa/index.js';

/** How long shipping waits for a node (one restarting, say). */
export const SHIP_TIMEOUT_MS = 30_000;
/** Shorter than shipping's wait: a node that did not take its share is most likely down. */
const UNSHIP_TIMEOUT_MS = 10_000;

export interface ShipResult {
  receipts: Map<string, { receipt: InstallReceipt; raw: Buffer; signature: Buffer }>;
  /** node → why it gave no valid receipt. */
  missing: Map<string, string>;
}

/**
 * Sends share i to nodes[i-1] and checks each node's receipt against its certificate; with `only`,
 * to those nodes alone (a retry of the ones whose receipts were missing).
 */
export async function ship(clients: NodeClients, keyId: string, dealt: DealtKey, nodes: readonly string[],
  onReceipt?: (node: string) => void, only?: readonly string[]): Promise<ShipResult> {
  const pub = dealt.publicKey;
  if (nodes.length !== pub.l) throw new Error(`${pub.l} shares need ${pub.l} nodes, not ${nodes.length}`);
  const result: ShipResult = { receipts: new Map(), missing: new Map() };
  await Promise.all(nodes.map(async (id, i) => {
    if (only !== undefined && !only.includes(id)) return;
    const share = dealt.shares[i];
    try {
      const c = clients.get(id);
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
      }, SHIP_TIMEOUT_MS);
      const raw = Buffer.from(r.receipt);
      const signature = Buffer.from(r.receipt_signature);
      const certPem = clients.cluster.endpoints.find((e) => e.id === id)?.certPem ?? '';
      const receipt = verifyReceipt(raw, signature, certPem, {
        node: id, keyId, index: i + 1, vkFingerprint: pub.verificationKeyFingerprint(i + 1),
      });
      result.receipts.set(id, { receipt, raw, signature });
      onReceipt?.(id);
    } catch (err) {
      result.missing.set(id, errorText(err));
    }
  }));
  return result;
}

/** Removes a key's shares from the nodes (an aborted ceremony); returns the nodes that failed. */
export async function unship(clients: NodeClients, keyId: string, nodes: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(nodes.map(async (id) => {
    try {
      await clients.get(id).deleteShare({ key_id: keyId }, UNSHIP_TIMEOUT_MS);
    } catch {
      failed.push(id);
    }
  }));
  return failed;
}

/** Nodes that do not answer Health within `timeoutMs` now, with why: asked before a key is dealt. */
export async function unreachable(clients: NodeClients, nodes: readonly string[], timeoutMs = 3000):
Promise<Map<string, string>> {
  const down = new Map<string, string>();
  await Promise.all(nodes.map(async (id) => {
    try {
      await clients.get(id).health(timeoutMs);
    } catch (err) {
      down.set(id, errorText(err));
    }
  }));
  return down;
}
