/**
 * The coordinator's end of one node's SignStream (node protocol revision 3): one long-lived HTTP/2
 * stream carries every signature-share request to that node, each under an id of ours, and the
 * answers come back in completion order. A unary call pays for a new HTTP/2 stream, headers,
 * metadata, a deadline and trailers every time; a stream message pays for a frame, which is what
 * makes the per-share overhead small next to the exponentiation (docs/node-protocol.md).
 *
 * Failure is per stream: when the node ends it (restart, shutdown, a refusal) every item in flight
 * is rejected with the stream's status and the next item opens a new stream. Deadlines are per
 * item, kept here, because a stream has none.
 */
import * as grpc from '@grpc/grpc-js';
import type {
  KeyShareNodeClient,
  SignShareRequest,
  SignShareResponse__Output,
  SignStreamRequest,
  SignStreamResponse__Output,
} from '../node/rpc/schema.js';

/** A per-item refusal or timeout, shaped like a grpc-js ServiceError (code, details). */
export class ItemError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${grpc.status[code] ?? code}: ${details}`);
  }
}

interface InFlight {
  resolve: (r: SignShareResponse__Output) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

type Duplex = grpc.ClientDuplexStream<SignStreamRequest, SignStreamResponse__Output>;

export class SignStream {
  readonly #client: KeyShareNodeClient;
  #call: Duplex | undefined;
  readonly #inFlight = new Map<number, InFlight>();
  #nextId = 1;

  constructor(client: KeyShareNodeClient) {
    this.#client = client;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Sends one item; settles with its share, an ItemError, or the stream's failure. */
  send(item: SignShareRequest, timeoutMs: number): Promise<SignShareResponse__Output> {
    const call = this.#call ?? this.#open();
    const id = this.#takeId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#inFlight.delete(id);
        reject(new ItemError(grpc.status.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#inFlight.set(id, { resolve, reject, timer });
      call.write({ id, item });
    });
  }

  /** Ends the stream; items still in flight are rejected. */
  close(): void {
    const call = this.#call;
    if (call === undefined) return;
    this.#fail(call, new ItemError(grpc.status.CANCELLED, 'the coordinator closed the stream'));
    call.cancel();
  }

  /** Ids only need to be unique among the items in flight; 32 bits wrap long after any of them ended. */
  #takeId(): number {
    let id = this.#nextId;
    while (this.#inFlight.has(id)) id = (id % 0xffffffff) + 1;
    this.#nextId = (id % 0xffffffff) + 1;
    return id;
  }

  #open(): Duplex {
    const call = this.#client.SignStream();
    this.#call = call;
    call.on('data', (m: SignStreamResponse__Output) => {
      const item = this.#inFlight.get(m.id);
      if (item === undefined) return; // timed out already
      this.#inFlight.delete(m.id);
      clearTimeout(item.timer);
      const r = m.result;
      if (r === null) item.reject(new ItemError(grpc.status.INTERNAL, 'the node answered without a result'));
      else if (r.code === Number(grpc.status.OK) && r.share !== null) item.resolve(r.share);
      else item.reject(new ItemError(r.code, r.details));
    });
    // 'status' comes for every end, 'error' only for a non-OK one; both are handled through 'status'.
    call.on('error', () => {});
    call.on('status', (s: grpc.StatusObject) => {
      const err = s.code === grpc.status.OK
        ? new ItemError(grpc.status.UNAVAILABLE, 'the node ended the stream')
        : new ItemError(s.code, s.details);
      this.#fail(call, err);
    });
    return call;
  }

  #fail(call: Duplex, err: ItemError): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    for (const item of this.#inFlight.values()) {
      clearTimeout(item.timer);
      item.reject(err);
    }
    this.#inFlight.clear();
  }
}
