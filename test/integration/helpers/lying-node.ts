/**
 * A real node process whose signature shares are wrong: the production daemon with the `tamper`
 * seam set, so everything else (TLS, store, audit log, proofs over the wrong value) is genuine.
 * Usage: node lying-node.js --config node.yaml
 */
import { startNode } from '../../../src/node/daemon.js';

const config = process.argv[process.argv.indexOf('--config') + 1];
if (config === undefined) throw new Error('--config is required');
const node = await startNode(config, { tamper: (s) => ({ ...s, xi: s.xi + 1n }) });
process.stdout.write(`lying node ${node.id} on port ${node.port}\n`);
process.once('SIGTERM', () => void node.close().then(() => process.exit(0)));
process.once('SIGINT', () => void node.close().then(() => process.exit(0)));
