// Original file: src/node/rpc/kofn_node_v1.proto

import type { ShareInfo as _kofn_node_v1_ShareInfo, ShareInfo__Output as _kofn_node_v1_ShareInfo__Output } from '../../../kofn/node/v1/ShareInfo.js';

export interface ListSharesResponse {
  'shares'?: (_kofn_node_v1_ShareInfo)[];
}

export interface ListSharesResponse__Output {
  'shares': (_kofn_node_v1_ShareInfo__Output)[];
}
