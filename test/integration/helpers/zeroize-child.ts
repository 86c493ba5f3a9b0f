/**
 * Child side of the zeroization test. Deals a key, reports masked windows of secrets (never the
 * secrets themselves: the parent unmasks), then destroys on command. Commands arrive on stdin.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { type DealtKey, generateKey, opensslSafePrime } from '../../../src/threshold/rsa/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const WINDOW = 24;
function masked(secret: Buffer): { masked: string; mask: string } {
  // The least significant WINDOW bytes: a BIGNUM stores them first, in little-endian limbs.
  const w = Buffer.from(secret.subarray(secret.length - WINDOW));
  const mask = randomBytes(WINDOW);
  for (let i = 0; i < WINDOW; i++) w[i] = (w[i] ?? 0) ^ (mask[i] ?? 0);
  secret.fill(0);
  return { masked: w.toString('hex'), mask: mask.toString('hex') };
}

const primeWindows: { masked: string; mask: string }[] = [];
let key: DealtKey | undefined = await generateKey({ bits: 2048, shares: 3 }, async (bits) => {
  const p = await opensslSafePrime(bits);
  const copy = Buffer.from(p);
  primeWindows.push(masked(copy));
  return p;
});
const share1 = key.shares[0]?.exportSecret();
const share2 = key.shares[1]?.exportSecret();
if (!share1 || !share2) throw new Error('no shares');
const report = { share1: masked(share1), share2: masked(share2), primes: primeWindows };

const send = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
send({ ready: true, ...report });

async function collect() {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'destroy-1') {
    key?.shares[0]?.destroy(); // explicit wipe
    send({ done: line });
  } else if (line === 'drop-all') {
    key = undefined; // share 2 is wiped by its finalizer, never by destroy()
    await collect();
    send({ done: line });
  } else if (line === 'exit') {
    process.exit(0);
  }
}
