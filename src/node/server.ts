/**
 * The key-share node's gRPC service. Every call, accepted or refused, is appended to the audit log
 * before its answer leaves; a call that cannot be logged is not answered.
 *
 * Order of checks for every RPC: caller certificate (pinned CA, validity) → role → arguments →
 * the operation. Refusals never carry secret material; shares never leave except as x_i.
 */
import * as grpc from '@grpc/grpc-js';
import { createHash, type KeyObject } from 'node:crypto';
import { type KeyShare as KeyShareType, KeyShare, type SignatureShare, ThresholdError, ThresholdPublicKey } from
  '../threshold/rsa/index.js';
import type { AuditEntry } from './audit.js';
import { entryToMessage, signAuditHead } from './audit-chain.js';
import { EnvelopeError, openShare } from './envelope.js';
import { nodeSigningKey } from './node-signature.js';
import { MAX_CHALLENGE_BYTES, MIN_CHALLENGE_BYTES, proveShareRepresentative } from './prove.js';
import { signReceipt } from './receipt.js';
import { mayCall } from './rpc/authz.js';
import { fromBytes, publicKeyFromMessage, toBytes } from './rpc/convert.js';
import {
  type DeleteShareRequest__Output,
  type DeleteShareResponse,
  type HealthResponse,
  type InstallShareRequest__Output,
  type InstallShareResponse,
  KeyShareNodeService,
  type ListSharesResponse,
  MAX_MESSAGE_BYTES,
  PROTOCOL_REVISION,
  PROTOCOL_VERSION,
  type ProveShareRequest__Output,
  type ProveShareResponse,
  type ReadAuditLogRequest__Output,
  type ReadAuditLogResponse,
  type RpcName,
  MAX_BATCH,
  type SignShareRequest__Output,
  type SignShareResponse,
  type SignSharesRequest__Output,
  type SignSharesResponse,
  MAX_STREAM_IN_FLIGHT,
  type SignShareResult,
  type SignStreamRequest__Output,
  type SignStreamResponse,
} from './rpc/schema.js';
import { type Caller, callerOf, serverCredentials, type TlsMaterial } from './rpc/tls.js';
import { NAME_PATTERN, type NodeStore, NodeStoreError } from './store.js';

/** Key ids are store names: the store's own rule. */
const KEY_ID_PATTERN = NAME_PATTERN;

/** What the server needs from the store. */
export type ShareStore = Pick<
  NodeStore,
  'putShare' | 'getShare' | 'shareInfo' | 'deleteShare' | 'listShares' | 'countShares'
>;

/** What the server needs from the audit log (AuditLog). */
export interface AuditSink {
  append(e: { caller: string; rpc: string; keyId: string; inputSha256: string; outcome: string }): Promise<number>;
  /** The newest committed entry; hash in hex. */
  readonly head: { seq: number; hash: string; at: number };
  /** Committed entries from `fromSeq` on, oldest first. */
  entries(fromSeq: number, limit: number): AuditEntry[];
}

/** ReadAuditLog's page size: the default and the most. */
export const MAX_LOG_PAGE = 1000;
/**
 * What a page's entries may add up to when serialized: entries hold free text (up to 1 KiB per
 * column), so a page full by count can pass MAX_MESSAGE_BYTES; 1 KiB is left for the head.
 */
const MAX_LOG_PAGE_BYTES = MAX_MESSAGE_BYTES - 1024;

/** Per-item audit entries of a call that carries several requests (SignShares). */
type ItemLog = (keyId: string, inputSha256: string, outcome: string) => void;
type Work<Req, Res> = (req: Req, caller: Caller & { ok: true }, items: ItemLog) => Res | Promise<Res>;

const sha256hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const EMPTY_SHA256 = sha256hex(Buffer.alloc(0));

/** A caller turned away, with the label its audit entry carries. */
interface Refusal {
  label: string;
  status: { code: grpc.status; details: string };
}

type SignStreamCall = grpc.ServerDuplexStream<SignStreamRequest__Output, SignStreamResponse>;

