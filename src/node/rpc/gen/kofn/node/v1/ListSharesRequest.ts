// Original file: src/node/rpc/kofn_node_v1.proto


export interface ListSharesRequest {
}

export interface ListSharesRequest__Output {
}
