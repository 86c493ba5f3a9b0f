// Original file: src/node/rpc/kofn_node_v1.proto


export interface SignShareRequest {
  'key_id'?: (string);
  'x'?: (Buffer | Uint8Array | string);
  'with_proof'?: (boolean);
}

export interface SignShareRequest__Output {
  'key_id': (string);
  'x': (Buffer);
  'with_proof': (boolean);
}
