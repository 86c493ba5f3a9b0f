// Original file: src/node/rpc/kofn_node_v1.proto


export interface InstallShareResponse {
  'already_installed'?: (boolean);
  'vk_fingerprint'?: (string);
}

export interface InstallShareResponse__Output {
  'already_installed': (boolean);
  'vk_fingerprint': (string);
}
