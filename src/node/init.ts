/**
 * `kofn node init`: everything a node makes for itself, on its own machine. The TLS private key
 * and the share-encryption (X25519) private key never leave it; the CA only ever sees node.csr,
 * which carries the X25519 public key so that the CA's signature vouches for it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { UserError } from '../cli/errors.js';
import { createKeyAndCsr, writePrivateFile } from '../pki/index.js';
import { SHARE_KEY_SECRET } from './daemon.js';
import { generateShareKeyPair } from './envelope.js';
import { createKeyFile, type KekSource } from './kek.js';
import { NodeStore } from './store.js';

export interface NodeInitOptions {
  dir: string;
  id: string;
  listen: string;
  /** A passphrase (from the environment variable named) instead of a key file. */
  passphraseEnv?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface NodeInitResult {
  config: string;
  csr: string;
  shareKey: Buffer;
}

export async function initNode(o: NodeInitOptions): Promise<NodeInitResult> {
  const paths = {
    config: join(o.dir, 'node.yaml'),
    db: join(o.dir, 'node.db'),
    kek: join(o.dir, 'node.kek'),
    key: join(o.dir, 'node.key'),
    csr: join(o.dir, 'node.csr'),
  };
  for (const p of [paths.config, paths.db, paths.key]) {
    if (existsSync(p)) throw new UserError(`${p} already exists: this node is initialised`);
  }
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });

  let kek: KekSource;
  if (o.passphraseEnv) {
    const passphrase = process.env[o.passphraseEnv];
    if (!passphrase) throw new UserError(`environment variable ${o.passphraseEnv} is not set`);
    kek = { kind: 'passphrase', passphrase };
  } else {
    createKeyFile(paths.kek);
    kek = { kind: 'keyfile', path: paths.kek };
  }

  const pair = generateShareKeyPair();
  const store = NodeStore.create(paths.db, kek);
  try {
    store.putSecret(SHARE_KEY_SECRET, pair.privateKey);
  } finally {
    pair.privateKey.fill(0);
    store.close();
  }

  const { keyPem, csrPem } = await createKeyAndCsr({
    identity: o.id,
    roles: ['node'],
    dnsNames: o.dnsNames ?? ['localhost'],
    ipAddresses: o.ipAddresses ?? ['127.0.0.1'],
    shareKey: pair.publicKey,
  });
  writePrivateFile(paths.key, keyPem);
  writeFileSync(paths.csr, csrPem);
  const config = {
    id: o.id,
    listen: o.listen,
    data: 'node.db',
    tls: { ca: 'ca.crt', cert: 'node.crt', key: 'node.key' },
    kek: o.passphraseEnv ? { passphraseEnv: o.passphraseEnv } : { keyFile: 'node.kek' },
  };
  writeFileSync(paths.config, `# kofn node ${o.id}, written by kofn node init\n${stringify(config)}`);
  return { config: paths.config, csr: paths.csr, shareKey: pair.publicKey };
}
