import { initCluster } from '../../../cluster/init.js';
import { type Command, int, str } from '../../command.js';

export const command: Command = {
  name: 'cluster init',
  summary: 'create a local cluster in one directory: CA, nodes (each with its own keys), client certificates',
  usage: [
    '--dir D              cluster directory (default ./.kofn)',
    '--nodes N            number of nodes (default 5)',
    '--threshold K        default threshold for keys dealt on it (default ⌊N/2⌋+1)',
    '--base-port P        ports P..P+N-1 (default: free ports)',
  ],
  options: { 'dir': { type: 'string' }, 'nodes': { type: 'string' }, 'threshold': { type: 'string' }, 'base-port': { type: 'string' } },
  async run(v) {
    const nodes = int(v, 'nodes', 5);
    const file = await initCluster({
      dir: str(v, 'dir', './.kofn'),
      nodes,
      threshold: int(v, 'threshold', Math.floor(nodes / 2) + 1),
      basePort: int(v, 'base-port', 0),
    });
    process.stdout.write(`cluster ${file.cluster}: ${file.nodes.length} nodes, threshold ${file.threshold}\n`);
    for (const n of file.nodes) process.stdout.write(`  ${n.id}  ${n.address}\n`);
    return 0;
  },
};
