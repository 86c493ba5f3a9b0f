/**
 * A scripted stand-in for the token service, for fault injection into the shim: it speaks the
 * protocol's handshake with an epoch of the test's choosing, decodes every request with the
 * TypeScript codec (so the C encoder is checked against it) and answers what each test says —
 * a proper reply, bytes that are not one, a closed connection, or nothing at all.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import * as ck from '../../../src/pkcs11/ck.js';
import { type Call } from '../../../src/pkcs11/protocol/calls.js';
import { type Args, decodeRequest, encodeReply, type Outputs, type StructValue } from '../../../src/pkcs11/protocol/codec.js';
import { decodeHello, encodeWelcome, frame, FrameDecoder, type Hello } from '../../../src/pkcs11/protocol/wire.js';

export interface Received {
  call: Call;
  epoch: bigint;
  args: Args;
  /** Which connection (1, 2, …) carried it. */
  connection: number;
}

export type Answer =
  | { rv: bigint; out?: Outputs }
  /** A payload sent as one frame, whatever it holds. */
  | { payload: Buffer }
  /** Bytes written to the socket as they are (no frame). */
  | { bytes: Buffer }
  /** Drop the connection without a reply. */
  | 'close'
  /** Never answer. */
  | 'hang';

export type Handler = (req: Received) => Answer | Promise<Answer>;

export const info = (): StructValue => ({
  cryptokiVersion: { major: 2, minor: 40 }, manufacturerID: 'fake', flags: 0n,
  libraryDescription: 'fake token service', libraryVersion: { major: 9, minor: 9 },
});

export const slotInfo = (): StructValue => ({
  slotDescription: 'fake slot', manufacturerID: 'fake', flags: ck.CKF_TOKEN_PRESENT,
  hardwareVersion: { major: 1, minor: 0 }, firmwareVersion: { major: 1, minor: 0 },
});

export const tokenInfo = (): StructValue => ({
  label: 'fake', manufacturerID: 'fake', model: 'fake', serialNumber: '1',
  flags: ck.CKF_TOKEN_INITIALIZED | ck.CKF_RNG, maxSessionCount: 0n, sessionCount: 0n, maxRwSessionCount: 0n,
  rwSessionCount: 0n, maxPinLen: 64n, minPinLen: 4n, totalPublicMemory: 0n, freePublicMemory: 0n,
  totalPrivateMemory: 0n, freePrivateMemory: 0n, hardwareVersion: { major: 1, minor: 0 },
  firmwareVersion: { major: 1, minor: 0 }, utcTime: '',
});

const OK = ck.CKR_OK;

/** Just enough of a token for the calls the fault tests make. */
export const DEFAULTS: Readonly<Record<string, Handler>> = {
  C_GetInfo: () => ({ rv: OK, out: { pInfo: info() } }),
  C_GetSlotList: ({ args }) => {
    const list = args.pSlotList as { given: boolean; length: bigint };
    if (!list.given) return { rv: OK, out: { pSlotList: { count: 1n } } };
    if (list.length < 1n) return { rv: ck.CKR_BUFFER_TOO_SMALL, out: { pSlotList: { count: 1n } } };
    return { rv: OK, out: { pSlotList: { count: 1n, values: [0n] } } };
  },
  C_GetSlotInfo: () => ({ rv: OK, out: { pInfo: slotInfo() } }),
  C_GetTokenInfo: () => ({ rv: OK, out: { pInfo: tokenInfo() } }),
  C_OpenSession: () => ({ rv: OK, out: { phSession: BigInt(0x5e550000 + Math.floor(Math.random() * 0xffff)) } }),
  C_CloseSession: () => ({ rv: OK }),
  C_GetSessionInfo: () => ({
    rv: OK,
    out: { pInfo: { slotID: 0n, state: ck.CKS_RO_PUBLIC_SESSION, flags: ck.CKF_SERIAL_SESSION, deviceError: 0n } },
  }),
  C_GenerateRandom: ({ args }) => ({
    rv: OK,
    out: { pRandomData: { data: randomBytes(Number((args.pRandomData as { length: bigint }).length)) } },
  }),
};

export class FakeService {
  /** The epoch the next handshakes report. */
  epoch = 0x1111_0000n;
  readonly received: Received[] = [];
  readonly hellos: Hello[] = [];
  /** Per call name; falls back to DEFAULTS, then CKR_FUNCTION_NOT_SUPPORTED. */
  readonly handlers = new Map<string, Handler>();
  readonly #sockets = new Set<Socket>();
  #connections = 0;

  private constructor(readonly path: string, readonly server: Server) {}

  static async start(path: string): Promise<FakeService> {
    const server = createServer();
    const svc = new FakeService(path, server);
    server.on('connection', (s) => svc.#serve(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return svc;
  }

  get connections(): number {
    return this.#connections;
  }

  /** Names of the calls received so far. */
  names(): string[] {
    return this.received.map((r) => r.call.name);
  }

  /** Drops every open connection (as a dying service would). */
  dropConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    const connection = ++this.#connections;
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const frames = new FrameDecoder();
    let hello = false;
    let queue = Promise.resolve();
    socket.on('data', (chunk) => {
      for (const m of frames.push(chunk)) {
        if (!hello) {
          this.hellos.push(decodeHello(m));
          hello = true;
          socket.write(frame(encodeWelcome({ version: 1, epoch: this.epoch })));
          continue;
        }
        queue = queue.then(async () => {
          const { call, epoch, args } = decodeRequest(m);
          const req = { call, epoch, args, connection };
          this.received.push(req);
          const handler = this.handlers.get(call.name) ?? DEFAULTS[call.name];
          const a = handler ? await handler(req) : { rv: ck.CKR_FUNCTION_NOT_SUPPORTED };
          if (socket.destroyed) return;
          if (a === 'close') socket.destroy();
          else if (a === 'hang') return;
          else if ('payload' in a) socket.write(frame(a.payload));
          else if ('bytes' in a) socket.write(a.bytes);
          else socket.write(frame(encodeReply(call, a.rv, a.out ?? {})));
        });
      }
    });
  }
}
