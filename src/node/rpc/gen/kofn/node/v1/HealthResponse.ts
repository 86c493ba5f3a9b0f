// Original file: src/node/rpc/kofn_node_v1.proto

import type { Long } from '@grpc/proto-loader';

export interface HealthResponse {
  'node_id'?: (string);
  'protocol_version'?: (number);
  'shares'?: (number);
  'uptime_ms'?: (number | string | Long);
  'in_flight'?: (number);
  /**
   * Revision 2; a node of revision 1 leaves it 0.
   */
  'protocol_revision'?: (number);
}

export interface HealthResponse__Output {
  'node_id': (string);
  'protocol_version': (number);
  'shares': (number);
  'uptime_ms': (string);
  'in_flight': (number);
  /**
   * Revision 2; a node of revision 1 leaves it 0.
   */
  'protocol_revision': (number);
}
