/** Starts a node from its configuration: opens the store with its KEK, loads TLS material, serves. */
import { readFileSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { UserError } from '../cli/errors.js';
import { readPrivateFile, verifyPeerCertificate } from '../pki/index.js';
import { native } from '../threshold/native.js';
import { AuditLog } from './audit.js';
import { loadNodeConfig, type ResolvedNodeConfig } from './config.js';
import type { KekSource } from './kek.js';
import { NodeServer, type NodeServerOptions } from './server.js';
import { NodeStore, NodeStoreError } from './store.js';

export const SHARE_KEY_SECRET = 'share-key';

export interface RunningNode {
  id: string;
  port: number;
  server: NodeServer;
  /** The scheduling policy the node runs under: 'batch', 'normal', or why batch was refused. */
  cpuScheduling: string;
  close(): Promise<void>;
}

export function kekSourceOf(cfg: ResolvedNodeConfig, env = process.env): KekSource {
  if ('keyFile' in cfg.kek) return { kind: 'keyfile', path: cfg.kek.keyFile };
  const passphrase = env[cfg.kek.passphraseEnv];
  if (!passphrase) throw new UserError(`node ${cfg.id}: environment variable ${cfg.kek.passphraseEnv} is not set`);
  return { kind: 'passphrase', passphrase };
}

/**
 * `cpuScheduling: batch` (the default): SCHED_BATCH for the event loop and the pool threads, so that
 * the event loop's wake-ups stop preempting share exponentiations (native/src/sched_batch.c). A
 * refusal is not fatal: the node works the same, only slower on a saturated host.
 */
function applyCpuScheduling(cfg: ResolvedNodeConfig): string {
  if (cfg.cpuScheduling === 'normal') return 'normal';
  const err = native.schedBatch();
  if (err === 0) return 'batch';
  return `normal (SCHED_BATCH refused: ${getSystemErrorName(-err)})`;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`${what} ${path} cannot be read`);
  }
}

export async function startNode(
  configPath: string,
  extra: Pick<NodeServerOptions, 'tamper' | 'log' | 'revision'> = {},
): Promise<RunningNode> {
  const cfg = loadNodeConfig(configPath);
  const cpuScheduling = applyCpuScheduling(cfg);
  const caPem = readText(cfg.tls.ca, 'CA certificate');
  const certPem = readText(cfg.tls.cert, 'certificate');
  let keyPem: string;
  try {
    keyPem = readPrivateFile(cfg.tls.key).toString('utf8');
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const own = verifyPeerCertificate(certPem, caPem);
  if (!own.ok) throw new UserError(`node ${cfg.id}: certificate ${cfg.tls.cert}: ${own.message}`);
  if (own.identity !== cfg.id || !own.roles.includes('node')) {
    throw new UserError(`node ${cfg.id}: certificate ${cfg.tls.cert} is for ${own.identity} [${own.roles.join(',')}]`);
  }
  let store: NodeStore;
  try {
    store = NodeStore.open(cfg.data, kekSourceOf(cfg));
  } catch (err) {
    if (err instanceof NodeStoreError) throw new UserError(err.message);
    throw err;
  }
  const shareKey = store.getSecret(SHARE_KEY_SECRET);
  if (shareKey === undefined) {
    store.close();
    throw new UserError(`node ${cfg.id}: store ${cfg.data} has no share-encryption key (run kofn node init)`);
  }
  const audit = new AuditLog(store);
  let server: NodeServer;
  try {
    server = new NodeServer({ nodeId: cfg.id, store, audit, tls: { caPem, certPem, keyPem }, shareKey, ...extra });
  } catch (err) {
    shareKey.fill(0);
    await audit.close();
    store.close();
    throw new UserError(`node ${cfg.id}: ${(err as Error).message} (${cfg.tls.key}, ${cfg.tls.cert})`);
  }
  let port: number;
  try {
    port = await server.listen(cfg.listen);
  } catch (err) {
    await server.close(0);
    await audit.close();
    store.close();
    throw new UserError(`node ${cfg.id}: cannot listen on ${cfg.listen}: ${(err as Error).message}`);
  }
  return {
    id: cfg.id,
    port,
    server,
    cpuScheduling,
    async close() {
      await server.close();
      await audit.close();
      store.close();
    },
  };
}
