/**
 * A real token service for tests: a 3-of-5 local cluster on loopback, a token labelled 'kofn'
 * (SO PIN 12345678, user PIN 1234) and `kofn token serve` in its own process, reached through
 * the built libkofn-pkcs11.so with KOFN_SOCKET.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCluster } from '../../src/cluster/cluster-file.js';
import { initCluster } from '../../src/cluster/init.js';
import { CLI_PATH, LocalCluster } from '../../src/cluster/processes.js';

export const MODULE = fileURLToPath(new URL('../../../native/build/Release/libkofn-pkcs11.so', import.meta.url));
export const LABEL = 'kofn';
export const SO_PIN = '12345678';
export const USER_PIN = '1234';

export interface TestTokenService {
  dir: string;
  socket: string;
  module: string;
  /** Environment for a process that loads the module. */
  env: NodeJS.ProcessEnv;
  cluster: LocalCluster;
  /** The service's process and the nodes' processes now running (to check none is left behind). */
  pids(): number[];
  /** The service's stderr and stdout so far. */
  output(): string;
  stop(): Promise<void>;
  /** Stops the service (not the nodes) and starts it again: a new epoch. */
  restart(): Promise<void>;
  /** Stops everything and removes the directory. */
  close(): Promise<void>;
}

export interface TokenServiceOptions {
  dir?: string;
  nodes?: number;
  threshold?: number;
  /** --prime-pool of the service; default 1024:2 (fast primes for 1024-bit test keys). */
  primePool?: string;
}

export async function startTokenService(opts: TokenServiceOptions = {}): Promise<TestTokenService> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kofn-token-'));
  await initCluster({ dir, nodes: opts.nodes ?? 5, threshold: opts.threshold ?? 3 });
  const cluster = new LocalCluster(loadCluster(dir));
  await cluster.startAll();
  execFileSync(process.execPath, [CLI_PATH, 'token', 'init', '--dir', dir, '--label', LABEL, '--so-pin', SO_PIN,
    '--pin', USER_PIN], { stdio: 'pipe' });
  const socket = join(dir, 'pkcs11.sock');
  let child: ChildProcess | undefined;
  let out = '';
  const start = async () => {
    const c = spawn(process.execPath, [CLI_PATH, 'token', 'serve', '--dir', dir, '--socket', socket, '--prime-pool',
      opts.primePool ?? '1024:2', '--sweep-ms', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`token service did not start:\n${out}`)), 20_000);
      c.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`token service exited (${code}):\n${out}`));
      });
    });
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    dir,
    socket,
    module: MODULE,
    env: { ...process.env, KOFN_SOCKET: socket },
    cluster,
    output: () => out,
    pids: () => [child?.pid, ...cluster.ids.map((id) => cluster.pid(id))].filter((p): p is number => p !== undefined),
    stop,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      await stop();
      await cluster.stopAll();
      if (process.env.KOFN_KEEP_TEST_DIRS) process.stderr.write(`kept ${dir}\n`);
      else if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
