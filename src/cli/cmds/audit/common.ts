/** What the audit commands share: the state directory's cluster and token store, and table output. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Cluster, CLUSTER_FILE, loadCluster } from '../../../cluster/cluster-file.js';
import type { TokenStore } from '../../../pkcs11/service/store.js';
import type { Values } from '../../command.js';
import { UserError } from '../../errors.js';
import { homeDir, openStore, storePath } from '../token/common.js';

export function auditCluster(v: Values): Cluster {
  const dir = homeDir(v);
  if (!existsSync(join(dir, CLUSTER_FILE))) throw new UserError(`${dir} has no ${CLUSTER_FILE}: use --dir`);
  return loadCluster(dir);
}

export function auditStore(v: Values): TokenStore {
  // Unlike openStore, never creates one: an audit of the wrong directory must say so.
  const path = storePath(v);
  if (!existsSync(path)) throw new UserError(`${path} does not exist: use --dir`);
  return openStore(v);
}

/** A plain text table: columns padded to their widest cell. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
