// Original file: src/node/rpc/kofn_node_v1.proto

import type { SignShareRequest as _kofn_node_v1_SignShareRequest, SignShareRequest__Output as _kofn_node_v1_SignShareRequest__Output } from '../../../kofn/node/v1/SignShareRequest.js';

/**
 * Revision 3. `id` is the client's: unique among its items in flight on this stream.
 */
export interface SignStreamRequest {
  'id'?: (number);
  'item'?: (_kofn_node_v1_SignShareRequest | null);
}

/**
 * Revision 3. `id` is the client's: unique among its items in flight on this stream.
 */
export interface SignStreamRequest__Output {
  'id': (number);
  'item': (_kofn_node_v1_SignShareRequest__Output | null);
}
