import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_FILE, loadCluster } from '../../../cluster/cluster-file.js';
import { initCluster } from '../../../cluster/init.js';
import { LocalCluster } from '../../../cluster/processes.js';
import { type Command, int, str } from '../../command.js';

export const command: Command = {
  name: 'cluster up',
  summary: 'start a local cluster on loopback in the foreground (creating it if missing); Ctrl-C stops it',
  usage: [
    '--dir D              cluster directory (default ./.kofn)',
    '--nodes N            nodes, when creating (default 5)',
    '--threshold K        threshold, when creating (default ⌊N/2⌋+1)',
  ],
  options: { dir: { type: 'string' }, nodes: { type: 'string' }, threshold: { type: 'string' } },
  async run(v) {
    const dir = str(v, 'dir', './.kofn');
    if (!existsSync(join(dir, CLUSTER_FILE))) {
      const nodes = int(v, 'nodes', 5);
      await initCluster({ dir, nodes, threshold: int(v, 'threshold', Math.floor(nodes / 2) + 1) });
    }
    const local = new LocalCluster(loadCluster(dir));
    const stopping = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    try {
      await local.startAll();
      process.stdout.write(`kofn cluster ${local.cluster.file.cluster} up: threshold ${local.cluster.file.threshold}\n`);
      for (const e of local.cluster.endpoints) {
        process.stdout.write(`  ${e.id.padEnd(8)} ${e.address.padEnd(22)} pid ${local.pid(e.id)}  log ${local.logFile(e.id)}\n`);
      }
      process.stdout.write('Ctrl-C stops all nodes.\n');
      await stopping;
    } finally {
      await local.stopAll();
      process.stdout.write('all nodes stopped\n');
    }
    return 0;
  },
};
