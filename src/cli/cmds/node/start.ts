import { startNode } from '../../../node/daemon.js';
import { type Command, str } from '../../command.js';

export const command: Command = {
  name: 'node start',
  summary: 'run a key-share node in the foreground until SIGINT/SIGTERM',
  usage: ['--config FILE        node configuration (see conf/node.example.yaml)'],
  options: { config: { type: 'string' } },
  async run(v) {
    const node = await startNode(str(v, 'config'));
    process.stdout.write(
      `kofn node ${node.id} listening on port ${node.port} (TLS 1.3, client certificates required; ` +
      `CPU scheduling ${node.cpuScheduling})\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await node.close();
    process.stdout.write(`kofn node ${node.id} stopped\n`);
    return 0;
  },
};