/** An open SignStream: its items in flight, and whether it may still take new ones. */
interface OpenStream {
  pending: number;
  /** The client half-closed, or the node is closing: end the stream once `pending` reaches 0. */
  ending: boolean;
  closing: boolean;
  call: SignStreamCall;
}
const outcomeOf = (s: { code: grpc.status; details: string } | undefined) =>
  s ? `${grpc.status[s.code]}: ${s.details}` : 'OK';

export interface NodeServerOptions {
  nodeId: string;
  store: ShareStore;
  audit: AuditSink;
  tls: TlsMaterial;
  /** X25519 private key that opens sealed shares; the server wipes it on close. */
  shareKey: Buffer;
  /** Test seam: rewrites each signature share before it is sent (the lying-node tests). */
  tamper?: (share: SignatureShare) => SignatureShare;
  /** Test seam: serve as a node of protocol revision 2, without SignStream (the fallback tests). */
  revision?: 2;
  log?: (line: string) => void;
}

/** An expected refusal with its gRPC status. */
class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (msg: string) => new RpcError(grpc.status.INVALID_ARGUMENT, msg);

function checkKeyId(keyId: unknown): string {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
    throw invalid('key_id must be 1-128 characters of [A-Za-z0-9._:-]');
  }
  return keyId;
}

