/**
 * `kofn cluster init`: a whole local cluster in one directory — the CA, n nodes (each made by the
 * node's own init: its keys stay in its directory; the CA signs only its CSR), and client
 * certificates for the coordinator (also dealer), the auditor and the ceremony.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../cli/errors.js';
import { initNode } from '../node/init.js';
import { type CertAndKey, createCa, issueCertificate, type Role, signCsr, writePrivateFile } from '../pki/index.js';
import { type CaKeySource, loadCa } from './ca-key.js';
import { CLUSTER_FILE, type ClusterFile, writeClusterFile } from './cluster-file.js';

export interface ClusterInitOptions {
  dir: string;
  nodes: number;
  threshold: number;
  /** First port; 0 picks free ports. */
  basePort?: number;
  host?: string;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function initCluster(o: ClusterInitOptions): Promise<ClusterFile> {
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 64) throw new UserError('--nodes must be 1..64');
  if (!Number.isInteger(o.threshold) || o.threshold < 1 || o.threshold > o.nodes) {
    throw new UserError(`--threshold must be 1..${o.nodes}`);
  }
  if (existsSync(join(o.dir, CLUSTER_FILE))) throw new UserError(`${join(o.dir, CLUSTER_FILE)} already exists`);
  const host = o.host ?? '127.0.0.1';
  mkdirSync(join(o.dir, 'ca'), { recursive: true, mode: 0o700 });

  const clusterId = `local-${randomBytes(4).toString('hex')}`;
  const ca = await createCa({ clusterId });
  writeFileSync(join(o.dir, 'ca', 'ca.crt'), ca.certPem);
  writePrivateFile(join(o.dir, 'ca', 'ca.key'), ca.keyPem);

  const nodes: ClusterFile['nodes'] = [];
  for (let i = 1; i <= o.nodes; i++) {
    const id = `node${i}`;
    const dir = join(o.dir, 'nodes', id);
    const port = o.basePort ? o.basePort + i - 1 : await freePort(host);
    const made = await initNode({ dir, id, listen: `${host}:${port}` });
    const certPem = await signCsr({ ca, csrPem: readFileSync(made.csr, 'utf8'), allowedRoles: ['node'] });
    writeFileSync(join(dir, 'node.crt'), certPem);
    copyFileSync(join(o.dir, 'ca', 'ca.crt'), join(dir, 'ca.crt'));
    nodes.push({ id, address: `${host}:${port}`, cert: `nodes/${id}/node.crt`, config: `nodes/${id}/node.yaml` });
  }

  const file: ClusterFile = {
    version: 1,
    cluster: clusterId,
    threshold: o.threshold,
    ca: 'ca/ca.crt',
    nodes,
    clients: await issueClients(o.dir, ca),
  };
  writeClusterFile(o.dir, file);
  return file;
}

/**
 * The cluster's client identities, each with its own key in `dir/clients/`: the coordinator (which
 * also deals, for C_GenerateKeyPair), the auditor and the ceremony. `issued` hears of each one.
 */
export async function issueClients(dir: string, ca: CertAndKey,
  issued: (name: string, roles: Role[], certPem: string) => void = () => undefined): Promise<ClusterFile['clients']> {
  mkdirSync(join(dir, 'clients'), { recursive: true, mode: 0o700 });
  const client = async (name: string, roles: Role[]) => {
    const c = await issueCertificate({ ca, identity: name, roles });
    writeFileSync(join(dir, 'clients', `${name}.crt`), c.certPem);
    writePrivateFile(join(dir, 'clients', `${name}.key`), c.keyPem);
    issued(name, roles, c.certPem);
    return { cert: `clients/${name}.crt`, key: `clients/${name}.key` };
  };
  return {
    coordinator: await client('coordinator', ['coordinator', 'dealer']),
    auditor: await client('auditor', ['auditor']),
    ceremony: await client('ceremony', ['ceremony']),
  };
}

/** Signs a node's CSR with the CA in `caDir` (see ca-key.ts for how its key is found): the real-deployment path. */
export async function signNodeCsr(caDir: string, csrPem: string, src: CaKeySource = {}): Promise<string> {
  return signCsr({ ca: await loadCa(caDir, src), csrPem, allowedRoles: ['node'] });
}
