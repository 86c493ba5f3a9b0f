/** The node protocol, loaded from its .proto at run time; types in ./gen come from the same file. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { KeyShareNodeClient as GenClient } from './gen/kofn/node/v1/KeyShareNode.js';

export const PROTOCOL_VERSION = 1;
/**
 * Additions within version 1 (docs/node-protocol.md): 2 brought install receipts and ReadAuditLog,
 * 3 the SignStream RPC.
 */
export const PROTOCOL_REVISION = 3;
export const PROTO_PATH = fileURLToPath(new URL('../../../../src/node/rpc/kofn_node_v1.proto', import.meta.url));

/** Caps every message: the largest legitimate one (an InstallShare for 4096 bits, l = 64) is ~40 KiB. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

const definition = protoLoader.loadSync(PROTO_PATH, {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  bytes: Buffer,
});

interface Loaded {
  kofn: { node: { v1: { KeyShareNode: grpc.ServiceClientConstructor } } };
}
const loaded = grpc.loadPackageDefinition(definition) as unknown as Loaded;

export const KeyShareNodeService = loaded.kofn.node.v1.KeyShareNode.service;
export const KeyShareNodeClient = loaded.kofn.node.v1.KeyShareNode as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => GenClient;
export type KeyShareNodeClient = GenClient;

export const RPC_NAMES = [
  'InstallShare',
  'SignShare',
  'SignShares',
  'SignStream',
  'DeleteShare',
  'ListShares',
  'ProveShare',
  'ReadAuditLog',
  'Health',
] as const;

/** Most SignShare items in one SignShares call. */
export const MAX_BATCH = 64;
/** Most SignStream items one stream may have in flight at a node; more are refused one by one. */
export const MAX_STREAM_IN_FLIGHT = 256;
export type RpcName = (typeof RPC_NAMES)[number];

export type * from './gen/kofn/node/v1/AuditHead.js';
export type * from './gen/kofn/node/v1/AuditLogEntry.js';
export type * from './gen/kofn/node/v1/DeleteShareRequest.js';
export type * from './gen/kofn/node/v1/DeleteShareResponse.js';
export type * from './gen/kofn/node/v1/HealthRequest.js';
export type * from './gen/kofn/node/v1/HealthResponse.js';
export type * from './gen/kofn/node/v1/InstallShareRequest.js';
export type * from './gen/kofn/node/v1/InstallShareResponse.js';
export type * from './gen/kofn/node/v1/ListSharesRequest.js';
export type * from './gen/kofn/node/v1/ListSharesResponse.js';
export type * from './gen/kofn/node/v1/Proof.js';
export type * from './gen/kofn/node/v1/ProveShareRequest.js';
export type * from './gen/kofn/node/v1/ProveShareResponse.js';
export type * from './gen/kofn/node/v1/ReadAuditLogRequest.js';
export type * from './gen/kofn/node/v1/ReadAuditLogResponse.js';
export type * from './gen/kofn/node/v1/SealedShare.js';
export type * from './gen/kofn/node/v1/ShareInfo.js';
export type * from './gen/kofn/node/v1/SignShareRequest.js';
export type * from './gen/kofn/node/v1/SignShareResponse.js';
export type * from './gen/kofn/node/v1/SignShareResult.js';
export type * from './gen/kofn/node/v1/SignSharesRequest.js';
export type * from './gen/kofn/node/v1/SignSharesResponse.js';
export type * from './gen/kofn/node/v1/SignStreamRequest.js';
export type * from './gen/kofn/node/v1/SignStreamResponse.js';
export type * from './gen/kofn/node/v1/ThresholdPublicKey.js';
