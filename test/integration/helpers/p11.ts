/**
 * Drives libkofn-pkcs11.so from a test through pkcs11js in a child process (helpers/p11-driver.ts):
 * the module keeps process-wide state (C_Initialize, its connection pool), so each application is
 * its own process, and calls block only that process.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decode, encode } from './p11-json.js';

export const SHIM = fileURLToPath(new URL('../../../../native/build/Release/libkofn-pkcs11.so', import.meta.url));
const DRIVER = fileURLToPath(new URL('./p11-driver.js', import.meta.url));

/** A PKCS#11 return value other than CKR_OK. */
export class CkrError extends Error {
  override readonly name = 'CkrError';
  constructor(readonly rv: number, fn: string) {
    super(`${fn}: CKR 0x${rv.toString(16)}`);
  }
}

interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  rv?: number | null;
  message?: string;
}

export class P11 {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (a: Answer) => void>();
  #next = 1;
  #stderr = '';

  private constructor(env: NodeJS.ProcessEnv) {
    this.#child = spawn(process.execPath, [DRIVER], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const a = JSON.parse(line, decode) as Answer;
      this.#pending.get(a.id)?.(a);
      this.#pending.delete(a.id);
    });
    this.#child.once('exit', () => {
      for (const [id, resolve] of this.#pending) resolve({ id, ok: false, rv: null, message: `driver exited: ${this.#stderr}` });
      this.#pending.clear();
    });
  }

  /** A process with the shim loaded (not yet C_Initialize'd); env: KOFN_SOCKET and friends. */
  static async load(env: Record<string, string>): Promise<P11> {
    const p = new P11({ ...process.env, ...env });
    await p.call('load', SHIM);
    return p;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Calls fn; resolves to its value, rejects with CkrError for a PKCS#11 error. */
  async call<T = unknown>(fn: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    const answer = new Promise<Answer>((resolve) => this.#pending.set(id, resolve));
    this.#child.stdin.write(JSON.stringify({ id, fn, args }, encode) + '\n');
    const a = await answer;
    if (a.ok) return a.value as T;
    if (typeof a.rv === 'number') throw new CkrError(a.rv, fn);
    throw new Error(`${fn}: ${a.message ?? 'failed'}`);
  }

  /** The return value of fn: 0 for CKR_OK. */
  async rv(fn: string, ...args: unknown[]): Promise<number> {
    try {
      await this.call(fn, ...args);
      return 0;
    } catch (err) {
      if (err instanceof CkrError) return err.rv;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.stdin.end();
    await exited;
  }
}
