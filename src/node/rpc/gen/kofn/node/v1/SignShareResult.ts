// Original file: src/node/rpc/kofn_node_v1.proto

import type { SignShareResponse as _kofn_node_v1_SignShareResponse, SignShareResponse__Output as _kofn_node_v1_SignShareResponse__Output } from '../../../kofn/node/v1/SignShareResponse.js';

export interface SignShareResult {
  /**
   * 0 (OK) with `share`, or a gRPC status code with `details`.
   */
  'code'?: (number);
  'details'?: (string);
  'share'?: (_kofn_node_v1_SignShareResponse | null);
}

export interface SignShareResult__Output {
  /**
   * 0 (OK) with `share`, or a gRPC status code with `details`.
   */
  'code': (number);
  'details': (string);
  'share': (_kofn_node_v1_SignShareResponse__Output | null);
}
