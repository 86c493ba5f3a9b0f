// Original file: src/node/rpc/kofn_node_v1.proto


export interface HealthRequest {
}

export interface HealthRequest__Output {
}
