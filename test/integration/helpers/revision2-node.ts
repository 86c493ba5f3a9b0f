/**
 * A real node process that speaks node protocol revision 2: the production daemon with the
 * `revision` seam set, so it answers SignStream with UNIMPLEMENTED as a node not yet upgraded does.
 * Usage: node revision2-node.js --config node.yaml
 */
import { startNode } from '../../../src/node/daemon.js';

const config = process.argv[process.argv.indexOf('--config') + 1];
if (config === undefined) throw new Error('--config is required');
const node = await startNode(config, { revision: 2 });
process.stdout.write(`revision 2 node ${node.id} on port ${node.port}\n`);
process.once('SIGTERM', () => void node.close().then(() => process.exit(0)));
process.once('SIGINT', () => void node.close().then(() => process.exit(0)));
