// Original file: src/node/rpc/kofn_node_v1.proto

import type { Proof as _kofn_node_v1_Proof, Proof__Output as _kofn_node_v1_Proof__Output } from '../../../kofn/node/v1/Proof.js';

export interface SignShareResponse {
  'index'?: (number);
  'xi'?: (Buffer | Uint8Array | string);
  'proof'?: (_kofn_node_v1_Proof | null);
}

export interface SignShareResponse__Output {
  'index': (number);
  'xi': (Buffer);
  'proof': (_kofn_node_v1_Proof__Output | null);
}
