import { initNode } from '../../../node/init.js';
import { type Command, str } from '../../command.js';

export const command: Command = {
  name: 'node init',
  summary: 'create a node: store, key-encryption key, TLS key and CSR, share-encryption key',
  usage: [
    '--dir D              directory for the node (created, mode 0700)',
    '--id ID              node identity, e.g. node1',
    '--listen HOST:PORT   address to serve on (default 127.0.0.1:7101)',
    '--passphrase-env V   derive the store key from a passphrase in $V instead of a key file',
  ],
  options: { 'dir': { type: 'string' }, 'id': { type: 'string' }, 'listen': { type: 'string' }, 'passphrase-env': { type: 'string' } },
  async run(v) {
    const passphraseEnv = typeof v['passphrase-env'] === 'string' ? v['passphrase-env'] : undefined;
    const r = await initNode({
      dir: str(v, 'dir'),
      id: str(v, 'id'),
      listen: str(v, 'listen', '127.0.0.1:7101'),
      ...(passphraseEnv ? { passphraseEnv } : {}),
    });
    process.stdout.write(
      `node initialised: ${r.config}\n` +
      `share-encryption key (X25519, in the CSR): ${r.shareKey.toString('base64url')}\n` +
      `next: have the cluster CA sign ${r.csr} into node.crt, copy the CA certificate to ca.crt, then\n` +
      `  kofn node start --config ${r.config}\n`,
    );
    return 0;
  },
};
