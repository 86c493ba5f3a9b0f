// Original file: src/node/rpc/kofn_node_v1.proto

import type { Proof as _kofn_node_v1_Proof, Proof__Output as _kofn_node_v1_Proof__Output } from '../../../kofn/node/v1/Proof.js';

export interface ProveShareResponse {
  'index'?: (number);
  'x'?: (Buffer | Uint8Array | string);
  'xi'?: (Buffer | Uint8Array | string);
  'proof'?: (_kofn_node_v1_Proof | null);
}

export interface ProveShareResponse__Output {
  'index': (number);
  'x': (Buffer);
  'xi': (Buffer);
  'proof': (_kofn_node_v1_Proof__Output | null);
}
