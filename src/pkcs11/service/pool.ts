/**
 * Dealing keys into a token's pre-dealt pool, for a key ceremony: under key source `pool`,
 * C_GenerateKeyPair then hands out one of these instead of dealing (docs/token-service.md).
 *
 * The ceremony runs in its own process and writes to the token's store file while the service may
 * be running, so nothing here may rely on the service's memory.
 */
import { type Coordinator, newKeyId } from '../../coordinator/coordinator.js';
import {
  DEFAULT_E,
  generateKey,
  opensslSafePrime,
  type PrimeSource,
  type ThresholdPublicKey,
} from '../../threshold/rsa/index.js';
import { placementJson } from './register.js';
import { exponentBytes, type TokenStore } from './store.js';

/**
 * How long the running service's sweeper leaves a ceremony's tombstones alone: enough to install
 * one key's shares on every node (a few node timeouts), after which a ceremony that died is over.
 */
export const POOL_HOLD_MS = 10 * 60_000;

/**
 * Tombstones for a key whose shares are about to leave, held for POOL_HOLD_MS: if the dealer dies
 * before the key is stored, the service's sweeper deletes its shares once the hold has passed.
 */
export function holdTombstones(store: TokenStore, tokenId: number, keyId: string, nodes: readonly string[]): void {
  store.addTombstones(tokenId, keyId, nodes, new Date(Date.now() + POOL_HOLD_MS));
}

/** Keys whose shares are on their nodes enter the pool, and lose their tombstones, in one transaction. */
export function admitToPool(store: TokenStore, tokenId: number, ceremony: string,
  keys: readonly { keyId: string; nodes: readonly string[]; publicKey: ThresholdPublicKey }[]): void {
  store.atomically(() => {
    store.addPoolKeys(tokenId, keys.map((k) => ({
      bits: k.publicKey.bits, e: exponentBytes(k.publicKey.e), keyId: k.keyId, ceremony,
      placement: placementJson(k.keyId, k.nodes, k.publicKey, { ceremony }),
    })));
    for (const k of keys) for (const n of k.nodes) store.clearTombstone(k.keyId, n);
  });
}

export interface PoolDealing {
  store: TokenStore;
  tokenId: number;
  /** Reaches every node of the token as a client the nodes let install shares (dealer or ceremony). */
  coordinator: Coordinator;
  bits: number;
  /** Default 65537. */
  e?: bigint;
  count: number;
  /** Recorded with each key, e.g. the ceremony's name and date. */
  ceremony: string;
  /** Default: OpenSSL's safe-prime generator, in this process. */
  primes?: PrimeSource;
  log?: (line: string) => void;
}

/**
 * Deals `count` keys of the token's k of n, one after the other; each one is in the pool once its
 * shares are on every node. Returns their key ids. A failure leaves the keys dealt before it in
 * the pool and the failed key's shares under tombstones, which the service's sweeper clears.
 */
export async function dealIntoPool(d: PoolDealing): Promise<string[]> {
  const t = d.store.token(d.tokenId);
  if (t === undefined) throw new Error(`no token ${d.tokenId} in ${d.store.path}`);
  if (!Number.isSafeInteger(d.count) || d.count < 1) throw new Error('the number of keys to deal must be at least 1');
  const e = d.e ?? DEFAULT_E;
  const keyIds: string[] = [];
  for (let i = 0; i < d.count; i++) {
    const dealt = await generateKey({ bits: d.bits, shares: t.nodes.length, threshold: t.threshold, e },
      d.primes ?? opensslSafePrime);
    const keyId = newKeyId();
    try {
      // Tombstones before any share leaves, as for C_GenerateKeyPair, but held: the service's
      // sweeper cannot tell a ceremony still installing from one that died.
      holdTombstones(d.store, t.id, keyId, t.nodes);
      const placement = await d.coordinator.installKey(keyId, dealt, t.nodes);
      admitToPool(d.store, t.id, d.ceremony, [placement]);
    } finally {
      for (const sh of dealt.shares) sh.destroy();
    }
    keyIds.push(keyId);
    d.log?.(`token ${t.label}: RSA-${d.bits} key ${keyId} dealt into the pool (${i + 1} of ${d.count})`);
  }
  return keyIds;
}
