/**
 * The coordinator: asks k nodes for signature shares and combines them, so that up to n−k nodes may
 * be down or lying and no wrong signature is ever returned.
 *
 * Signing: pick the k best-ranked nodes (healthy, then fastest), ask without proofs; a node that
 * errs or times out is replaced by the next one (spill-over). Combine optimistically and verify
 * y^e = x. If that fails, ask every reachable node for its share with a proof, exclude and name
 * the nodes whose proofs fail, and combine from proven shares. No lock is held across requests:
 * each signature is its own set of promises.
 */
import * as grpc from '@grpc/grpc-js';
import { log } from 'node:console';
import { randomUUID } from 'node:crypto';
import type { DealtKey, SignatureShare, ThresholdPublicKey } from '../threshold/rsa/index.js';
import { combineShares, ThresholdError, verifyShareProof } from '../threshold/rsa/index.js';
import { sealShare } from '../node/envelope.js';
import { fromBytes, publicKeyToMessage, toBytes } from '../node/rpc/convert.js';
import type { TlsMaterial } from '../node/rpc/tls.js';
import { CoordinatorError } from './errors.js';
import { type NodeClient, type NodeEndpoint, NodeClient as Client, type NodeStatus } from './node-client.js';

/** Where a key's shares live: share i is on node nodes[i−1]. */
export interface KeyPlacement {
  keyId: string;
  publicKey: ThresholdPublicKey;
  nodes: readonly string[];
}

export interface CoordinatorOptions {
  tls: TlsMaterial;
  nodes: readonly NodeEndpoint[];
  /** Overall limit for one signature, default 5000 ms. */
  timeoutMs?: number;
  /** Limit for one node's answer before spilling over, default 2000 ms. */
  nodeTimeoutMs?: number;
  /** Background health probe period, default 2000 ms; 0 disables it. */
  healthIntervalMs?: number;
  log?: (line: string) => void;
}

export interface SignResult {
  y: bigint;
  /** Node ids whose shares made the signature. */
  signers: string[];
  /** Node ids whose shares failed their proofs during this signature. */
  faulty: string[];
}

interface Slot {
  index: number;
  node: NodeClient;
}

