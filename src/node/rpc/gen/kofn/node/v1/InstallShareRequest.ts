// Original file: src/node/rpc/kofn_node_v1.proto

import type { ThresholdPublicKey as _kofn_node_v1_ThresholdPublicKey, ThresholdPublicKey__Output as _kofn_node_v1_ThresholdPublicKey__Output } from '../../../kofn/node/v1/ThresholdPublicKey.js';
import type { SealedShare as _kofn_node_v1_SealedShare, SealedShare__Output as _kofn_node_v1_SealedShare__Output } from '../../../kofn/node/v1/SealedShare.js';

export interface InstallShareRequest {
  'key_id'?: (string);
  'index'?: (number);
  'public_key'?: (_kofn_node_v1_ThresholdPublicKey | null);
  'sealed'?: (_kofn_node_v1_SealedShare | null);
}

export interface InstallShareRequest__Output {
  'key_id': (string);
  'index': (number);
  'public_key': (_kofn_node_v1_ThresholdPublicKey__Output | null);
  'sealed': (_kofn_node_v1_SealedShare__Output | null);
}
