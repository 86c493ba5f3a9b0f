import { loadCluster } from '../../../cluster/cluster-file.js';
import { Coordinator } from '../../../coordinator/coordinator.js';
import { type Command, str } from '../../command.js';

export const command: Command = {
  name: 'cluster status',
  summary: 'show each node\'s health as the coordinator sees it',
  usage: ['--dir D              cluster directory (default ./.kofn)', '--json               machine-readable output'],
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  async run(v) {
    const cluster = loadCluster(str(v, 'dir', './.kofn'));
    const c = new Coordinator({ tls: cluster.tlsFor('coordinator'), nodes: cluster.endpoints, healthIntervalMs: 0 });
    try {
      const status = await c.checkHealth(2000);
      if (v.json === true) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      } else {
        process.stdout.write(`cluster ${cluster.file.cluster}, threshold ${cluster.file.threshold} of ${status.length}\n`);
        for (const s of status) {
          const lat = s.latencyMs === undefined ? '' : `${s.latencyMs.toFixed(1)} ms`;
          process.stdout.write(`  ${s.id.padEnd(8)} ${s.address.padEnd(22)} ${s.state.padEnd(6)} ${lat}${s.state === 'up' ? '' : `  ${s.lastError ?? ''}`}\n`);
        }
      }
      const up = status.filter((s) => s.state === 'up').length;
      return up >= cluster.file.threshold ? 0 : 1;
    } finally {
      c.close();
    }
  },
};
