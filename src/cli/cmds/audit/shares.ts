/**
 * kofn audit shares [key]: each share of each key → node, its verification-key fingerprint, and
 * whether the node proves possession now. Exit status 1 when a key is at risk (fewer than k proven),
 * so monitoring can run it; --strict also fails on a degraded key (fewer than n).
 */
import { auditKeys } from '../../../ceremony/audit/keys.js';
import { auditShares } from '../../../ceremony/audit/shares.js';
import type { Command } from '../../command.js';
import { UserError } from '../../errors.js';
import { DIR_USAGE } from '../token/common.js';
import { auditCluster, auditStore, table } from './common.js';

export const command: Command = {
  name: 'audit shares',
  summary: 'for every share: its node, fingerprint, and a fresh proof of possession; flags keys at risk or degraded',
  usage: [
    DIR_USAGE,
    'KEY                  only this key (its label, CKA_ID in hex, or key id)',
    '--json               machine-readable output',
    '--strict             exit 1 also when a key is degraded (some shares not proven), not only at risk',
  ],
  options: { dir: { type: 'string' }, json: { type: 'boolean' }, strict: { type: 'boolean' } },
  positionals: [{ name: 'KEY', required: false }],
  async run(v) {
    const store = auditStore(v);
    let keys;
    try {
      keys = auditKeys(store, typeof v.KEY === 'string' ? v.KEY : undefined);
    } finally {
      store.close();
    }
    if (keys.length === 0 && typeof v.KEY === 'string') throw new UserError(`no key ${v.KEY}`);
    const audits = await auditShares(auditCluster(v), keys);
    if (v.json === true) {
      process.stdout.write(`${JSON.stringify({ keys: audits }, null, 2)}\n`);
    } else {
      for (const a of audits) {
        const flag = a.state === 'ok' ? 'ok' : a.state === 'degraded' ? 'DEGRADED' : 'AT RISK';
        process.stdout.write(`${a.token}/${a.label} (CKA_ID ${a.ckaId}, ${a.keyId}): ${a.proven} of ${a.n} proven, ` +
          `${a.k} needed: ${flag}\n`);
        process.stdout.write(table(['SHARE', 'NODE', 'VK FINGERPRINT', 'STATUS', 'DETAIL'],
          a.shares.map((s) => [`#${s.index}`, s.node, s.vkFingerprint.slice(0, 16), s.status, s.detail ?? ''])));
      }
      const risk = audits.filter((a) => a.state === 'at-risk').length;
      const degraded = audits.filter((a) => a.state === 'degraded').length;
      process.stdout.write(`${audits.length} keys: ${risk} at risk, ${degraded} degraded\n`);
    }
    if (audits.some((a) => a.state === 'at-risk')) return 1;
    return v.strict === true && audits.some((a) => a.state !== 'ok') ? 1 : 0;
  },
};
