// Original file: src/node/rpc/kofn_node_v1.proto


export interface ProveShareRequest {
  'key_id'?: (string);
  'challenge'?: (Buffer | Uint8Array | string);
}

export interface ProveShareRequest__Output {
  'key_id': (string);
  'challenge': (Buffer);
}
