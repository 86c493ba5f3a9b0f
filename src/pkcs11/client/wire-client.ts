/**
 * The shim's half of the protocol in TypeScript (codec.ts request encoders and reply decoders): one
 * connection, one call at a time, announcing a 64-bit little-endian CK_ULONG. Drives the token
 * service the way an application through libkofn-pkcs11.so does, for tools (kofn token keygen) and
 * tests.
 */
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { CALL_BY_NAME } from '../protocol/calls.js';
import { type Args, decodeReply, encodeRequest, type Outputs } from '../protocol/codec.js';
import { decodeWelcome, encodeHello, frame, FrameDecoder, PROTOCOL_VERSION } from '../protocol/wire.js';

export class WireClient {
  #frames = new FrameDecoder();
  #waiting: ((b: Buffer | undefined) => void)[] = [];
  #queued: Buffer[] = [];
  /** Why the connection ended, if it failed rather than closed. */
  #error: Error | undefined;
  epoch = 0n;

  private constructor(
    readonly socket: Socket,
    /** The application this connection belongs to (the hello's instance). */
    readonly instance: bigint,
  ) {
    // Without a listener a reset connection would be an uncaught exception; 'close' follows.
    socket.on('error', (err) => (this.#error = err));
    socket.on('close', () => {
      for (const w of this.#waiting.splice(0)) w(undefined);
    });
    socket.on('data', (chunk) => {
      for (const f of this.#frames.push(chunk)) {
        const w = this.#waiting.shift();
        if (w) w(f);
        else this.#queued.push(f);
      }
    });
  }

  static async connect(path: string, instance: bigint = randomBytes(8).readBigUInt64BE(0) | 1n): Promise<WireClient> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new WireClient(socket, instance);
    socket.write(frame(encodeHello({ version: PROTOCOL_VERSION, ulongSize: 8, byteOrder: 'little', pid: process.pid,
      instance })));
    const welcome = decodeWelcome(await c.#next());
    if (welcome.version === 0) {
      c.close();
      throw new Error(`the token service refused protocol version ${PROTOCOL_VERSION}`);
    }
    c.epoch = welcome.epoch;
    return c;
  }

  #closed(): Error {
    return new Error(`connection closed${this.#error ? `: ${this.#error.message}` : ''}`);
  }

  #next(): Promise<Buffer> {
    const q = this.#queued.shift();
    if (q) return Promise.resolve(q);
    if (this.socket.destroyed) return Promise.reject(this.#closed());
    return new Promise((resolve, reject) => {
      this.#waiting.push((b) => (b ? resolve(b) : reject(this.#closed())));
    });
  }

  async call(name: string, args: Args = {}): Promise<{ rv: bigint; outputs: Outputs }> {
    const call = CALL_BY_NAME.get(name);
    if (call === undefined) throw new Error(`no call ${name}`);
    this.socket.write(frame(encodeRequest(call, this.epoch, args)));
    return decodeReply(call, await this.#next());
  }

  close(): void {
    this.socket.destroy();
  }
}

/** CK_ULONG and CK_BBOOL attribute values in the little-endian 64-bit ABI the client announces. */
export function ulongAttr(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v, 0);
  return b;
}

export function boolAttr(v: boolean): Buffer {
  return Buffer.from([v ? 1 : 0]);
}
