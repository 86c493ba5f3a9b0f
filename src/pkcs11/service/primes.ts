/**
 * A pool of safe primes so C_GenerateKeyPair normally returns in about a second: a 2048-bit key
 * needs two 1024-bit safe primes, which take 10–75 s to find on one core. A low-priority child
 * process (prime-worker.ts) refills the pool in the background; a caller finding it empty
 * generates at full priority instead of waiting for the worker.
 *
 * The pool lives in memory only: primes are key material, and a restart costing one slow key
 * generation is better than keeping them on disk.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { opensslSafePrime } from '../../threshold/rsa/index.js';

const WORKER = fileURLToPath(new URL('./prime-worker.js', import.meta.url));

export class PrimePool {
  /** Prime size in bits → primes ready. */
  readonly #ready = new Map<number, Buffer[]>();
  /** Prime size in bits → how many to keep. */
  readonly #target: Map<number, number>;
  #worker: ChildProcess | undefined;
  #asked: number | undefined;
  #stopped = false;

  /** keys: RSA key size in bits → keys to keep ready (two primes each). */
  constructor(keys: Readonly<Record<number, number>>) {
    this.#target = new Map(Object.entries(keys).map(([bits, n]) => [Number(bits) / 2, 2 * n]));
  }

  get sizes(): Record<number, number> {
    return Object.fromEntries([...this.#target.keys()].map((b) => [b * 2, this.#ready.get(b)?.length ?? 0]));
  }

  start(): void {
    if (this.#target.size === 0 || [...this.#target.values()].every((n) => n === 0)) return;
    const w = spawn(process.execPath, [WORKER], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#worker = w;
    if (w.pid !== undefined) {
      try {
        setPriority(w.pid, 19);
      } catch {
        // Not fatal: the pool still fills, only less politely.
      }
    }
    createInterface({ input: w.stdout }).on('line', (hex) => {
      const bits = this.#asked;
      this.#asked = undefined;
      if (bits !== undefined && /^[0-9a-f]+$/.test(hex)) {
        const list = this.#ready.get(bits) ?? [];
        list.push(Buffer.from(hex, 'hex'));
        this.#ready.set(bits, list);
      }
      this.#next();
    });
    w.on('exit', () => {
      this.#worker = undefined;
    });
    w.stdin.on('error', () => undefined);
    this.#next();
  }

  #next(): void {
    if (this.#stopped || this.#worker === undefined || this.#asked !== undefined) return;
    let want: number | undefined;
    let gap = 0;
    for (const [bits, n] of this.#target) {
      const g = n - (this.#ready.get(bits)?.length ?? 0);
      if (g > gap) [want, gap] = [bits, g];
    }
    if (want === undefined) return;
    this.#asked = want;
    this.#worker.stdin?.write(`${want}\n`);
  }

  /** A safe prime of `bits` bits; the caller owns (and zeroes) the buffer. */
  async take(bits: number): Promise<Buffer> {
    const p = this.#ready.get(bits)?.shift();
    this.#next();
    return p ?? opensslSafePrime(bits);
  }

  stop(): void {
    this.#stopped = true;
    this.#worker?.kill();
    for (const list of this.#ready.values()) for (const p of list) p.fill(0);
    this.#ready.clear();
  }
}