function toStatus(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  if (err instanceof ThresholdError) {
    // Threshold errors carry fixed, secret-free messages.
    const code = err.code === 'INVALID_SHARE' ? grpc.status.FAILED_PRECONDITION : grpc.status.INVALID_ARGUMENT;
    return { code, details: err.message };
  }
  if (err instanceof EnvelopeError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof NodeStoreError) {
    if (err.code === 'CONFLICT') return { code: grpc.status.ALREADY_EXISTS, details: err.message };
    if (err.code === 'INVALID') return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
    return { code: grpc.status.INTERNAL, details: `share store: ${err.code}` };
  }
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

export class NodeServer {
  readonly #opts: NodeServerOptions;
  readonly #server: grpc.Server;
  /** Loaded shares (native memory), so that a signature costs one exponentiation, not an import. */
  readonly #cache = new Map<string, KeyShareType>();
  readonly #startedAt = Date.now();
  /** The TLS key, which also signs install receipts and audit heads. */
  readonly #signingKey: KeyObject;
  #inFlight = 0;
  readonly #streams = new Set<OpenStream>();

  constructor(opts: NodeServerOptions) {
    this.#opts = opts;
    this.#signingKey = nodeSigningKey(opts.tls.keyPem, opts.tls.certPem);
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    this.#server.addService(KeyShareNodeService, {
      InstallShare: this.#unary('InstallShare', (r: InstallShareRequest__Output, c) => this.#install(r, c)),
      SignShare: this.#unary('SignShare', (r: SignShareRequest__Output) => this.#sign(r)),
      SignShares: this.#unary('SignShares', (r: SignSharesRequest__Output, _c, items) => this.#signMany(r, items)),
      // Left out, grpc-js answers UNIMPLEMENTED, as a node of revision 2 does.
      ...(opts.revision === 2 ? {} : { SignStream: (call: SignStreamCall) => this.#signStream(call) }),
      DeleteShare: this.#unary('DeleteShare', (r: DeleteShareRequest__Output) => this.#delete(r)),
      ListShares: this.#unary('ListShares', () => this.#list()),
      ProveShare: this.#unary('ProveShare', (r: ProveShareRequest__Output) => this.#prove(r)),
      ReadAuditLog: this.#unary('ReadAuditLog', (r: ReadAuditLogRequest__Output) => this.#readLog(r)),
      Health: this.#unary('Health', () => this.#health()),
    });
  }

  /** Binds and starts; returns the port (useful with port 0). */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, serverCredentials(this.#opts.tls), (err, port) =>
        err ? reject(err) : resolve(port));
    });
  }

  /**
   * Stops accepting calls, lets in-flight ones finish (up to graceMs), wipes loaded shares. Open
   * SignStreams are ended as soon as their items in flight are answered, so that a coordinator's
   * long-lived stream does not hold the shutdown for the whole grace period.
   */
  async close(graceMs = 2000): Promise<void> {
    for (const s of this.#streams) {
      s.closing = true;
      this.#endStreamIfIdle(s);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const s of this.#cache.values()) s.destroy();
    this.#cache.clear();
    this.#opts.shareKey.fill(0);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  #unary<Req, Res>(rpc: RpcName, work: Work<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      void this.#serve(rpc, call, work).then(([status, response]) =>
        status ? callback({ code: status.code, details: status.details }) : callback(null, response));
    };
  }

  async #serve<Req, Res>(
    rpc: RpcName,
    call: grpc.ServerUnaryCall<Req, Res>,
    work: Work<Req, Res>,
  ): Promise<[{ code: grpc.status; details: string } | undefined, Res | undefined]> {
    this.#inFlight++;
    try {
      const caller = callerOf(call, this.#opts.tls.caPem);
      const request = call.request as Record<string, unknown>;
      const keyId = typeof request.key_id === 'string' && KEY_ID_PATTERN.test(request.key_id) ? request.key_id : '';
      const inputSha256 = sha256hex(KeyShareNodeService[rpc]?.requestSerialize(call.request) ?? Buffer.alloc(0));
      let status: { code: grpc.status; details: string } | undefined;
      let response: Res | undefined;
      const itemEntries: { keyId: string; inputSha256: string; outcome: string }[] = [];
      const allowed = this.#authorize(caller, rpc);
      if ('status' in allowed) {
        status = allowed.status;
      } else {
        try {
          const log: ItemLog = (k, h, o) => itemEntries.push({ keyId: k, inputSha256: h, outcome: o });
          response = await work(call.request, allowed, log);
        } catch (err) {
          status = toStatus(err);
          if (status.code === grpc.status.INTERNAL) this.#log(`${rpc} failed: ${(err as Error).name}`);
        }
      }
      // A call that answers several requests is logged once per request; otherwise once.
      const entries = status !== undefined || itemEntries.length === 0
        ? [{ keyId, inputSha256, outcome: outcomeOf(status) }]
        : itemEntries;
      try {
        await Promise.all(entries.map((e) => this.#opts.audit.append({ caller: caller.label, rpc, ...e })));
      } catch {
        this.#log(`${rpc}: audit log append failed; call not answered`);
        return [{ code: grpc.status.UNAVAILABLE, details: 'audit log unavailable' }, undefined];
      }
      return [status, response];
    } finally {
      this.#inFlight--;
    }
  }

  /**
   * SignStream (revision 3): the caller is checked when the stream opens (a refusal ends it with
   * its status and one audit entry) and again for every item, so a certificate that expires while
   * the stream is open stops being served. Each item is a SignShare: computed, logged on its own,
   * then answered under the client's id.
   */
  #signStream(call: SignStreamCall): void {
    const opened = this.#authorize(callerOf(call, this.#opts.tls.caPem), 'SignStream');
    if ('status' in opened) {
      void this.#opts.audit
        .append({ caller: opened.label, rpc: 'SignStream', keyId: '', inputSha256: EMPTY_SHA256,
          outcome: outcomeOf(opened.status) })
        .then(
          () => call.emit('error', opened.status),
          () => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'audit log unavailable' }),
        );
      return;
    }
    const stream: OpenStream = { pending: 0, ending: false, closing: false, call };
    this.#streams.add(stream);
    call.on('data', (msg: SignStreamRequest__Output) => void this.#streamItem(stream, msg));
    call.on('end', () => {
      stream.ending = true;
      this.#endStreamIfIdle(stream);
    });
    // A cancelled or broken stream: nothing more can be written; items in flight finish and are logged.
    call.on('cancelled', () => this.#streams.delete(stream));
    call.on('error', () => this.#streams.delete(stream));
  }

  async #streamItem(stream: OpenStream, msg: SignStreamRequest__Output): Promise<void> {
    const { call } = stream;
    stream.pending++;
    this.#inFlight++;
    try {
      const caller = callerOf(call, this.#opts.tls.caPem);
      const allowed = this.#authorize(caller, 'SignStream');
      let refused: { code: grpc.status; details: string } | undefined;
      if ('status' in allowed) refused = allowed.status;
      else if (stream.closing) refused = { code: grpc.status.UNAVAILABLE, details: 'the node is shutting down' };
      else if (stream.pending > MAX_STREAM_IN_FLIGHT) {
        refused = {
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: `more than ${MAX_STREAM_IN_FLIGHT} items in flight on one stream`,
        };
      }
      const signed = await this.#signItem(msg.item, refused);
      let result = signed.result;
      try {
        await this.#opts.audit.append({
          caller: caller.label, rpc: 'SignStream', keyId: signed.keyId, inputSha256: signed.input, outcome: signed.outcome,
        });
      } catch {
        this.#log('SignStream: audit log append failed; item not answered');
        result = { code: grpc.status.UNAVAILABLE, details: 'audit log unavailable', share: null };
      }
      if (this.#streams.has(stream)) call.write({ id: msg.id, result });
    } finally {
      stream.pending--;
      this.#inFlight--;
      this.#endStreamIfIdle(stream);
    }
  }

  #endStreamIfIdle(stream: OpenStream): void {
    if ((stream.ending || stream.closing) && stream.pending === 0 && this.#streams.delete(stream)) stream.call.end();
  }

  /** The certificate and role checks every call starts with: the caller who may go on, or the refusal. */
  #authorize(caller: Caller, rpc: RpcName): Refusal | (Caller & { ok: true }) {
    if (!caller.ok) {
      return {
        label: caller.label,
        status: { code: grpc.status.UNAUTHENTICATED, details: `client certificate refused: ${caller.message}` },
      };
    }
    if (!mayCall(caller.roles, rpc)) {
      return {
        label: caller.label,
        status: {
          code: grpc.status.PERMISSION_DENIED,
          details: `${caller.identity} with role ${caller.roles.join(',')} may not call ${rpc}`,
        },
      };
    }
    return caller;
  }

  #log(line: string): void {
    (this.#opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`node ${this.#opts.nodeId}: ${line}`);
  }

  /** The loaded share for keyId, importing (and checking against v_i) on first use. */
  #share(keyId: string): KeyShareType {
    const cached = this.#cache.get(keyId);
    if (cached) return cached;
    const stored = this.#opts.store.getShare(keyId);
    if (stored === undefined) throw new RpcError(grpc.status.NOT_FOUND, `no share for key ${keyId}`);
    const pub = ThresholdPublicKey.fromJSON(JSON.parse(stored.publicKey) as Parameters<
      typeof ThresholdPublicKey.fromJSON
    >[0]);
    const share = KeyShare.import(pub, stored.index, stored.share); // zeroes stored.share
    this.#cache.set(keyId, share);
    return share;
  }

  #install(req: InstallShareRequest__Output, caller: Caller & { ok: true }): InstallShareResponse {
    const keyId = checkKeyId(req.key_id);
    const pub = publicKeyFromMessage(req.public_key);
    const index = req.index;
    if (!Number.isInteger(index) || index < 1 || index > pub.l) throw invalid(`index must be 1..${pub.l}`);
    const sealed = req.sealed;
    if (sealed === null) throw invalid('sealed share missing');
    if (sealed.version !== 1) throw invalid(`sealed share version ${sealed.version} is not supported`);
    const bytes = openShare({
      privateKey: this.#opts.shareKey,
      keyId,
      index,
      sealed: {
        version: 1,
        ephemeralPublicKey: sealed.ephemeral_public_key,
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
      },
    });
    try {
      // Checks v^{s_i} = v_i before anything is stored.
      const share = KeyShare.import(pub, index, Buffer.from(bytes));
      const vkFingerprint = pub.verificationKeyFingerprint(index);
      const result = this.#opts.store.putShare({
        keyId,
        index,
        publicKey: JSON.stringify(pub.toJSON()),
        vkFingerprint,
        share: bytes,
        installedBy: caller.identity,
      });
      if (this.#cache.has(keyId)) share.destroy();
      else this.#cache.set(keyId, share);
      // Read back in the same turn as the insert: for a repeated install, the original time.
      const stored = this.#opts.store.shareInfo(keyId);
      if (stored === undefined) throw new RpcError(grpc.status.INTERNAL, 'installed share not found');
      const alreadyInstalled = result === 'already-installed';
      const { receipt, signature } = signReceipt({
        node: this.#opts.nodeId,
        keyId,
        index,
        vkFingerprint,
        publicKeyFingerprint: pub.fingerprint(),
        installedAt: new Date(stored.installedAt).toISOString(),
        alreadyInstalled,
        requestedBy: caller.identity,
      }, this.#signingKey);
      return {
        already_installed: alreadyInstalled,
        vk_fingerprint: vkFingerprint,
        receipt,
        receipt_signature: signature,
      };
    } finally {
      bytes.fill(0);
    }
  }

  async #sign(req: SignShareRequest__Output): Promise<SignShareResponse> {
    const keyId = checkKeyId(req.key_id);
    if (req.x.length === 0 || req.x.length > 1024) throw invalid('x must be 1..1024 bytes');
    const share = this.#share(keyId);
    const x = fromBytes(req.x);
    let s = req.with_proof ? await share.signWithProofAsync(x) : await share.signAsync(x);
    if (this.#opts.tamper) s = this.#opts.tamper(s);
    return {
      index: s.index,
      xi: toBytes(s.xi),
      proof: s.proof ? { c: toBytes(s.proof.c), z: toBytes(s.proof.z) } : null,
    };
  }

  /** Each item is its own SignShare: computed in parallel, answered and logged on its own. */
  async #signMany(req: SignSharesRequest__Output, items: ItemLog): Promise<SignSharesResponse> {
    if (req.items.length === 0 || req.items.length > MAX_BATCH) throw invalid(`items must number 1..${MAX_BATCH}`);
    const results = await Promise.all(
      req.items.map(async (item) => {
        const r = await this.#signItem(item);
        items(r.keyId, r.input, r.outcome);
        return r.result;
      }),
    );
    return { results };
  }

  /**
   * One SignShare item of SignShares or SignStream, answered as a result rather than thrown, with
   * what its audit entry records: the key id (empty if malformed), the SHA-256 of the serialized
   * item and the outcome. `refused` answers it without looking at it.
   */
  async #signItem(
    item: SignShareRequest__Output | null,
    refused?: { code: grpc.status; details: string },
  ): Promise<{ keyId: string; input: string; outcome: string; result: SignShareResult }> {
    const keyId = item !== null && KEY_ID_PATTERN.test(item.key_id) ? item.key_id : '';
    const serialize = KeyShareNodeService.SignShare?.requestSerialize;
    const input = item !== null && serialize ? sha256hex(serialize(item)) : EMPTY_SHA256;
    let status = refused;
    if (status === undefined && item !== null) {
      try {
        const share = await this.#sign(item);
        return { keyId, input, outcome: 'OK', result: { code: grpc.status.OK, details: '', share } };
      } catch (err) {
        status = toStatus(err);
        if (status.code === grpc.status.INTERNAL) this.#log(`SignShare item failed: ${(err as Error).name}`);
      }
    }
    // Neither refused nor signed: the item was missing.
    const { code, details } = status ?? { code: grpc.status.INVALID_ARGUMENT, details: 'item missing' };
    return { keyId, input, outcome: outcomeOf({ code, details }), result: { code, details, share: null } };
  }

  #delete(req: DeleteShareRequest__Output): DeleteShareResponse {
    const keyId = checkKeyId(req.key_id);
    this.#cache.get(keyId)?.destroy();
    this.#cache.delete(keyId);
    return { deleted: this.#opts.store.deleteShare(keyId) };
  }

  #list(): ListSharesResponse {
    return {
      shares: this.#opts.store.listShares().map((s) => {
        const pub = JSON.parse(s.publicKey) as { k: number; l: number; n: string };
        return {
          key_id: s.keyId,
          index: s.index,
          k: pub.k,
          l: pub.l,
          bits: BigInt(`0x${pub.n}`).toString(2).length,
          vk_fingerprint: s.vkFingerprint,
          installed_by: s.installedBy,
          installed_at_ms: String(s.installedAt),
        };
      }),
    };
  }

  async #prove(req: ProveShareRequest__Output): Promise<ProveShareResponse> {
    const keyId = checkKeyId(req.key_id);
    const challenge = req.challenge;
    if (challenge.length < MIN_CHALLENGE_BYTES || challenge.length > MAX_CHALLENGE_BYTES) {
      throw invalid(`challenge must be ${MIN_CHALLENGE_BYTES}..${MAX_CHALLENGE_BYTES} bytes`);
    }
    const share = this.#share(keyId);
    const x = proveShareRepresentative(share.publicKey, keyId, challenge);
    const s = await share.signWithProofAsync(x);
    if (s.proof === undefined) throw new RpcError(grpc.status.INTERNAL, 'proof missing');
    return {
      index: s.index,
      x: toBytes(x),
      xi: toBytes(s.xi),
      proof: { c: toBytes(s.proof.c), z: toBytes(s.proof.z) },
    };
  }

  #readLog(req: ReadAuditLogRequest__Output): ReadAuditLogResponse {
    if (!/^[0-9]{1,20}$/.test(req.after_seq)) throw invalid('after_seq must be an unsigned integer');
    const { entries, more, head } = auditLogPage(this.#opts.audit, BigInt(req.after_seq), req.limit);
    const hash = Buffer.from(head.hash, 'hex');
    const signature = signAuditHead(head.seq, hash, this.#opts.nodeId, this.#signingKey);
    return { entries, more, head: { seq: head.seq, hash, at_ms: head.at, signature } };
  }

  #health(): HealthResponse {
    return {
      node_id: this.#opts.nodeId,
      protocol_version: PROTOCOL_VERSION,
      protocol_revision: this.#opts.revision ?? PROTOCOL_REVISION,
      shares: this.#opts.store.countShares(),
      uptime_ms: String(Date.now() - this.#startedAt),
      in_flight: this.#inFlight,
    };
  }
}

