/**
 * Step 3's checks before anything is shipped: every share proves itself against its verification
 * key v_i (Shoup section 3 proof, on a fresh random x), and several k-subsets each produce a
 * signature that verifies under the public key alone. A dealing that fails either is never shipped.
 */
import { createHash, randomBytes, randomInt, verify } from 'node:crypto';
import { os2ip } from '../threshold/bytes.js';
import {
  combineSubset,
  type DealtKey,
  messageRepresentative,
  rsaPublicKeyObject,
  toSignatureBytes,
  verifyShareProof,
} from '../threshold/rsa/index.js';

export interface DealCheck {
  /** Share indices whose proof verified. */
  proven: number[];
  /** Each tested subset and whether its signature verified. */
  subsets: { indices: number[]; ok: boolean }[];
  ok: boolean;
}

/** All k-subsets of 1..n when there are at most `max`, else the first, the last and random ones. */
export function testSubsets(n: number, k: number, max = 10): number[][] {
  const all: number[][] = [];
  const walk = (start: number, acc: number[]) => {
    if (all.length > max) return;
    if (acc.length === k) {
      all.push([...acc]);
      return;
    }
    for (let i = start; i <= n; i++) walk(i + 1, [...acc, i]);
  };
  walk(1, []);
  if (all.length <= max) return all;
  const pick = new Map<string, number[]>();
  const add = (s: number[]) => pick.set(s.join(','), s);
  add(Array.from({ length: k }, (_, i) => i + 1));
  add(Array.from({ length: k }, (_, i) => n - k + 1 + i));
  while (pick.size < Math.min(max, 5)) {
    const set = new Set<number>();
    while (set.size < k) set.add(randomInt(1, n + 1));
    add([...set].sort((a, b) => a - b));
  }
  return [...pick.values()];
}

export async function checkDealtKey(dealt: DealtKey, label: string): Promise<DealCheck> {
  const pub = dealt.publicKey;
  const proven: number[] = [];
  for (const share of dealt.shares) {
    const x = (os2ip(randomBytes(pub.bytes)) % (pub.n - 1n)) + 1n;
    const s = await share.signWithProofAsync(x);
    if (s.proof !== undefined && verifyShareProof(pub, x, s.index, s.xi, s.proof)) proven.push(s.index);
  }
  const message = Buffer.from(`kofn ceremony test signature: ${label}`, 'utf8');
  const x = messageRepresentative(
    { scheme: 'pkcs1', hash: 'sha256', digest: createHash('sha256').update(message).digest() }, pub.bits);
  const shares = await Promise.all(dealt.shares.map((s) => s.signAsync(x)));
  const key = rsaPublicKeyObject(pub.n, pub.e);
  const subsets = testSubsets(pub.l, pub.k).map((indices) => {
    try {
      const y = combineSubset(pub, x, indices.map((i) => shares[i - 1]).filter((s) => s !== undefined));
      return { indices, ok: verify('sha256', message, key, toSignatureBytes(pub, y)) };
    } catch {
      return { indices, ok: false };
    }
  });
  return { proven, subsets, ok: proven.length === pub.l && subsets.every((s) => s.ok) };
}
