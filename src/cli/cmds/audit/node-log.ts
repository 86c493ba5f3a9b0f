/** kofn audit node-log: fetches each node's hash-chained request log and verifies it. */
import { auditNodeLogs } from '../../../ceremony/audit/node-log.js';
import type { Command } from '../../command.js';
import { UserError } from '../../errors.js';
import { DIR_USAGE } from '../token/common.js';
import { auditCluster, table } from './common.js';

export const command: Command = {
  name: 'audit node-log',
  summary: 'fetch every node\'s request log over mutual TLS (auditor role) and verify its hash chain and signed head',
  usage: [DIR_USAGE, '--node ID            only this node', '--json               machine-readable output'],
  options: { dir: { type: 'string' }, node: { type: 'string' }, json: { type: 'boolean' } },
  async run(v) {
    const cluster = auditCluster(v);
    const only = typeof v.node === 'string' ? v.node : undefined;
    if (only !== undefined && !cluster.endpoints.some((e) => e.id === only)) throw new UserError(`no node ${only}`);
    const results = await auditNodeLogs(cluster, only);
    if (v.json === true) {
      process.stdout.write(`${JSON.stringify({ nodes: results }, null, 2)}\n`);
    } else {
      process.stdout.write(table(['NODE', 'STATUS', 'ENTRIES', 'DETAIL'],
        results.map((r) => [r.node, r.status === 'ok' ? 'ok' : r.status.toUpperCase(), String(r.entries), r.detail])));
    }
    return results.every((r) => r.status === 'ok') ? 0 : 1;
  },
};
