// Original file: src/node/rpc/kofn_node_v1.proto

import type { AuditLogEntry as _kofn_node_v1_AuditLogEntry, AuditLogEntry__Output as _kofn_node_v1_AuditLogEntry__Output } from '../../../kofn/node/v1/AuditLogEntry.js';
import type { AuditHead as _kofn_node_v1_AuditHead, AuditHead__Output as _kofn_node_v1_AuditHead__Output } from '../../../kofn/node/v1/AuditHead.js';

export interface ReadAuditLogResponse {
  'entries'?: (_kofn_node_v1_AuditLogEntry)[];
  /**
   * Entries after the last one returned exist.
   */
  'more'?: (boolean);
  'head'?: (_kofn_node_v1_AuditHead | null);
}

export interface ReadAuditLogResponse__Output {
  'entries': (_kofn_node_v1_AuditLogEntry__Output)[];
  /**
   * Entries after the last one returned exist.
   */
  'more': (boolean);
  'head': (_kofn_node_v1_AuditHead__Output | null);
}
