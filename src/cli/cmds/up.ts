import { resolve } from 'node:path';
import { startLocalHsm, usage } from '../../local/hsm.js';
import { type Command, int, str } from '../command.js';

export const command: Command = {
  name: 'up',
  summary: 'a local HSM in the foreground: a 3-of-5 cluster on loopback and the token service (npm start)',
  usage: [
    '--dir D              state directory (default $KOFN_HOME or ./.kofn), created on first run',
    '--socket PATH        the token service\'s socket (default $KOFN_SOCKET or D/pkcs11.sock)',
    '--nodes N            nodes, when creating (default 5)',
    '--threshold K        threshold, when creating (default 3)',
  ],
  options: {
    dir: { type: 'string' }, socket: { type: 'string' }, nodes: { type: 'string' }, threshold: { type: 'string' },
  },
  async run(v) {
    const dir = resolve(str(v, 'dir', process.env.KOFN_HOME ?? './.kofn'));
    const socket = typeof v.socket === 'string' ? v.socket : process.env.KOFN_SOCKET;
    const stopping = new Promise<void>((r) => {
      process.once('SIGINT', () => r());
      process.once('SIGTERM', () => r());
    });
    process.stdout.write(`starting the local cluster and token service in ${dir}...\n`);
    const hsm = await startLocalHsm({
      dir, ...(socket ? { socket } : {}), nodes: int(v, 'nodes', 5), threshold: int(v, 'threshold', 3),
    });
    try {
      process.stdout.write(usage(hsm));
      await stopping;
    } finally {
      await hsm.stop();
      process.stdout.write('token service and nodes stopped\n');
    }
    return 0;
  },
};