/**
 * One ReadAuditLog page: up to `limit` entries after `afterSeq` (0: MAX_LOG_PAGE; at most that),
 * stopping before the serialized entries pass MAX_LOG_PAGE_BYTES, but never empty while entries
 * remain. Entries and head are read in one synchronous step, so a page that ends at the head ends
 * at the very entry the head names. The request's own audit entry comes later, in #serve.
 */
export function auditLogPage(
  audit: Pick<AuditSink, 'head' | 'entries'>,
  afterSeq: bigint,
  limit: number,
): { entries: ReturnType<typeof entryToMessage>[]; more: boolean; head: AuditSink['head'] } {
  const count = limit === 0 ? MAX_LOG_PAGE : Math.min(limit, MAX_LOG_PAGE);
  const head = audit.head;
  const entries: ReturnType<typeof entryToMessage>[] = [];
  const serialize = KeyShareNodeService.ReadAuditLog?.responseSerialize;
  if (serialize === undefined) throw new RpcError(grpc.status.INTERNAL, 'ReadAuditLog is not in the schema');
  if (afterSeq < BigInt(head.seq)) {
    let bytes = 0;
    for (const e of audit.entries(Number(afterSeq) + 1, count)) {
      if (e.seq > head.seq) break;
      const message = entryToMessage(e);
      // A response holding this entry alone is exactly the entry's share of the whole response.
      const size = serialize({ entries: [message] }).length;
      if (entries.length > 0 && bytes + size > MAX_LOG_PAGE_BYTES) break;
      bytes += size;
      entries.push(message);
    }
  }
  const last = entries.at(-1);
  return { entries, more: last !== undefined && last.seq < head.seq, head };
}
