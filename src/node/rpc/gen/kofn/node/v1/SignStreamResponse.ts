// Original file: src/node/rpc/kofn_node_v1.proto

import type { SignShareResult as _kofn_node_v1_SignShareResult, SignShareResult__Output as _kofn_node_v1_SignShareResult__Output } from '../../../kofn/node/v1/SignShareResult.js';

export interface SignStreamResponse {
  'id'?: (number);
  'result'?: (_kofn_node_v1_SignShareResult | null);
}

export interface SignStreamResponse__Output {
  'id': (number);
  'result': (_kofn_node_v1_SignShareResult__Output | null);
}
