/** A real local cluster in a temporary directory: node processes on loopback, mutual TLS. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, loadCluster } from '../../../src/cluster/cluster-file.js';
import { initCluster } from '../../../src/cluster/init.js';
import { LocalCluster } from '../../../src/cluster/processes.js';
import { Coordinator, type CoordinatorOptions } from '../../../src/coordinator/coordinator.js';

export interface TestCluster {
  dir: string;
  cluster: Cluster;
  local: LocalCluster;
  coordinator: Coordinator;
  logs: string[];
  close(): Promise<void>;
}

export async function startTestCluster(
  nodes: number,
  threshold: number,
  opts: Partial<CoordinatorOptions> & { start?: boolean } = {},
): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kofn-cluster-'));
  await initCluster({ dir, nodes, threshold });
  const cluster = loadCluster(dir);
  const local = new LocalCluster(cluster);
  if (opts.start !== false) await local.startAll();
  const logs: string[] = [];
  const coordinator = new Coordinator({
    tls: cluster.tlsFor('coordinator'),
    nodes: cluster.endpoints,
    healthIntervalMs: 300,
    log: (l) => logs.push(l),
    ...opts,
  });
  return {
    dir,
    cluster,
    local,
    coordinator,
    logs,
    async close() {
      coordinator.close();
      await local.stopAll();
      // KOFN_KEEP_TEST_DIRS=1 keeps the cluster directory (node logs, databases) for a post-mortem.
      if (process.env.KOFN_KEEP_TEST_DIRS) process.stderr.write(`kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
