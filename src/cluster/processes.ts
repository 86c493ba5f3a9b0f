/** Node processes of a local cluster: start, wait until healthy, kill, restart. Used by `cluster up` and tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeClient } from '../coordinator/node-client.js';
import type { Cluster } from './cluster-file.js';

export const CLI_PATH = fileURLToPath(new URL('../cli/index.js', import.meta.url));

export interface StartOptions {
  /** Replaces `[CLI_PATH, 'node', 'start', '--config', <config>]`, e.g. a test's patched node. */
  argv?: (config: string) => string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

export class LocalCluster {
  readonly #children = new Map<string, ChildProcess>();
  readonly #probes = new Map<string, NodeClient>();
  readonly logDir: string;

  constructor(readonly cluster: Cluster) {
    this.logDir = join(cluster.dir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
    const tls = cluster.tlsFor('coordinator');
    for (const e of cluster.endpoints) this.#probes.set(e.id, new NodeClient(e, tls));
  }

  get ids(): string[] {
    return this.cluster.endpoints.map((e) => e.id);
  }

  running(id: string): boolean {
    const c = this.#children.get(id);
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  pid(id: string): number | undefined {
    return this.#children.get(id)?.pid;
  }

  logFile(id: string): string {
    return join(this.logDir, `${id}.log`);
  }

  async start(id: string, opts: StartOptions = {}): Promise<void> {
    if (this.running(id)) return;
    const config = this.cluster.nodeConfigs.get(id);
    if (config === undefined) throw new Error(`unknown node ${id}`);
    const out = openSync(this.logFile(id), 'a');
    const argv = opts.argv ? opts.argv(config) : [CLI_PATH, 'node', 'start', '--config', config];
    const child = spawn(process.execPath, argv, {
      stdio: ['ignore', out, out],
      // The share exponentiations run on libuv's pool (4 threads by default). The local nodes share
      // this machine's cores, and more threads than cores only time-slice the exponentiations.
      env: { UV_THREADPOOL_SIZE: String(availableParallelism()), ...process.env, ...opts.env },
    });
    closeSync(out);
    this.#children.set(id, child);
    await this.#ready(id, child, opts.readyTimeoutMs ?? 20_000);
  }

  async #ready(id: string, child: ChildProcess, timeoutMs: number): Promise<void> {
    const probe = this.#probes.get(id);
    if (probe === undefined) throw new Error(`unknown node ${id}`);
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`node ${id} exited during start-up: ${this.#tail(id)}`);
      }
      try {
        await probe.health(500);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`node ${id} did not become healthy within ${timeoutMs} ms: ${this.#tail(id)}`);
  }

  #tail(id: string): string {
    try {
      return readFileSync(this.logFile(id), 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      return '(no log)';
    }
  }

  async startAll(opts: StartOptions = {}): Promise<void> {
    await Promise.all(this.ids.map((id) => this.start(id, opts)));
  }

  /** Sends a signal and waits for the process to exit (SIGKILL after graceMs). */
  async stop(id: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    const child = this.#children.get(id);
    if (child === undefined || !this.running(id)) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(id: string): Promise<void> {
    return this.stop(id, 'SIGKILL');
  }

  async stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.ids.map((id) => this.stop(id, signal)));
    for (const p of this.#probes.values()) p.close();
  }
}
