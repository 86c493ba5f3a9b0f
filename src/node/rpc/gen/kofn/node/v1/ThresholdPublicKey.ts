// Original file: src/node/rpc/kofn_node_v1.proto


export interface ThresholdPublicKey {
  'n'?: (Buffer | Uint8Array | string);
  'e'?: (Buffer | Uint8Array | string);
  'k'?: (number);
  'l'?: (number);
  'v'?: (Buffer | Uint8Array | string);
  'vks'?: (Buffer | Uint8Array | string)[];
}

export interface ThresholdPublicKey__Output {
  'n': (Buffer);
  'e': (Buffer);
  'k': (number);
  'l': (number);
  'v': (Buffer);
  'vks': (Buffer)[];
}
