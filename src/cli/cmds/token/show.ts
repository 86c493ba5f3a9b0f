import { UserError } from '../../errors.js';
import { listKeys, tokenUri } from '../../../pkcs11/service/tokens.js';
import { MAX_PIN_TRIES } from '../../../pkcs11/service/token-service.js';
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
      if (v.json === true) {
        process.stdout.write(`${JSON.stringify({
          slot: t.id, label: t.label, serial: t.serial, uri: tokenUri(t), cluster: t.clusterDir,
          threshold: t.threshold, nodes: t.nodes, userPinInitialized: t.userPin !== null,
          userPinFailures: t.userFailures, soPinFailures: t.soFailures, keys,
        }, null, 2)}\n`);
        return Promise.resolve(0);
      }
      const lines = [
        `token ${t.label} (slot ${t.id}, serial ${t.serial})`,
        `  uri       ${tokenUri(t)}`,
        `  cluster   ${t.clusterDir}: ${t.threshold} of ${t.nodes.length} (${t.nodes.join(', ')})`,
        `  user PIN  ${t.userPin === null ? 'not initialised' : `${t.userFailures}/${MAX_PIN_TRIES} failed tries`}`,
        `  SO PIN    ${t.soFailures}/${MAX_PIN_TRIES} failed tries`,
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
