// Original file: src/node/rpc/kofn_node_v1.proto

import type { SignShareRequest as _kofn_node_v1_SignShareRequest, SignShareRequest__Output as _kofn_node_v1_SignShareRequest__Output } from '../../../kofn/node/v1/SignShareRequest.js';

export interface SignSharesRequest {
  'items'?: (_kofn_node_v1_SignShareRequest)[];
}

export interface SignSharesRequest__Output {
  'items': (_kofn_node_v1_SignShareRequest__Output)[];
}
