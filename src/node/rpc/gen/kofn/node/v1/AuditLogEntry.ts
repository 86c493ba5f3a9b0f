// Original file: src/node/rpc/kofn_node_v1.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One audit entry with every column the hash covers, so the client recomputes the chain.
 */
export interface AuditLogEntry {
  'seq'?: (number | string | Long);
  'at_ms'?: (number | string | Long);
  'caller'?: (string);
  'rpc'?: (string);
  'key_id'?: (string);
  'input_sha256'?: (string);
  'outcome'?: (string);
  'prev_hash'?: (Buffer | Uint8Array | string);
  'hash'?: (Buffer | Uint8Array | string);
}

/**
 * One audit entry with every column the hash covers, so the client recomputes the chain.
 */
export interface AuditLogEntry__Output {
  'seq': (string);
  'at_ms': (string);
  'caller': (string);
  'rpc': (string);
  'key_id': (string);
  'input_sha256': (string);
  'outcome': (string);
  'prev_hash': (Buffer);
  'hash': (Buffer);
}
