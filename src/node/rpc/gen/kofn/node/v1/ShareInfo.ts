// Original file: src/node/rpc/kofn_node_v1.proto

import type { Long } from '@grpc/proto-loader';

export interface ShareInfo {
  'key_id'?: (string);
  'index'?: (number);
  'k'?: (number);
  'l'?: (number);
  'bits'?: (number);
  'vk_fingerprint'?: (string);
  'installed_by'?: (string);
  'installed_at_ms'?: (number | string | Long);
}

export interface ShareInfo__Output {
  'key_id': (string);
  'index': (number);
  'k': (number);
  'l': (number);
  'bits': (number);
  'vk_fingerprint': (string);
  'installed_by': (string);
  'installed_at_ms': (string);
}
