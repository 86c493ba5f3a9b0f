import { listKeys, tokenUri } from '../../../pkcs11/service/tokens.js';
import { type Command } from '../../command.js';
import { DIR_USAGE, openStore } from './common.js';

export const command: Command = {
  name: 'token list',
  summary: 'list tokens with their slots and PKCS#11 URIs (like softhsm2-util --show-slots)',
  usage: [DIR_USAGE],
  options: { dir: { type: 'string' } },
  run(v) {
    const store = openStore(v);
    try {
      const tokens = store.tokens();
      if (tokens.length === 0) process.stdout.write('no tokens: create one with kofn token init\n');
      for (const t of tokens) {
        const keys = listKeys(store, t).filter((k) => k.cls === 'private').length;
        process.stdout.write(`slot ${t.id}: ${t.label}  serial ${t.serial}  ${t.threshold} of ${t.nodes.length}  ${keys} key${keys === 1 ? '' : 's'}\n`);
        process.stdout.write(`  ${tokenUri(t)}\n`);
      }
    } finally {
      store.close();
    }
    return Promise.resolve(0);
  },
};
