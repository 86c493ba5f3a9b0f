// Original file: src/node/rpc/kofn_node_v1.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadAuditLogRequest {
  /**
   * Entries with seq > after_seq; 0 reads from the start.
   */
  'after_seq'?: (number | string | Long);
  /**
   * 0 means 1000; more than 1000 is read as 1000. A page also ends before it outgrows a message.
   */
  'limit'?: (number);
}

export interface ReadAuditLogRequest__Output {
  /**
   * Entries with seq > after_seq; 0 reads from the start.
   */
  'after_seq': (string);
  /**
   * 0 means 1000; more than 1000 is read as 1000. A page also ends before it outgrows a message.
   */
  'limit': (number);
}
