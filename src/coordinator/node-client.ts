/** One node as the coordinator sees it: a gRPC channel (reconnecting by itself), health and latency. */
import * as grpc from '@grpc/grpc-js';
import { type ChannelCredentials } from '@grpc/grpc-js';
import { verifyPeerCertificate } from '../pki/index.js';
import {
  type DeleteShareRequest,
  type DeleteShareResponse__Output,
  type HealthResponse__Output,
  type InstallShareRequest,
  type InstallShareResponse__Output,
  KeyShareNodeClient,
  type ListSharesResponse__Output,
  MAX_BATCH,
  MAX_MESSAGE_BYTES,
  type ProveShareRequest,
  type ProveShareResponse__Output,
  type ReadAuditLogResponse__Output,
  type SignShareRequest,
  type SignShareResponse__Output,
  type SignSharesRequest,
  type SignSharesResponse__Output,
} from '../node/rpc/schema.js';
import { channelCredentials, type TlsMaterial } from '../node/rpc/tls.js';
import { ItemError, SignStream } from './sign-stream.js';

export { ItemError } from './sign-stream.js';

export interface NodeEndpoint {
  id: string;
  /** host:port */
  address: string;
  /** The node's certificate (public): pins its identity and carries its share-encryption key. */
  certPem: string;
}

export type NodeState = 'unknown' | 'up' | 'down' | 'faulty';

export interface NodeStatus {
  id: string;
  address: string;
  state: NodeState;
  latencyMs: number | undefined;
  lastError: string | undefined;
  ok: number;
  errors: number;
  invalidShares: number;
}

type Unary<Req, Res> = (
  client: KeyShareNodeClient,
  req: Req,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: grpc.requestCallback<Res>,
) => grpc.ClientUnaryCall;

const FAULTY_FOR_MS = 60_000;
const EWMA = 0.2;
/**
 * Calls in flight per node. More only queue inside the node (its cores are busy anyway) where the
 * per-call deadline would run out and the cancellations would look like an HTTP/2 rapid-reset
 * attack to the node; here they wait in order and their deadline starts when they are sent.
 */
export const DEFAULT_MAX_IN_FLIGHT = 16;

/**
 * For a node of protocol revision 2 (no SignStream): SignShare calls in flight per node. What
 * arrives while they are busy waits and leaves together in one SignShares call, so the per-call
 * cost of gRPC, HTTP/2 and TLS is paid once per batch instead of once per share.
 */
export const SIGN_CALLS_IN_FLIGHT = 2;
/**
 * SignStream items in flight per node. Enough to keep every core of a node busy with work queued
 * behind it; what comes beyond waits here in order, where its deadline (`notAfter`) can still drop
 * it unsent, rather than in the node's queue.
 */
export const STREAM_WINDOW = 32;

const LATE = 'deadline passed while queued for this node';

/** Rejects a queued share request whose deadline passed before it could be sent; false if it is still on time. */
function dropIfLate(q: Queued, now = Date.now()): boolean {
  if (now < q.notAfter) return false;
  q.reject(new Error(LATE));
  return true;
}

interface Queued {
  req: SignShareRequest;
  timeoutMs: number;
  notAfter: number;
  resolve: (r: SignShareResponse__Output) => void;
  reject: (e: unknown) => void;
}

export class NodeClient {
  readonly id: string;
  readonly address: string;
  /** X25519 key to seal shares to, from the CA-signed certificate. */
  readonly shareKey: Buffer | undefined;
  readonly client: KeyShareNodeClient;
  state: NodeState = 'unknown';
  latencyMs: number | undefined;
  lastError: string | undefined;
  faultyUntil = 0;
  ok = 0;
  errors = 0;
  invalidShares = 0;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #maxInFlight: number;
  readonly #signQueue: Queued[] = [];
  #signCalls = 0;
  readonly #stream: SignStream;
  readonly #streamQueue: Queued[] = [];
  /** False once the node answered SignStream with UNIMPLEMENTED (revision 2): batches from then on. */
  #streams = true;

