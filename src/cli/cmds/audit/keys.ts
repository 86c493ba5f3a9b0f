/** kofn audit keys: every threshold key, who made it and where its shares are meant to be. */
import { auditKeys } from '../../../ceremony/audit/keys.js';
import type { Command } from '../../command.js';
import { DIR_USAGE } from '../token/common.js';
import { auditStore, table } from './common.js';

export const command: Command = {
  name: 'audit keys',
  summary: 'list every key: label, CKA_ID, algorithm, size, k of n, the ceremony that made it, when',
  usage: [DIR_USAGE, '--json               machine-readable output'],
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  run(v) {
    const store = auditStore(v);
    try {
      const keys = auditKeys(store);
      const pools = store.tokens().map((t) => ({ token: t.label, policy: t.keySource, pool: store.poolCounts(t.id) }));
      if (v.json === true) {
        const out = keys.map((k) => ({ ...k, publicKey: undefined }));
        process.stdout.write(`${JSON.stringify({ keys: out, pools }, (_k, x: unknown) =>
          (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);
        return Promise.resolve(0);
      }
      process.stdout.write(table(
        ['TOKEN', 'LABEL', 'CKA_ID', 'ALG', 'BITS', 'K/N', 'ORIGIN', 'CEREMONY', 'CREATED'],
        keys.map((k) => [k.token, k.label, k.ckaId, k.algorithm, String(k.bits), `${k.k}/${k.n}`, k.origin, k.ceremony,
          k.created]),
      ));
      for (const p of pools) {
        const counts = p.pool.map((c) => `${c.count} × RSA-${c.bits}`).join(', ') || 'empty';
        process.stdout.write(`token ${p.token}: key generation policy ${p.policy}, pre-dealt pool ${counts}\n`);
      }
      return Promise.resolve(0);
    } finally {
      store.close();
    }
  },
};
