import { UserError } from '../../errors.js';
import { listKeys, tokenUri } from '../../../pkcs11/service/tokens.js';
import { MAX_PIN_TRIES } from '../../../pkcs11/service/token-service.js';
import { os2ip } from '../../../threshold/bytes.js';
import { type Command, str } from '../../command.js';
import { DIR_USAGE, openStore } from './common.js';

export const command: Command = {
  name: 'token show',
  summary: 'show one token: its cluster, PIN state and keys, each with its PKCS#11 URI',
  usage: [DIR_USAGE, '--label L            the token', '--json               machine-readable output'],
  options: { dir: { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } },
  run(v) {
    const store = openStore(v);
    try {
      const label = str(v, 'label');
      const t = store.tokenByLabel(label);
      if (t === undefined) throw new UserError(`no token labelled ${label}`);
      const keys = listKeys(store, t);
      const pool = store.poolCounts(t.id);
      if (v.json === true) {
        process.stdout.write(`${JSON.stringify({
          slot: t.id, label: t.label, serial: t.serial, uri: tokenUri(t), cluster: t.clusterDir,
          threshold: t.threshold, nodes: t.nodes, userPinInitialized: t.userPin !== null,
          userPinFailures: t.userFailures, soPinFailures: t.soFailures, keygen: t.keySource,
          pool: pool.map((p) => ({ bits: p.bits, e: exponent(p.e), count: p.count })), keys,
        }, null, 2)}\n`);
        return Promise.resolve(0);
      }
      const lines = [
        `token ${t.label} (slot ${t.id}, serial ${t.serial})`,
        `  uri       ${tokenUri(t)}`,
        `  cluster   ${t.clusterDir}: ${t.threshold} of ${t.nodes.length} (${t.nodes.join(', ')})`,
        `  user PIN  ${t.userPin === null ? 'not initialised' : `${t.userFailures}/${MAX_PIN_TRIES} failed tries`}`,
        `  SO PIN    ${t.soFailures}/${MAX_PIN_TRIES} failed tries`,
        `  keygen    ${t.keySource === 'pool' ? 'pool (keys dealt beforehand by a key ceremony)' : 'dealer'}`,
        `  pool      ${poolSummary(pool)}`,
        `  keys      ${keys.length === 0 ? 'none' : ''}`,
        ...keys.map((k) => `    ${k.cls.padEnd(8)} RSA-${k.bits}  id ${k.id || '-'}  ${k.uri}${k.keyId ? `  shares: ${k.keyId} on ${k.nodes?.join(', ') ?? ''}` : ''}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      store.close();
    }
    return Promise.resolve(0);
  },
};

/** The exponent as a JSON number while it is exact (65537 in practice), else as a decimal string. */
function exponent(e: Buffer): number | string {
  const n = os2ip(e);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/** E.g. "3 RSA-2048, 1 RSA-3072 (e 3)": the keys a pool-sourced C_GenerateKeyPair can still take. */
export function poolSummary(counts: readonly { bits: number; e: Buffer; count: number }[]): string {
  if (counts.length === 0) return 'empty';
  return counts.map((c) => {
    const e = exponent(c.e);
    return `${c.count} RSA-${c.bits}${e === 65537 ? '' : ` (e ${e})`}`;
  }).join(', ');
}
