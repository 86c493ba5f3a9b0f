// Original file: src/node/rpc/kofn_node_v1.proto


export interface DeleteShareRequest {
  'key_id'?: (string);
}

export interface DeleteShareRequest__Output {
  'key_id': (string);
}
