/**
 * Step 4, Ship (every share to its node, a signed receipt back from each) and step 5, Register (the
 * key's PKCS#11 objects in the token, or the keys into the token's pool). Shipping is the first
 * irreversible act, so it comes after a summary and a confirmation; a ceremony that stops with
 * receipts missing takes the shipped shares back off the nodes.
 */
import { UserError } from '../../cli/errors.js';
import type { NodeClients } from '../../cluster/clients.js';
import { admitToPool, holdTombstones } from '../../pkcs11/service/pool.js';
import { registerThresholdKey } from '../../pkcs11/service/register.js';
import type { TokenStore } from '../../pkcs11/service/store.js';
import { progress } from '../progress.js';
import type { Session } from '../session.js';
import { ship, unship } from '../ship.js';
import type { KeygenPlan, PlannedKey } from './keygen.js';

export async function shipStep(s: Session, clients: NodeClients, store: TokenStore, plan: KeygenPlan):
Promise<void> {
  s.step(4, 'Ship');
  const total = plan.keys.reduce((n, k) => n + k.nodes.length, 0);
  s.say(`About to send ${total} shares (${plan.keys.length} key${plan.keys.length > 1 ? 's' : ''}), each sealed to its`,
    'node\'s share-encryption key, over mutual TLS with the ceremony certificate:');
  for (const k of plan.keys) s.say(`  ${k.keyId} → ${k.nodes.map((n, i) => `#${i + 1} ${n}`).join(', ')}`);
  if (!(await s.confirm('ship.confirm', 'Ship the shares now?', true))) throw new UserError('stopped before shipping');
  const shipped: PlannedKey[] = [];
  try {
    for (const k of plan.keys) {
      // Tombstones before any share leaves, held while the ceremony runs: if it dies between
      // shipping and registering, the token service's sweeper removes the orphaned shares later.
      holdTombstones(store, plan.token.id, k.keyId, k.nodes);
      let pending = [...k.nodes];
      for (let attempt = 1; ; attempt++) {
        const bar = progress(`shipping ${k.keyId}`);
        let got = k.nodes.length - pending.length;
        bar.update(got, k.nodes.length);
        const r = await ship(clients, k.keyId, k.dealt, k.nodes, () => bar.update(++got, k.nodes.length), pending);
        for (const [node, rc] of r.receipts) {
          s.event('receipt', {
            keyId: k.keyId, node, index: rc.receipt.index, vkFingerprint: rc.receipt.vkFingerprint,
            installedAt: rc.receipt.installedAt, alreadyInstalled: rc.receipt.alreadyInstalled,
            receipt: rc.raw.toString('utf8'), signature: rc.signature.toString('base64'),
          });
        }
        pending = [...r.missing.keys()];
        bar.finish(`${got} of ${k.nodes.length} receipts`);
        if (pending.length === 0) break;
        for (const [node, why] of r.missing) s.warn(`no valid receipt from ${node}: ${why}`);
        const next = await s.select(`ship.missing.${attempt}`, `${pending.length} receipt(s) missing. What now?`, [
          { name: 'try the missing nodes again', value: 'retry' },
          { name: 'abort: take every shipped share back off the nodes', value: 'abort' },
        ], 'abort');
        if (next === 'abort') {
          shipped.push(k);
          throw new UserError(`receipts missing from ${pending.join(', ')}: the ceremony was aborted`);
        }
      }
      shipped.push(k);
    }
  } catch (err) {
    for (const k of shipped) {
      const failed = await unship(clients, k.keyId, k.nodes);
      for (const n of k.nodes) if (!failed.includes(n)) store.clearTombstone(k.keyId, n);
      s.event('unship', { keyId: k.keyId, failed });
      if (failed.length > 0) {
        s.warn(`could not remove ${k.keyId} from ${failed.join(', ')}: its tombstones stay, so the token service ` +
          'deletes it there once the node is back; or delete it by hand');
      }
    }
    throw err;
  }
}

export function registerStep(s: Session, store: TokenStore, plan: KeygenPlan, ceremony: string): void {
  s.step(5, 'Register');
  const t = plan.token;
  if (plan.kind === 'pool') {
    admitToPool(store, t.id, ceremony, plan.keys.map((k) => ({ ...k, publicKey: k.dealt.publicKey })));
    if (plan.poolPolicy) store.setKeySource(t.id, 'pool');
    const counts = store.poolCounts(t.id).map((c) => `${c.count} × RSA-${c.bits}`).join(', ');
    s.say(`token ${t.label}: pool now holds ${counts}; key generation policy ${plan.poolPolicy ? 'pool' : 'unchanged'}`);
    s.event('pool', { token: t.label, keys: plan.keys.map((k) => k.keyId), policy: plan.poolPolicy ? 'pool' : 'unchanged' });
    return;
  }
  for (const k of plan.keys) {
    const h = store.atomically(() => {
      const objects = registerThresholdKey(store, t.id, {
        keyId: k.keyId, nodes: k.nodes, publicKey: k.dealt.publicKey, label: Buffer.from(k.label, 'utf8'),
        ckaId: k.ckaId, origin: k.origin, ceremony,
      });
      for (const n of k.nodes) store.clearTombstone(k.keyId, n);
      return objects;
    });
    s.say(`token ${t.label}: registered ${k.label} (CKA_ID ${k.ckaId.toString('hex')}), objects ${h.pub} and ${h.priv}`);
    s.say(`  pkcs11:token=${encodeURIComponent(t.label)};object=${encodeURIComponent(k.label)};type=private`);
    if (k.records) s.say('Publish in the zone:', `  ${k.records.dnskey}`, 'Give the parent:', `  ${k.records.ds}`);
    s.event('register', {
      token: t.label, keyId: k.keyId, label: k.label, ckaId: k.ckaId.toString('hex'), objects: [h.pub, h.priv],
    });
  }
}
