/** Which roles may call which RPC: one table, checked before any request is looked at. */
import type { Role } from '../../pki/index.js';
import type { RpcName } from './schema.js';

export const RPC_ROLES: Readonly<Record<RpcName, readonly Role[]>> = {
  InstallShare: ['ceremony', 'dealer'],
  SignShare: ['coordinator'],
  SignShares: ['coordinator'],
  SignStream: ['coordinator'],
  DeleteShare: ['ceremony', 'dealer'],
  ListShares: ['auditor'],
  ProveShare: ['auditor'],
  ReadAuditLog: ['auditor'],
  Health: ['node', 'coordinator', 'dealer', 'ceremony', 'auditor'],
};

export function mayCall(roles: readonly Role[], rpc: RpcName): boolean {
  return roles.some((r) => RPC_ROLES[rpc].includes(r));
}
