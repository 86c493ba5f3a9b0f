/**
 * The Unix socket the shim talks to (docs/protocol.md): one handshake per connection, then one
 * call at a time per connection; connections run in parallel. A malformed frame or message closes
 * that connection and nothing else; the service never crashes on input.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { CKR_GENERAL_ERROR } from '../ck.js';
import { decodeRequest, encodeReply } from '../protocol/codec.js';
import {
  decodeHello,
  encodeWelcome,
  frame,
  FrameDecoder,
  PROTOCOL_VERSION,
  ProtocolError,
} from '../protocol/wire.js';
import type { App } from './session.js';
import type { TokenService } from './token-service.js';

export interface SocketServerOptions {
  path: string;
  /** Socket file mode: who may use the token (default 0660: the service's user and group). */
  mode?: number;
}

async function inUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export interface Listening {
  server: Server;
  /** Stops listening and drops every connection (the shim sees CKR_DEVICE_REMOVED). */
  close(): Promise<void>;
}

export async function listen(svc: TokenService, opts: SocketServerOptions): Promise<Listening> {
  mkdirSync(dirname(opts.path), { recursive: true, mode: 0o750 });
  if (existsSync(opts.path)) {
    if (await inUse(opts.path)) throw new Error(`${opts.path}: another token service is listening`);
    unlinkSync(opts.path);
  }
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(svc, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.path, () => resolve());
  });
  chmodSync(opts.path, opts.mode ?? 0o660);
  return {
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

function serve(svc: TokenService, socket: Socket): void {
  const frames = new FrameDecoder();
  let app: App | undefined;
  let queue: Promise<void> = Promise.resolve();
  const fail = (why: string) => {
    svc.log(`connection${app ? ` of pid ${app.pid}` : ''} closed: ${why}`);
    socket.destroy();
  };
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (app) svc.detach(app);
  });
  socket.on('data', (chunk) => {
    let messages: Buffer[];
    try {
      messages = frames.push(chunk);
    } catch (err) {
      fail(err instanceof Error ? err.message : 'bad frame');
      return;
    }
    for (const m of messages) {
      if (app === undefined) {
        try {
          const hello = decodeHello(m);
          if (hello.version !== PROTOCOL_VERSION) {
            socket.end(frame(encodeWelcome({ version: 0, epoch: 0n })));
            return;
          }
          app = svc.attach(hello.instance, hello.pid, { ulongSize: hello.ulongSize, byteOrder: hello.byteOrder });
          socket.write(frame(encodeWelcome({ version: PROTOCOL_VERSION, epoch: svc.epoch })));
        } catch (err) {
          fail(err instanceof ProtocolError ? err.message : 'bad handshake');
          return;
        }
        continue;
      }
      const current = app;
      // One call at a time per connection, in order; other connections are not held up.
      queue = queue.then(async () => {
        let req: ReturnType<typeof decodeRequest>;
        try {
          req = decodeRequest(m);
        } catch (err) {
          fail(err instanceof ProtocolError ? err.message : 'bad request');
          return;
        }
        const r = await svc.dispatch(current, req.call, req.epoch, req.args);
        let reply: Buffer;
        try {
          reply = encodeReply(req.call, r.rv, r.out);
        } catch (err) {
          svc.log(`${req.call.name}: reply not encodable: ${err instanceof Error ? err.message : String(err)}`);
          reply = encodeReply(req.call, CKR_GENERAL_ERROR, {});
        }
        if (!socket.destroyed) socket.write(frame(reply));
      });
    }
  });
}
