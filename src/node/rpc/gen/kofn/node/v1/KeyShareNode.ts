// Original file: src/node/rpc/kofn_node_v1.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeleteShareRequest as _kofn_node_v1_DeleteShareRequest, DeleteShareRequest__Output as _kofn_node_v1_DeleteShareRequest__Output } from '../../../kofn/node/v1/DeleteShareRequest.js';
import type { DeleteShareResponse as _kofn_node_v1_DeleteShareResponse, DeleteShareResponse__Output as _kofn_node_v1_DeleteShareResponse__Output } from '../../../kofn/node/v1/DeleteShareResponse.js';
import type { HealthRequest as _kofn_node_v1_HealthRequest, HealthRequest__Output as _kofn_node_v1_HealthRequest__Output } from '../../../kofn/node/v1/HealthRequest.js';
import type { HealthResponse as _kofn_node_v1_HealthResponse, HealthResponse__Output as _kofn_node_v1_HealthResponse__Output } from '../../../kofn/node/v1/HealthResponse.js';
import type { InstallShareRequest as _kofn_node_v1_InstallShareRequest, InstallShareRequest__Output as _kofn_node_v1_InstallShareRequest__Output } from '../../../kofn/node/v1/InstallShareRequest.js';
import type { InstallShareResponse as _kofn_node_v1_InstallShareResponse, InstallShareResponse__Output as _kofn_node_v1_InstallShareResponse__Output } from '../../../kofn/node/v1/InstallShareResponse.js';
import type { ListSharesRequest as _kofn_node_v1_ListSharesRequest, ListSharesRequest__Output as _kofn_node_v1_ListSharesRequest__Output } from '../../../kofn/node/v1/ListSharesRequest.js';
import type { ListSharesResponse as _kofn_node_v1_ListSharesResponse, ListSharesResponse__Output as _kofn_node_v1_ListSharesResponse__Output } from '../../../kofn/node/v1/ListSharesResponse.js';
import type { ProveShareRequest as _kofn_node_v1_ProveShareRequest, ProveShareRequest__Output as _kofn_node_v1_ProveShareRequest__Output } from '../../../kofn/node/v1/ProveShareRequest.js';
import type { ProveShareResponse as _kofn_node_v1_ProveShareResponse, ProveShareResponse__Output as _kofn_node_v1_ProveShareResponse__Output } from '../../../kofn/node/v1/ProveShareResponse.js';
import type { ReadAuditLogRequest as _kofn_node_v1_ReadAuditLogRequest, ReadAuditLogRequest__Output as _kofn_node_v1_ReadAuditLogRequest__Output } from '../../../kofn/node/v1/ReadAuditLogRequest.js';
import type { ReadAuditLogResponse as _kofn_node_v1_ReadAuditLogResponse, ReadAuditLogResponse__Output as _kofn_node_v1_ReadAuditLogResponse__Output } from '../../../kofn/node/v1/ReadAuditLogResponse.js';
import type { SignShareRequest as _kofn_node_v1_SignShareRequest, SignShareRequest__Output as _kofn_node_v1_SignShareRequest__Output } from '../../../kofn/node/v1/SignShareRequest.js';
import type { SignShareResponse as _kofn_node_v1_SignShareResponse, SignShareResponse__Output as _kofn_node_v1_SignShareResponse__Output } from '../../../kofn/node/v1/SignShareResponse.js';
import type { SignSharesRequest as _kofn_node_v1_SignSharesRequest, SignSharesRequest__Output as _kofn_node_v1_SignSharesRequest__Output } from '../../../kofn/node/v1/SignSharesRequest.js';
import type { SignSharesResponse as _kofn_node_v1_SignSharesResponse, SignSharesResponse__Output as _kofn_node_v1_SignSharesResponse__Output } from '../../../kofn/node/v1/SignSharesResponse.js';
import type { SignStreamRequest as _kofn_node_v1_SignStreamRequest, SignStreamRequest__Output as _kofn_node_v1_SignStreamRequest__Output } from '../../../kofn/node/v1/SignStreamRequest.js';
import type { SignStreamResponse as _kofn_node_v1_SignStreamResponse, SignStreamResponse__Output as _kofn_node_v1_SignStreamResponse__Output } from '../../../kofn/node/v1/SignStreamResponse.js';