export class Coordinator {
  readonly #nodes = new Map<string, NodeClient>();
  readonly #timeoutMs: number;
  readonly #nodeTimeoutMs: number;
  readonly #log: (line: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: CoordinatorOptions) {
    for (const n of opts.nodes) this.#nodes.set(n.id, new Client(n, opts.tls));
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#nodeTimeoutMs = opts.nodeTimeoutMs ?? 2000;
    this.#log = opts.log ?? ((l) => log(l));
    const every = opts.healthIntervalMs ?? 2000;
    if (every > 0) {
      this.#timer = setInterval(() => void this.checkHealth(), every);
      this.#timer.unref();
    }
  }

  get nodeIds(): string[] {
    return [...this.#nodes.keys()];
  }

  #node(id: string): NodeClient {
    const n = this.#nodes.get(id);
    if (n === undefined) throw new CoordinatorError('INVALID_REQUEST', `unknown node ${id}`);
    return n;
  }

  /** Signs representative x with key; throws CoordinatorError NOT_ENOUGH_NODES within the timeout. */
  async sign(key: KeyPlacement, x: bigint, opts: { timeoutMs?: number } = {}): Promise<SignResult> {
    if (this.#closed) throw new CoordinatorError('CLOSED', 'coordinator is closed');
    const pub = key.publicKey;
    if (key.nodes.length !== pub.l) throw new CoordinatorError('INVALID_REQUEST', 'placement does not match key');
    const deadline = Date.now() + (opts.timeoutMs ?? this.#timeoutMs);
    const slots = key.nodes.map((id, i) => ({ index: i + 1, node: this.#node(id) }));
    const why: Record<string, string> = {};

    const first = await this.#gather(key, x, slots, pub.k, false, deadline, why);
    if (first.length >= pub.k) {
      try {
        const r = combineShares(pub, x, first.map((f) => f.share));
        return { y: r.y, signers: r.used.map((i) => slotOf(slots, i).node.id), faulty: [] };
      } catch (err) {
        if (!(err instanceof ThresholdError) || err.code !== 'PROOFS_NEEDED') throw err;
      }
      this.#log(`coordinator: key ${key.keyId}: optimistic combination failed; asking every node for proofs`);
      const answers = await this.#gather(key, x, slots, pub.l, true, deadline, why);
      // Every proof of this round is checked, not only those the combination needs: combined
      // optimistically, the first k honest shares would succeed and a liar answering later would
      // go unnamed and be asked again.
      const proves = ({ index, share }: (typeof answers)[number]) =>
        share.proof !== undefined && verifyShareProof(pub, x, index, share.xi, share.proof);
      const lying = answers.filter((a) => !proves(a)).map((a) => a.index);
      const faulty = this.#blame(key, slots, lying, why);
      const proven = answers.filter((a) => !lying.includes(a.index));
      try {
        const r = combineShares(pub, x, proven.map((p) => p.share));
        return { y: r.y, signers: r.used.map((i) => slotOf(slots, i).node.id), faulty };
      } catch (err) {
        if (!(err instanceof ThresholdError) || err.code !== 'NOT_ENOUGH_SHARES') throw err;
      }
    }
    const missing = Object.entries(why).map(([id, reason]) => `${id} (${reason})`).join(', ');
    throw new CoordinatorError(
      'NOT_ENOUGH_NODES',
      `key ${key.keyId}: fewer than ${pub.k} of ${pub.l} nodes gave valid shares; missing: ${missing || 'none'}`,
      why,
    );
  }

  #blame(key: KeyPlacement, slots: Slot[], invalid: readonly number[], why: Record<string, string>): string[] {
    return invalid.map((index) => {
      const node = slotOf(slots, index).node;
      node.markFaulty(`invalid share for key ${key.keyId}`);
      why[node.id] = 'invalid share (proof failed)';
      this.#log(`coordinator: node ${node.id} returned an invalid signature share for key ${key.keyId} (proof failed); excluded`);
      return node.id;
    });
  }

  /**
   * Collects up to `want` shares, asking the best-ranked nodes first and replacing each failure with
   * the next node until none is left or the deadline passes.
   */
  #gather(
    key: KeyPlacement,
    x: bigint,
    slots: Slot[],
    want: number,
    withProof: boolean,
    deadline: number,
    why: Record<string, string>,
  ): Promise<{ index: number; share: SignatureShare }[]> {
    const queue = [...slots].sort((a, b) => a.node.rank() - b.node.rank());
    const got: { index: number; share: SignatureShare }[] = [];
    const request = { key_id: key.keyId, x: toBytes(x), with_proof: withProof };
    return new Promise((resolve) => {
      let pending = 0;
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          clearTimeout(timer);
          resolve(got);
        }
      };
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      const launch = () => {
        while (!done && pending + got.length < want && queue.length > 0) {
          const slot = queue.shift();
          if (slot === undefined) break;
          pending++;
          slot.node
            .signShare(request, this.#nodeTimeoutMs, deadline)
            .then((res) => {
              if (res.index !== slot.index) throw new Error(`answered for share ${res.index}, holds ${slot.index}`);
              const share: SignatureShare = { index: slot.index, xi: fromBytes(res.xi) };
              if (res.proof) share.proof = { c: fromBytes(res.proof.c), z: fromBytes(res.proof.z) };
              got.push({ index: slot.index, share });
              delete why[slot.node.id];
            })
            .catch((err: unknown) => {
              why[slot.node.id] = errorText(err);
            })
            .finally(() => {
              pending--;
              if (got.length >= want || (pending === 0 && queue.length === 0)) finish();
              else launch();
            });
        }
        if (pending === 0) finish();
      };
      launch();
    });
  }

  /**
   * Ships a freshly dealt key: each share sealed to its node's X25519 key, installed over mutual
   * TLS. Every node must acknowledge; otherwise the installed shares are deleted again and the
   * call fails, so no orphan shares are left behind. Wipes the exported share bytes.
   */
  async installKey(keyId: string, dealt: DealtKey, nodeIds: readonly string[]): Promise<KeyPlacement> {
    const pub = dealt.publicKey;
    if (nodeIds.length !== pub.l) throw new CoordinatorError('INVALID_REQUEST', `need ${pub.l} nodes`);
    const nodes = nodeIds.map((id) => this.#node(id));
    const sealed = dealt.shares.map((share, i) => {
      const node = nodes[i];
      if (node?.shareKey === undefined) {
        throw new CoordinatorError('INVALID_REQUEST', `node ${node?.id ?? i + 1} has no share-encryption key`);
      }
      const bytes = share.exportSecret();
      try {
        return sealShare({ recipientPublicKey: node.shareKey, keyId, index: i + 1, share: bytes });
      } finally {
        bytes.fill(0);
      }
    });
    const publicKey = publicKeyToMessage(pub);
    const results = await Promise.allSettled(
      nodes.map((node, i) => {
        const s = sealed[i];
        if (s === undefined) throw new Error('missing sealed share');
        return node.installShare(
          {
            key_id: keyId,
            index: i + 1,
            public_key: publicKey,
            sealed: { version: s.version, ephemeral_public_key: s.ephemeralPublicKey, nonce: s.nonce,
              ciphertext: s.ciphertext },
          },
          this.#timeoutMs,
        );
      }),
    );
    const failed: Record<string, string> = {};
    results.forEach((r, i) => {
      if (r.status === 'rejected') failed[nodeIds[i] ?? String(i)] = errorText(r.reason);
    });
    if (Object.keys(failed).length > 0) {
      await this.deleteKey({ keyId, nodes: nodeIds });
      const list = Object.entries(failed).map(([id, e]) => `${id} (${e})`).join(', ');
      throw new CoordinatorError('INSTALL_FAILED', `key ${keyId}: not installed on ${list}; rolled back`, failed);
    }
    return { keyId, publicKey: pub, nodes: [...nodeIds] };
  }

  /** Deletes a key's shares; returns the nodes that could not be reached (to retry later). */
  async deleteKey(key: Pick<KeyPlacement, 'keyId' | 'nodes'>): Promise<string[]> {
    const results = await Promise.allSettled(
      key.nodes.map((id) => {
        const node = this.#node(id);
        return node.deleteShare({ key_id: key.keyId }, this.#timeoutMs);
      }),
    );
    return key.nodes.filter((_, i) => results[i]?.status === 'rejected');
  }

  /** Probes every node; a node that answers is up again (so a restarted node is used again). */
  async checkHealth(timeoutMs = 1000): Promise<NodeStatus[]> {
    await Promise.allSettled(
      [...this.#nodes.values()].map((n) =>
        n.health(timeoutMs).then((h) => {
          if (h.node_id !== n.id) n.lastError = `answers as ${h.node_id}`;
        })),
    );
    return this.status();
  }

  status(): NodeStatus[] {
    return [...this.#nodes.values()].map((n) => n.status());
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const n of this.#nodes.values()) n.close();
  }
}

function slotOf(slots: Slot[], index: number): Slot {
  const s = slots[index - 1];
  if (s === undefined) throw new Error(`no slot ${index}`);
  return s;
}

/** One line for an RPC failure: 'unreachable: connect ECONNREFUSED …', 'timeout: …', or the error's message. */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'details' in err) {
    const e = err as { code: number; details: string };
    const what = { [grpc.status.DEADLINE_EXCEEDED]: 'timeout', [grpc.status.UNAVAILABLE]: 'unreachable' }[e.code];
    return `${what ?? `status ${e.code}`}: ${conciseDetails(e.details)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * grpc-js wraps the socket error as "No connection established. Last error: Error: connect ECONNREFUSED
 * 127.0.0.1:4431. Resolution note: "; the operator needs only the socket error.
 */
export function conciseDetails(details: string): string {
  const m = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(details);
  return (m?.[1] ?? details).trim();
}

/** A fresh key id for keys made without a caller-chosen one. */
export function newKeyId(): string {
  return `k-${randomUUID()}`;
}
