import { readFileSync, writeFileSync } from 'node:fs';
import { signNodeCsr } from '../../../cluster/init.js';
import { parseIdentity } from '../../../pki/index.js';
import { type Command, str } from '../../command.js';
import { UserError } from '../../errors.js';

export const command: Command = {
  name: 'cluster sign-csr',
  summary: 'sign a node\'s CSR with the cluster CA (the CA never sees the node\'s private key)',
  usage: [
    '--ca-dir D           directory with ca.crt and the CA key: ca.key (0600), or ca.key.enc, or none (custodians)',
    '--csr FILE           node.csr made by kofn node init',
    '--out FILE           where to write the node certificate',
    '--passphrase-file F  the passphrase of ca.key.enc (its first line)',
    '--custodian-share F  a custodian\'s share file; repeat once per custodian, k times',
  ],
  options: {
    'ca-dir': { type: 'string' }, 'csr': { type: 'string' }, 'out': { type: 'string' },
    'passphrase-file': { type: 'string' }, 'custodian-share': { type: 'string', multiple: true },
  },
  async run(v) {
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8').split('\n')[0]?.trim() ?? '';
      } catch {
        throw new UserError(`${f} cannot be read`);
      }
    };
    const files = v['custodian-share'] as unknown as string[] | undefined;
    const csr = str(v, 'csr');
    let csrPem: string;
    try {
      csrPem = readFileSync(csr, 'utf8');
    } catch {
      throw new UserError(`${csr} cannot be read`);
    }
    const certPem = await signNodeCsr(str(v, 'ca-dir'), csrPem, {
      ...(typeof v['passphrase-file'] === 'string' ? { passphrase: read(v['passphrase-file']) } : {}),
      ...(files === undefined ? {} : { shares: files.map(read) }),
    });
    writeFileSync(str(v, 'out'), certPem);
    const id = parseIdentity(certPem);
    process.stdout.write(`signed ${id.identity} [${id.roles.join(',')}] -> ${str(v, 'out')}\n`);
    return 0;
  },
};