export interface KeyShareNodeClient extends grpc.Client {
  /**
   * Ceremony, dealer or coordinator role (C_DestroyObject): forget a share.
   */
  DeleteShare(argument: _kofn_node_v1_DeleteShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  DeleteShare(argument: _kofn_node_v1_DeleteShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  DeleteShare(argument: _kofn_node_v1_DeleteShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  DeleteShare(argument: _kofn_node_v1_DeleteShareRequest, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Ceremony, dealer or coordinator role (C_DestroyObject): forget a share.
   */
  deleteShare(argument: _kofn_node_v1_DeleteShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  deleteShare(argument: _kofn_node_v1_DeleteShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  deleteShare(argument: _kofn_node_v1_DeleteShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  deleteShare(argument: _kofn_node_v1_DeleteShareRequest, callback: grpc.requestCallback<_kofn_node_v1_DeleteShareResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Any role.
   */
  Health(argument: _kofn_node_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _kofn_node_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _kofn_node_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _kofn_node_v1_HealthRequest, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Any role.
   */
  health(argument: _kofn_node_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _kofn_node_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _kofn_node_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _kofn_node_v1_HealthRequest, callback: grpc.requestCallback<_kofn_node_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Ceremony or dealer role: store one share, sealed to this node's X25519 key. Idempotent by
   * key id + share index; the node checks the share against v_i before accepting it.
   */
  InstallShare(argument: _kofn_node_v1_InstallShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  InstallShare(argument: _kofn_node_v1_InstallShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  InstallShare(argument: _kofn_node_v1_InstallShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  InstallShare(argument: _kofn_node_v1_InstallShareRequest, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Ceremony or dealer role: store one share, sealed to this node's X25519 key. Idempotent by
   * key id + share index; the node checks the share against v_i before accepting it.
   */
  installShare(argument: _kofn_node_v1_InstallShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  installShare(argument: _kofn_node_v1_InstallShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  installShare(argument: _kofn_node_v1_InstallShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  installShare(argument: _kofn_node_v1_InstallShareRequest, callback: grpc.requestCallback<_kofn_node_v1_InstallShareResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Auditor role: metadata and fingerprints only.
   */
  ListShares(argument: _kofn_node_v1_ListSharesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  ListShares(argument: _kofn_node_v1_ListSharesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  ListShares(argument: _kofn_node_v1_ListSharesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  ListShares(argument: _kofn_node_v1_ListSharesRequest, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Auditor role: metadata and fingerprints only.
   */
  listShares(argument: _kofn_node_v1_ListSharesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  listShares(argument: _kofn_node_v1_ListSharesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  listShares(argument: _kofn_node_v1_ListSharesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  listShares(argument: _kofn_node_v1_ListSharesRequest, callback: grpc.requestCallback<_kofn_node_v1_ListSharesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Auditor role: a share and its proof on a value derived from a fresh challenge.
   */
  ProveShare(argument: _kofn_node_v1_ProveShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  ProveShare(argument: _kofn_node_v1_ProveShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  ProveShare(argument: _kofn_node_v1_ProveShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  ProveShare(argument: _kofn_node_v1_ProveShareRequest, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Auditor role: a share and its proof on a value derived from a fresh challenge.
   */
  proveShare(argument: _kofn_node_v1_ProveShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  proveShare(argument: _kofn_node_v1_ProveShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  proveShare(argument: _kofn_node_v1_ProveShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  proveShare(argument: _kofn_node_v1_ProveShareRequest, callback: grpc.requestCallback<_kofn_node_v1_ProveShareResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Auditor role (revision 2): a page of the hash-chained audit log, and its head signed by the node.
   */
  ReadAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  ReadAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  ReadAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  ReadAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Auditor role (revision 2): a page of the hash-chained audit log, and its head signed by the node.
   */
  readAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  readAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  readAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  readAuditLog(argument: _kofn_node_v1_ReadAuditLogRequest, callback: grpc.requestCallback<_kofn_node_v1_ReadAuditLogResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Coordinator role: x_i = x^(2 Delta s_i) mod n, with a proof when asked.
   */
  SignShare(argument: _kofn_node_v1_SignShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  SignShare(argument: _kofn_node_v1_SignShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  SignShare(argument: _kofn_node_v1_SignShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  SignShare(argument: _kofn_node_v1_SignShareRequest, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Coordinator role: x_i = x^(2 Delta s_i) mod n, with a proof when asked.
   */
  signShare(argument: _kofn_node_v1_SignShareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  signShare(argument: _kofn_node_v1_SignShareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  signShare(argument: _kofn_node_v1_SignShareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  signShare(argument: _kofn_node_v1_SignShareRequest, callback: grpc.requestCallback<_kofn_node_v1_SignShareResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Coordinator role: up to 64 SignShare requests in one call, each answered (or refused) on its
   * own and logged on its own. The coordinator batches what queues up while a node is busy.
   */
  SignShares(argument: _kofn_node_v1_SignSharesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  SignShares(argument: _kofn_node_v1_SignSharesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  SignShares(argument: _kofn_node_v1_SignSharesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  SignShares(argument: _kofn_node_v1_SignSharesRequest, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Coordinator role: up to 64 SignShare requests in one call, each answered (or refused) on its
   * own and logged on its own. The coordinator batches what queues up while a node is busy.
   */
  signShares(argument: _kofn_node_v1_SignSharesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  signShares(argument: _kofn_node_v1_SignSharesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  signShares(argument: _kofn_node_v1_SignSharesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  signShares(argument: _kofn_node_v1_SignSharesRequest, callback: grpc.requestCallback<_kofn_node_v1_SignSharesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Coordinator role (revision 3): SignShare requests on one long-lived stream. Each item carries
   * an id chosen by the client; its result comes back with that id, in completion order, and each
   * item is logged on its own. Access is checked when the stream opens and again for every item.
   */
  SignStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_kofn_node_v1_SignStreamRequest, _kofn_node_v1_SignStreamResponse__Output>;
  SignStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_kofn_node_v1_SignStreamRequest, _kofn_node_v1_SignStreamResponse__Output>;
  /**
   * Coordinator role (revision 3): SignShare requests on one long-lived stream. Each item carries
   * an id chosen by the client; its result comes back with that id, in completion order, and each
   * item is logged on its own. Access is checked when the stream opens and again for every item.
   */
  signStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_kofn_node_v1_SignStreamRequest, _kofn_node_v1_SignStreamResponse__Output>;
  signStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_kofn_node_v1_SignStreamRequest, _kofn_node_v1_SignStreamResponse__Output>;
  
}

export interface KeyShareNodeHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Ceremony, dealer or coordinator role (C_DestroyObject): forget a share.
   */
  DeleteShare: grpc.handleUnaryCall<_kofn_node_v1_DeleteShareRequest__Output, _kofn_node_v1_DeleteShareResponse>;
  
  /**
   * Any role.
   */
  Health: grpc.handleUnaryCall<_kofn_node_v1_HealthRequest__Output, _kofn_node_v1_HealthResponse>;
  
  /**
   * Ceremony or dealer role: store one share, sealed to this node's X25519 key. Idempotent by
   * key id + share index; the node checks the share against v_i before accepting it.
   */
  InstallShare: grpc.handleUnaryCall<_kofn_node_v1_InstallShareRequest__Output, _kofn_node_v1_InstallShareResponse>;
  
  /**
   * Auditor role: metadata and fingerprints only.
   */
  ListShares: grpc.handleUnaryCall<_kofn_node_v1_ListSharesRequest__Output, _kofn_node_v1_ListSharesResponse>;
  
  /**
   * Auditor role: a share and its proof on a value derived from a fresh challenge.
   */
  ProveShare: grpc.handleUnaryCall<_kofn_node_v1_ProveShareRequest__Output, _kofn_node_v1_ProveShareResponse>;
  
  /**
   * Auditor role (revision 2): a page of the hash-chained audit log, and its head signed by the node.
   */
  ReadAuditLog: grpc.handleUnaryCall<_kofn_node_v1_ReadAuditLogRequest__Output, _kofn_node_v1_ReadAuditLogResponse>;
  
  /**
   * Coordinator role: x_i = x^(2 Delta s_i) mod n, with a proof when asked.
   */
  SignShare: grpc.handleUnaryCall<_kofn_node_v1_SignShareRequest__Output, _kofn_node_v1_SignShareResponse>;
  
  /**
   * Coordinator role: up to 64 SignShare requests in one call, each answered (or refused) on its
   * own and logged on its own. The coordinator batches what queues up while a node is busy.
   */
  SignShares: grpc.handleUnaryCall<_kofn_node_v1_SignSharesRequest__Output, _kofn_node_v1_SignSharesResponse>;
  
  /**
   * Coordinator role (revision 3): SignShare requests on one long-lived stream. Each item carries
   * an id chosen by the client; its result comes back with that id, in completion order, and each
   * item is logged on its own. Access is checked when the stream opens and again for every item.
   */
  SignStream: grpc.handleBidiStreamingCall<_kofn_node_v1_SignStreamRequest__Output, _kofn_node_v1_SignStreamResponse>;
  
}

export interface KeyShareNodeDefinition extends grpc.ServiceDefinition {
  DeleteShare: MethodDefinition<_kofn_node_v1_DeleteShareRequest, _kofn_node_v1_DeleteShareResponse, _kofn_node_v1_DeleteShareRequest__Output, _kofn_node_v1_DeleteShareResponse__Output>
  Health: MethodDefinition<_kofn_node_v1_HealthRequest, _kofn_node_v1_HealthResponse, _kofn_node_v1_HealthRequest__Output, _kofn_node_v1_HealthResponse__Output>
  InstallShare: MethodDefinition<_kofn_node_v1_InstallShareRequest, _kofn_node_v1_InstallShareResponse, _kofn_node_v1_InstallShareRequest__Output, _kofn_node_v1_InstallShareResponse__Output>
  ListShares: MethodDefinition<_kofn_node_v1_ListSharesRequest, _kofn_node_v1_ListSharesResponse, _kofn_node_v1_ListSharesRequest__Output, _kofn_node_v1_ListSharesResponse__Output>
  ProveShare: MethodDefinition<_kofn_node_v1_ProveShareRequest, _kofn_node_v1_ProveShareResponse, _kofn_node_v1_ProveShareRequest__Output, _kofn_node_v1_ProveShareResponse__Output>
  ReadAuditLog: MethodDefinition<_kofn_node_v1_ReadAuditLogRequest, _kofn_node_v1_ReadAuditLogResponse, _kofn_node_v1_ReadAuditLogRequest__Output, _kofn_node_v1_ReadAuditLogResponse__Output>
  SignShare: MethodDefinition<_kofn_node_v1_SignShareRequest, _kofn_node_v1_SignShareResponse, _kofn_node_v1_SignShareRequest__Output, _kofn_node_v1_SignShareResponse__Output>
  SignShares: MethodDefinition<_kofn_node_v1_SignSharesRequest, _kofn_node_v1_SignSharesResponse, _kofn_node_v1_SignSharesRequest__Output, _kofn_node_v1_SignSharesResponse__Output>
  SignStream: MethodDefinition<_kofn_node_v1_SignStreamRequest, _kofn_node_v1_SignStreamResponse, _kofn_node_v1_SignStreamRequest__Output, _kofn_node_v1_SignStreamResponse__Output>
}
