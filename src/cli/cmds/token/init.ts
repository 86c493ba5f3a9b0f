import { UserError } from '../../errors.js';
import { createToken, tokenUri } from '../../../pkcs11/service/tokens.js';
import { type Command, str } from '../../command.js';
import { DIR_USAGE, homeDir, openStore } from './common.js';

export const command: Command = {
  name: 'token init',
  summary: 'create a token signing with a cluster (like softhsm2-util --init-token)',
  usage: [
    DIR_USAGE,
    '--cluster C          directory of the cluster\'s cluster.yaml (default D)',
    '--label L            token label, at most 32 bytes',
    '--so-pin P           security officer PIN (or $KOFN_SO_PIN)',
    '--pin P              user PIN (or $KOFN_PIN)',
  ],
  options: {
    'dir': { type: 'string' }, 'cluster': { type: 'string' }, 'label': { type: 'string' },
    'so-pin': { type: 'string' }, 'pin': { type: 'string' },
  },
  async run(v) {
    const soPin = str(v, 'so-pin', process.env.KOFN_SO_PIN ?? '');
    const pin = str(v, 'pin', process.env.KOFN_PIN ?? '');
    if (soPin === '' || pin === '') throw new UserError('both PINs are required: --so-pin and --pin (or KOFN_SO_PIN, KOFN_PIN)');
    const store = openStore(v);
    try {
      const t = await createToken(store, {
        label: str(v, 'label'), soPin, userPin: pin, clusterDir: str(v, 'cluster', homeDir(v)),
      });
      process.stdout.write(`token ${t.label} in slot ${t.id}: ${t.threshold} of ${t.nodes.length} (${t.nodes.join(', ')})\n`);
      process.stdout.write(`  ${tokenUri(t)}\n`);
    } finally {
      store.close();
    }
    return 0;
  },
};
