/**
 * kofn audit node-log: each node's request log, fetched page by page over mutual TLS with the
 * auditor certificate and checked here: the hash chain from the first entry, and the head the node
 * signed with its own certificate's key (docs/node-protocol.md, ReadAuditLog).
 */
import { NodeClients } from '../../cluster/clients.js';
import type { Cluster } from '../../cluster/cluster-file.js';
import { errorText } from '../../coordinator/coordinator.js';
import { verifyFetchedLog } from '../../node/audit-chain.js';
import type { AuditHead__Output, AuditLogEntry__Output } from '../../node/rpc/schema.js';

const PAGE = 1000;

export interface NodeLogAudit {
  node: string;
  status: 'ok' | 'broken' | 'incomplete' | 'unreachable';
  entries: number;
  head?: { seq: number; hash: string; signed: boolean };
  detail: string;
}

async function audit(clients: NodeClients, ep: Cluster['endpoints'][number], timeoutMs: number):
Promise<NodeLogAudit> {
  const entries: AuditLogEntry__Output[] = [];
  let head: AuditHead__Output | undefined;
  try {
    const c = clients.get(ep.id);
    for (let after = 0; ;) {
      const r = await c.readAuditLog(after, PAGE, timeoutMs);
      entries.push(...r.entries);
      head = r.head ?? undefined;
      const last = r.entries.at(-1);
      if (!r.more || last === undefined) break;
      after = Number(last.seq);
    }
  } catch (err) {
    return { node: ep.id, status: 'unreachable', entries: 0, detail: errorText(err) };
  }
  const v = verifyFetchedLog(entries, head, ep.certPem);
  if (!v.ok) return { node: ep.id, status: 'broken', entries: v.entries, detail: `at seq ${v.firstBadSeq}: ${v.reason}` };
  const h = v.head && { seq: v.head.seq, hash: v.head.hash, signed: v.head.signed };
  if (v.head === undefined || !v.head.reached) {
    return { node: ep.id, status: 'incomplete', entries: v.entries, ...(h ? { head: h } : {}),
      detail: 'the entries read do not reach the head the node signed' };
  }
  return { node: ep.id, status: 'ok', entries: v.entries, ...(h ? { head: h } : {}),
    detail: `head #${v.head.seq} ${v.head.hash.slice(0, 16)}…${v.head.signed ? ', signed by the node' : ''}` };
}

export async function auditNodeLogs(cluster: Cluster, only?: string, timeoutMs = 10_000): Promise<NodeLogAudit[]> {
  const clients = new NodeClients(cluster, 'auditor');
  try {
    return await Promise.all(cluster.endpoints.filter((e) => only === undefined || e.id === only)
      .map((ep) => audit(clients, ep, timeoutMs)));
  } finally {
    clients.close();
  }
}
