// Original file: src/node/rpc/kofn_node_v1.proto


export interface DeleteShareResponse {
  'deleted'?: (boolean);
}

export interface DeleteShareResponse__Output {
  'deleted': (boolean);
}
