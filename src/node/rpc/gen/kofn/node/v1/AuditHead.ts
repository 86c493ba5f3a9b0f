// Original file: src/node/rpc/kofn_node_v1.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The newest committed entry when the page was read. signature: ECDSA P-256 (DER, node TLS key)
 * over "kofn/audit-head/v1" 0x00 u64(seq) hash node_id.
 */
export interface AuditHead {
  'seq'?: (number | string | Long);
  'hash'?: (Buffer | Uint8Array | string);
  'at_ms'?: (number | string | Long);
  'signature'?: (Buffer | Uint8Array | string);
}

/**
 * The newest committed entry when the page was read. signature: ECDSA P-256 (DER, node TLS key)
 * over "kofn/audit-head/v1" 0x00 u64(seq) hash node_id.
 */
export interface AuditHead__Output {
  'seq': (string);
  'hash': (Buffer);
  'at_ms': (string);
  'signature': (Buffer);
}
