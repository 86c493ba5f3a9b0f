/** cluster.yaml: where the nodes are and which client certificates to use. Paths are relative to it. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { UserError } from '../cli/errors.js';
import type { NodeEndpoint } from '../coordinator/node-client.js';
import type { TlsMaterial } from '../node/rpc/tls.js';
import { readPrivateFile } from '../pki/index.js';

export const CLUSTER_FILE = 'cluster.yaml';

const pair = z.strictObject({ cert: z.string(), key: z.string() });
const ClusterSchema = z.strictObject({
  version: z.literal(1),
  cluster: z.string(),
  threshold: z.number().int().min(1).max(64),
  ca: z.string(),
  nodes: z
    .array(z.strictObject({
      id: z.string(), address: z.string(), cert: z.string(),
      // Only for nodes this directory runs itself (kofn cluster up); a ceremony's cluster has none.
      config: z.string().optional(),
    }))
    .min(1)
    .max(64),
  clients: z.strictObject({ coordinator: pair, auditor: pair, ceremony: pair }),
});
export type ClusterFile = z.infer<typeof ClusterSchema>;
export type ClientRole = keyof ClusterFile['clients'];

export interface Cluster {
  dir: string;
  file: ClusterFile;
  caPem: string;
  endpoints: NodeEndpoint[];
  /** Absolute path of the config of each node run from this directory. */
  nodeConfigs: Map<string, string>;
  tlsFor(role: ClientRole): TlsMaterial;
}

export function writeClusterFile(dir: string, file: ClusterFile): void {
  writeFileSync(join(dir, CLUSTER_FILE), `# kofn local cluster, written by kofn cluster init\n${stringify(file)}`);
}

export function loadCluster(dir: string): Cluster {
  const path = join(dir, CLUSTER_FILE);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UserError(`${path} cannot be read: run kofn cluster init --dir ${dir}`);
  }
  const r = ClusterSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(`${path}: ${i?.path.join('.') ?? ''}: ${i?.message ?? 'invalid'}`);
  }
  const base = resolve(dirname(path));
  const at = (p: string) => resolve(base, p);
  const file = r.data;
  const caPem = readFileSync(at(file.ca), 'utf8');
  return {
    dir: base,
    file,
    caPem,
    endpoints: file.nodes.map((n) => ({ id: n.id, address: n.address, certPem: readFileSync(at(n.cert), 'utf8') })),
    nodeConfigs: new Map(file.nodes.flatMap((n) => (n.config === undefined ? [] : [[n.id, at(n.config)] as const]))),
    tlsFor(role) {
      const c = file.clients[role];
      return { caPem, certPem: readFileSync(at(c.cert), 'utf8'), keyPem: readPrivateFile(at(c.key)).toString('utf8') };
    },
  };
}
