// Original file: src/node/rpc/kofn_node_v1.proto


export interface SealedShare {
  'version'?: (number);
  'ephemeral_public_key'?: (Buffer | Uint8Array | string);
  'nonce'?: (Buffer | Uint8Array | string);
  'ciphertext'?: (Buffer | Uint8Array | string);
}

export interface SealedShare__Output {
  'version': (number);
  'ephemeral_public_key': (Buffer);
  'nonce': (Buffer);
  'ciphertext': (Buffer);
}
