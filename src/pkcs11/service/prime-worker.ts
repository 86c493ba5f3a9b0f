/**
 * Child process of the prime pool: reads a prime size per line on stdin, writes a safe prime of
 * that size as hex per line on stdout. It runs at the lowest CPU priority so that filling the pool
 * never competes with signing.
 */
import { generatePrime } from 'node:crypto';
import { createInterface } from 'node:readline';

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const bits = Number(line);
  if (!Number.isInteger(bits) || bits < 256 || bits > 4096) process.exit(2);
  const prime = await new Promise<ArrayBuffer>((resolve, reject) => {
    generatePrime(bits, { safe: true }, (err, p) => (err ? reject(err) : resolve(p)));
  });
  const b = Buffer.from(prime);
  process.stdout.write(`${b.toString('hex')}\n`);
  b.fill(0);
}
