// Original file: src/node/rpc/kofn_node_v1.proto


export interface InstallShareResponse {
  'already_installed'?: (boolean);
  'vk_fingerprint'?: (string);
  /**
   * Revision 2: UTF-8 JSON describing what was installed (fixed key order), and the node's ECDSA
   * P-256 signature (DER, by its TLS key) over "kofn/install-receipt/v1" 0x00 receipt.
   */
  'receipt'?: (Buffer | Uint8Array | string);
  'receipt_signature'?: (Buffer | Uint8Array | string);
}

export interface InstallShareResponse__Output {
  'already_installed': (boolean);
  'vk_fingerprint': (string);
  /**
   * Revision 2: UTF-8 JSON describing what was installed (fixed key order), and the node's ECDSA
   * P-256 signature (DER, by its TLS key) over "kofn/install-receipt/v1" 0x00 receipt.
   */
  'receipt': (Buffer);
  'receipt_signature': (Buffer);
}