  constructor(
    endpoint: NodeEndpoint,
    tls: TlsMaterial,
    opts: { credentials?: ChannelCredentials; maxInFlight?: number } = {},
  ) {
    this.#maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    const credentials = opts.credentials;
    const v = verifyPeerCertificate(endpoint.certPem, tls.caPem);
    if (!v.ok) throw new Error(`node ${endpoint.id}: certificate not usable: ${v.message}`);
    if (v.identity !== endpoint.id || !v.roles.includes('node')) {
      throw new Error(`node ${endpoint.id}: certificate names ${v.identity} [${v.roles.join(',')}]`);
    }
    this.id = endpoint.id;
    this.address = endpoint.address;
    this.shareKey = v.shareKey;
    this.client = new KeyShareNodeClient(endpoint.address, credentials ?? channelCredentials(tls, endpoint.id), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // SNI carries the node's identity, not its IP address (RFC 6066 forbids IPs there).
      'grpc.ssl_target_name_override': endpoint.id,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.min_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 3000,
    });
    this.#stream = new SignStream(this.client);
  }

  /** Ranks nodes for a request: healthy and fast first, faulty last. */
  rank(now = Date.now()): number {
    const base = { up: 0, unknown: 1, down: 2, faulty: 3 }[this.faultyUntil > now ? 'faulty' : this.state];
    return base * 1e6 + (this.latencyMs ?? 50);
  }

  /**
   * A unary call with a deadline, recording latency and health. Waits for a free slot first;
   * `notAfter` (epoch ms) abandons the call without sending it if the slot comes too late.
   */
  async call<Req, Res>(
    method: Unary<Req, Res>,
    req: Req,
    timeoutMs: number,
    notAfter = Infinity,
    waitForReady = false,
  ): Promise<Res> {
    if (this.#inFlight >= this.#maxInFlight) await new Promise<void>((r) => this.#waiting.push(r));
    this.#inFlight++;
    try {
      if (Date.now() >= notAfter) throw new Error(LATE);
      return await this.#send(method, req, timeoutMs, waitForReady);
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }

  #send<Req, Res>(method: Unary<Req, Res>, req: Req, timeoutMs: number, waitForReady: boolean): Promise<Res> {
    const started = performance.now();
    return new Promise<Res>((resolve, reject) => {
      // grpc-js takes wait-for-ready as a metadata option, not a call option.
      const metadata = new grpc.Metadata({ waitForReady });
      method(this.client, req, metadata, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err || res === undefined) {
          const e = err ?? new Error('empty response');
          this.#failed(e);
          reject(e);
          return;
        }
        this.#succeeded(performance.now() - started);
        resolve(res);
      });
    });
  }

  #succeeded(ms: number): void {
    this.latencyMs = this.latencyMs === undefined ? ms : (1 - EWMA) * this.latencyMs + EWMA * ms;
    this.ok++;
    if (this.state !== 'faulty') this.state = 'up';
  }

  #failed(err: unknown): void {
    this.errors++;
    const e = err as { code?: unknown; details?: unknown; message?: unknown };
    if (typeof e.code === 'number' && typeof e.details === 'string') {
      this.lastError = `${grpc.status[e.code] ?? e.code}: ${e.details}`;
      if ([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(e.code)) this.state = 'down';
    } else {
      this.lastError = typeof e.message === 'string' ? e.message : String(err);
    }
  }

  /**
   * One signature share, on the node's SignStream (or, for a node of revision 2, in SignShares
   * batches). Queued per node (STREAM_WINDOW, SIGN_CALLS_IN_FLIGHT); `notAfter` (epoch ms) drops it
   * unsent if the queue held it too long; `timeoutMs` bounds it once sent.
   */
  signShare(req: SignShareRequest, timeoutMs: number, notAfter = Infinity): Promise<SignShareResponse__Output> {
    return new Promise((resolve, reject) => {
      const q = { req, timeoutMs, notAfter, resolve, reject };
      if (this.#streams) {
        this.#streamQueue.push(q);
        this.#pumpStream();
      } else {
        this.#signQueue.push(q);
        this.#pumpSigns();
      }
    });
  }

  #pumpStream(): void {
    while (this.#stream.inFlight < STREAM_WINDOW && this.#streamQueue.length > 0) {
      const q = this.#streamQueue.shift();
      if (q === undefined) break;
      if (dropIfLate(q)) continue;
      const started = performance.now();
      this.#stream.send(q.req, q.timeoutMs).then(
        (res) => {
          this.#succeeded(performance.now() - started);
          q.resolve(res);
          this.#pumpStream();
        },
        (err: unknown) => {
          if (err instanceof ItemError && err.code === Number(grpc.status.UNIMPLEMENTED)) {
            // A node of revision 2: this item and everything after it go in SignShares batches.
            this.#streams = false;
            this.#signQueue.push(q, ...this.#streamQueue.splice(0));
            this.#pumpSigns();
            return;
          }
          this.#failed(err);
          q.reject(err);
          this.#pumpStream();
        },
      );
    }
  }

  #pumpSigns(): void {
    while (this.#signCalls < SIGN_CALLS_IN_FLIGHT && this.#signQueue.length > 0) {
      const now = Date.now();
      const batch = this.#signQueue.splice(0, MAX_BATCH).filter((q) => !dropIfLate(q, now));
      if (batch.length === 0) continue;
      this.#signCalls++;
      void this.#sendSigns(batch).finally(() => {
        this.#signCalls--;
        this.#pumpSigns();
      });
    }
  }

  async #sendSigns(batch: Queued[]): Promise<void> {
    // A batch may wait as long as the most patient of its requests allows.
    const timeoutMs = Math.max(...batch.map((q) => q.timeoutMs));
    const [only] = batch;
    if (batch.length === 1 && only !== undefined) {
      await this.#send<SignShareRequest, SignShareResponse__Output>(
        (c, r, m, o, cb) => c.SignShare(r, m, o, cb),
        only.req,
        timeoutMs,
        false,
      ).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    try {
      const res = await this.#send<SignSharesRequest, SignSharesResponse__Output>(
        (c, r, m, o, cb) => c.SignShares(r, m, o, cb),
        { items: batch.map((q) => q.req) },
        timeoutMs,
        false,
      );
      batch.forEach((q, i) => {
        const r = res.results[i];
        if (r === undefined) q.reject(new Error('SignShares answered fewer items than asked'));
        else if (r.code === 0 && r.share !== null) q.resolve(r.share);
        else q.reject(new ItemError(r.code, r.details));
      });
    } catch (err) {
      for (const q of batch) q.reject(err);
    }
  }

  /**
   * Waits for the channel (a node restarting, a channel in reconnect backoff) within the deadline.
   * The response carries the node's signed receipt (`receipt`, `receipt_signature`; empty from a
   * node of protocol revision 1), for verifyReceipt in src/node/receipt.ts.
   */
  installShare(req: InstallShareRequest, timeoutMs: number): Promise<InstallShareResponse__Output> {
    return this.call((c, r, m, o, cb) => c.InstallShare(r, m, o, cb), req, timeoutMs, Infinity, true);
  }

  deleteShare(req: DeleteShareRequest, timeoutMs: number): Promise<DeleteShareResponse__Output> {
    return this.call((c, r, m, o, cb) => c.DeleteShare(r, m, o, cb), req, timeoutMs, Infinity, true);
  }

  listShares(timeoutMs: number): Promise<ListSharesResponse__Output> {
    return this.call((c, r, m, o, cb) => c.ListShares(r, m, o, cb), {}, timeoutMs);
  }

  proveShare(req: ProveShareRequest, timeoutMs: number): Promise<ProveShareResponse__Output> {
    return this.call((c, r, m, o, cb) => c.ProveShare(r, m, o, cb), req, timeoutMs);
  }

  /**
   * One page of the node's audit log (auditor credentials): entries after `afterSeq`, at most
   * `limit` (0: the node's default), and the node's signed head. Check it with verifyFetchedLog
   * (src/node/audit-chain.ts); page on with the last seq while `more` is true.
   */
  readAuditLog(afterSeq: number, limit: number, timeoutMs: number): Promise<ReadAuditLogResponse__Output> {
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError('afterSeq must be an integer ≥ 0');
    if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) throw new RangeError('limit must be a uint32');
    return this.call((c, r, m, o, cb) => c.ReadAuditLog(r, m, o, cb), { after_seq: afterSeq, limit }, timeoutMs);
  }

  health(timeoutMs: number): Promise<HealthResponse__Output> {
    return this.call((c, r, m, o, cb) => c.Health(r, m, o, cb), {}, timeoutMs);
  }

  markFaulty(reason: string): void {
    this.invalidShares++;
    this.state = 'faulty';
    this.faultyUntil = Date.now() + FAULTY_FOR_MS;
    this.lastError = reason;
  }

  status(): NodeStatus {
    const { id, address, latencyMs, lastError, ok, errors, invalidShares } = this;
    const state = this.faultyUntil > Date.now() ? 'faulty' : this.state;
    return { id, address, state, latencyMs, lastError, ok, errors, invalidShares };
  }

  close(): void {
    this.#stream.close();
    this.client.close();
  }
}
