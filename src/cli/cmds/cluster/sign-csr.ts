import { readFileSync, writeFileSync } from 'node:fs';
import { signNodeCsr } from '../../../cluster/init.js';
import { parseIdentity } from '../../../pki/index.js';
import { type Command, str } from '../../command.js';

export const command: Command = {
  name: 'cluster sign-csr',
  summary: 'sign a node\'s CSR with the cluster CA (the CA never sees the node\'s private key)',
  usage: [
    '--ca-dir D           directory with ca.crt and ca.key (mode 0600)',
    '--csr FILE           node.csr made by kofn node init',
    '--out FILE           where to write the node certificate',
  ],
  options: { 'ca-dir': { type: 'string' }, 'csr': { type: 'string' }, 'out': { type: 'string' } },
  async run(v) {
    const certPem = await signNodeCsr(str(v, 'ca-dir'), readFileSync(str(v, 'csr'), 'utf8'));
    writeFileSync(str(v, 'out'), certPem);
    const id = parseIdentity(certPem);
    process.stdout.write(`signed ${id.identity} [${id.roles.join(',')}] -> ${str(v, 'out')}\n`);
    return 0;
  },
};
