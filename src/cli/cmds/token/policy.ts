import { KEY_SOURCES, type KeySource } from '../../../pkcs11/service/store.js';
import { type Command, str } from '../../command.js';
import { UserError } from '../../errors.js';
import { DIR_USAGE, openStore } from './common.js';
import { poolSummary } from './show.js';

export const command: Command = {
  name: 'token policy',
  summary: 'choose where C_GenerateKeyPair takes keys from: dealt by the service, or the pre-dealt pool',
  usage: [
    DIR_USAGE,
    '--label L            the token',
    '--keygen SOURCE      dealer: the service deals each key when asked (every node must be up);',
    '                     pool: it hands out a key a key ceremony dealt beforehand',
  ],
  options: { dir: { type: 'string' }, label: { type: 'string' }, keygen: { type: 'string' } },
  run(v) {
    const source = str(v, 'keygen');
    if (!isKeySource(source)) throw new UserError(`--keygen must be ${KEY_SOURCES.join(' or ')}, not ${source}`);
    const label = str(v, 'label');
    const store = openStore(v);
    try {
      const t = store.tokenByLabel(label);
      if (t === undefined) throw new UserError(`no token labelled ${label}`);
      store.setKeySource(t.id, source);
      const lines = [`token ${t.label}: key generation by the ${source === 'pool' ? 'pre-dealt pool' : 'dealer'}`];
      if (source === 'pool') {
        const counts = store.poolCounts(t.id);
        lines.push(`  pool      ${poolSummary(counts)}`);
        // Said now rather than discovered at the enforcer's next key rollover.
        if (counts.length === 0) lines.push('  C_GenerateKeyPair fails (CKR_DEVICE_MEMORY) until a key ceremony deals keys into it');
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      store.close();
    }
    return Promise.resolve(0);
  },
};

function isKeySource(s: string): s is KeySource {
  return (KEY_SOURCES as readonly string[]).includes(s);
}
