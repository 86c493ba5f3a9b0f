// Original file: src/node/rpc/kofn_node_v1.proto

import type { SignShareResult as _kofn_node_v1_SignShareResult, SignShareResult__Output as _kofn_node_v1_SignShareResult__Output } from '../../../kofn/node/v1/SignShareResult.js';

export interface SignSharesResponse {
  'results'?: (_kofn_node_v1_SignShareResult)[];
}

export interface SignSharesResponse__Output {
  'results': (_kofn_node_v1_SignShareResult__Output)[];
}
