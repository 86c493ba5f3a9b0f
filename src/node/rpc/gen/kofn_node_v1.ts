import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuditHead as _kofn_node_v1_AuditHead, AuditHead__Output as _kofn_node_v1_AuditHead__Output } from './kofn/node/v1/AuditHead.js';
import type { AuditLogEntry as _kofn_node_v1_AuditLogEntry, AuditLogEntry__Output as _kofn_node_v1_AuditLogEntry__Output } from './kofn/node/v1/AuditLogEntry.js';
import type { DeleteShareRequest as _kofn_node_v1_DeleteShareRequest, DeleteShareRequest__Output as _kofn_node_v1_DeleteShareRequest__Output } from './kofn/node/v1/DeleteShareRequest.js';
import type { DeleteShareResponse as _kofn_node_v1_DeleteShareResponse, DeleteShareResponse__Output as _kofn_node_v1_DeleteShareResponse__Output } from './kofn/node/v1/DeleteShareResponse.js';
import type { HealthRequest as _kofn_node_v1_HealthRequest, HealthRequest__Output as _kofn_node_v1_HealthRequest__Output } from './kofn/node/v1/HealthRequest.js';
import type { HealthResponse as _kofn_node_v1_HealthResponse, HealthResponse__Output as _kofn_node_v1_HealthResponse__Output } from './kofn/node/v1/HealthResponse.js';
import type { InstallShareRequest as _kofn_node_v1_InstallShareRequest, InstallShareRequest__Output as _kofn_node_v1_InstallShareRequest__Output } from './kofn/node/v1/InstallShareRequest.js';
import type { InstallShareResponse as _kofn_node_v1_InstallShareResponse, InstallShareResponse__Output as _kofn_node_v1_InstallShareResponse__Output } from './kofn/node/v1/InstallShareResponse.js';
import type { KeyShareNodeClient as _kofn_node_v1_KeyShareNodeClient, KeyShareNodeDefinition as _kofn_node_v1_KeyShareNodeDefinition } from './kofn/node/v1/KeyShareNode.js';
import type { ListSharesRequest as _kofn_node_v1_ListSharesRequest, ListSharesRequest__Output as _kofn_node_v1_ListSharesRequest__Output } from './kofn/node/v1/ListSharesRequest.js';
import type { ListSharesResponse as _kofn_node_v1_ListSharesResponse, ListSharesResponse__Output as _kofn_node_v1_ListSharesResponse__Output } from './kofn/node/v1/ListSharesResponse.js';
import type { Proof as _kofn_node_v1_Proof, Proof__Output as _kofn_node_v1_Proof__Output } from './kofn/node/v1/Proof.js';
import type { ProveShareRequest as _kofn_node_v1_ProveShareRequest, ProveShareRequest__Output as _kofn_node_v1_ProveShareRequest__Output } from './kofn/node/v1/ProveShareRequest.js';
import type { ProveShareResponse as _kofn_node_v1_ProveShareResponse, ProveShareResponse__Output as _kofn_node_v1_ProveShareResponse__Output } from './kofn/node/v1/ProveShareResponse.js';
import type { ReadAuditLogRequest as _kofn_node_v1_ReadAuditLogRequest, ReadAuditLogRequest__Output as _kofn_node_v1_ReadAuditLogRequest__Output } from './kofn/node/v1/ReadAuditLogRequest.js';
import type { ReadAuditLogResponse as _kofn_node_v1_ReadAuditLogResponse, ReadAuditLogResponse__Output as _kofn_node_v1_ReadAuditLogResponse__Output } from './kofn/node/v1/ReadAuditLogResponse.js';
import type { SealedShare as _kofn_node_v1_SealedShare, SealedShare__Output as _kofn_node_v1_SealedShare__Output } from './kofn/node/v1/SealedShare.js';
import type { ShareInfo as _kofn_node_v1_ShareInfo, ShareInfo__Output as _kofn_node_v1_ShareInfo__Output } from './kofn/node/v1/ShareInfo.js';
import type { SignShareRequest as _kofn_node_v1_SignShareRequest, SignShareRequest__Output as _kofn_node_v1_SignShareRequest__Output } from './kofn/node/v1/SignShareRequest.js';
import type { SignShareResponse as _kofn_node_v1_SignShareResponse, SignShareResponse__Output as _kofn_node_v1_SignShareResponse__Output } from './kofn/node/v1/SignShareResponse.js';
import type { SignShareResult as _kofn_node_v1_SignShareResult, SignShareResult__Output as _kofn_node_v1_SignShareResult__Output } from './kofn/node/v1/SignShareResult.js';
import type { SignSharesRequest as _kofn_node_v1_SignSharesRequest, SignSharesRequest__Output as _kofn_node_v1_SignSharesRequest__Output } from './kofn/node/v1/SignSharesRequest.js';
import type { SignSharesResponse as _kofn_node_v1_SignSharesResponse, SignSharesResponse__Output as _kofn_node_v1_SignSharesResponse__Output } from './kofn/node/v1/SignSharesResponse.js';
import type { SignStreamRequest as _kofn_node_v1_SignStreamRequest, SignStreamRequest__Output as _kofn_node_v1_SignStreamRequest__Output } from './kofn/node/v1/SignStreamRequest.js';
import type { SignStreamResponse as _kofn_node_v1_SignStreamResponse, SignStreamResponse__Output as _kofn_node_v1_SignStreamResponse__Output } from './kofn/node/v1/SignStreamResponse.js';
import type { ThresholdPublicKey as _kofn_node_v1_ThresholdPublicKey, ThresholdPublicKey__Output as _kofn_node_v1_ThresholdPublicKey__Output } from './kofn/node/v1/ThresholdPublicKey.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  kofn: {
    node: {
      v1: {
        AuditHead: MessageTypeDefinition<_kofn_node_v1_AuditHead, _kofn_node_v1_AuditHead__Output>
        AuditLogEntry: MessageTypeDefinition<_kofn_node_v1_AuditLogEntry, _kofn_node_v1_AuditLogEntry__Output>
        DeleteShareRequest: MessageTypeDefinition<_kofn_node_v1_DeleteShareRequest, _kofn_node_v1_DeleteShareRequest__Output>
        DeleteShareResponse: MessageTypeDefinition<_kofn_node_v1_DeleteShareResponse, _kofn_node_v1_DeleteShareResponse__Output>
        HealthRequest: MessageTypeDefinition<_kofn_node_v1_HealthRequest, _kofn_node_v1_HealthRequest__Output>
        HealthResponse: MessageTypeDefinition<_kofn_node_v1_HealthResponse, _kofn_node_v1_HealthResponse__Output>
        InstallShareRequest: MessageTypeDefinition<_kofn_node_v1_InstallShareRequest, _kofn_node_v1_InstallShareRequest__Output>
        InstallShareResponse: MessageTypeDefinition<_kofn_node_v1_InstallShareResponse, _kofn_node_v1_InstallShareResponse__Output>
        KeyShareNode: SubtypeConstructor<typeof grpc.Client, _kofn_node_v1_KeyShareNodeClient> & { service: _kofn_node_v1_KeyShareNodeDefinition }
        ListSharesRequest: MessageTypeDefinition<_kofn_node_v1_ListSharesRequest, _kofn_node_v1_ListSharesRequest__Output>
        ListSharesResponse: MessageTypeDefinition<_kofn_node_v1_ListSharesResponse, _kofn_node_v1_ListSharesResponse__Output>
        Proof: MessageTypeDefinition<_kofn_node_v1_Proof, _kofn_node_v1_Proof__Output>
        ProveShareRequest: MessageTypeDefinition<_kofn_node_v1_ProveShareRequest, _kofn_node_v1_ProveShareRequest__Output>
        ProveShareResponse: MessageTypeDefinition<_kofn_node_v1_ProveShareResponse, _kofn_node_v1_ProveShareResponse__Output>
        ReadAuditLogRequest: MessageTypeDefinition<_kofn_node_v1_ReadAuditLogRequest, _kofn_node_v1_ReadAuditLogRequest__Output>
        ReadAuditLogResponse: MessageTypeDefinition<_kofn_node_v1_ReadAuditLogResponse, _kofn_node_v1_ReadAuditLogResponse__Output>
        SealedShare: MessageTypeDefinition<_kofn_node_v1_SealedShare, _kofn_node_v1_SealedShare__Output>
        ShareInfo: MessageTypeDefinition<_kofn_node_v1_ShareInfo, _kofn_node_v1_ShareInfo__Output>
        SignShareRequest: MessageTypeDefinition<_kofn_node_v1_SignShareRequest, _kofn_node_v1_SignShareRequest__Output>
        SignShareResponse: MessageTypeDefinition<_kofn_node_v1_SignShareResponse, _kofn_node_v1_SignShareResponse__Output>
        SignShareResult: MessageTypeDefinition<_kofn_node_v1_SignShareResult, _kofn_node_v1_SignShareResult__Output>
        SignSharesRequest: MessageTypeDefinition<_kofn_node_v1_SignSharesRequest, _kofn_node_v1_SignSharesRequest__Output>
        SignSharesResponse: MessageTypeDefinition<_kofn_node_v1_SignSharesResponse, _kofn_node_v1_SignSharesResponse__Output>
        SignStreamRequest: MessageTypeDefinition<_kofn_node_v1_SignStreamRequest, _kofn_node_v1_SignStreamRequest__Output>
        SignStreamResponse: MessageTypeDefinition<_kofn_node_v1_SignStreamResponse, _kofn_node_v1_SignStreamResponse__Output>
        ThresholdPublicKey: MessageTypeDefinition<_kofn_node_v1_ThresholdPublicKey, _kofn_node_v1_ThresholdPublicKey__Output>
      }
    }
  }
}

