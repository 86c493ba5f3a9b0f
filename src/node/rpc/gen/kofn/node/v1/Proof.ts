// Original file: src/node/rpc/kofn_node_v1.proto


export interface Proof {
  'c'?: (Buffer | Uint8Array | string);
  'z'?: (Buffer | Uint8Array | string);
}

export interface Proof__Output {
  'c': (Buffer);
  'z': (Buffer);
}
