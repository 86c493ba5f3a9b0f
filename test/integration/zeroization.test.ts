import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { countInMemory } from './helpers/memory-scan.js';

interface Masked {
  masked: string;
  mask: string;
}

/** Both byte orders: big-endian as exported, little-endian as OpenSSL's limbs hold it. */
function forms(w: Masked): Buffer[] {
  const a = Buffer.from(w.masked, 'hex');
  const m = Buffer.from(w.mask, 'hex');
  const plain = Buffer.from(a.map((b, i) => b ^ (m[i] ?? 0)));
  return [plain, Buffer.from(plain).reverse()];
}

describe('Zeroization of secrets in process memory', function () {
  this.timeout(120_000);
  let child: ChildProcessByStdio<Writable, Readable, null>;
  let lines: Interface;
  let report: { share1: Masked; share2: Masked; primes: Masked[] };

  const next = async (): Promise<Record<string, unknown>> => {
    const [line] = (await once(lines, 'line')) as [string];
    return JSON.parse(line) as Record<string, unknown>;
  };
  const command = async (cmd: string) => {
    child.stdin.write(`${cmd}\n`);
    assert.deepEqual(await next(), { done: cmd });
  };

  before(async function () {
    if (process.platform !== 'linux') this.skip();
    const script = fileURLToPath(new URL('./helpers/zeroize-child.js', import.meta.url));
    child = spawn(process.execPath, ['--expose-gc', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    lines = createInterface({ input: child.stdout });
    report = (await next()) as unknown as typeof report;
  });

  after(() => {
    child?.kill();
  });

  it('finds the shares in the child before they are destroyed (the scan works)', () => {
    assert.ok(countInMemory(child.pid ?? 0, forms(report.share1)) > 0);
    assert.ok(countInMemory(child.pid ?? 0, forms(report.share2)) > 0);
  });

  it('leaves no trace of the dealer primes after dealing', () => {
    assert.equal(report.primes.length, 2);
    for (const p of report.primes) assert.equal(countInMemory(child.pid ?? 0, forms(p)), 0);
  });

  it('wipes a share on destroy()', async () => {
    await command('destroy-1');
    assert.equal(countInMemory(child.pid ?? 0, forms(report.share1)), 0);
    assert.ok(countInMemory(child.pid ?? 0, forms(report.share2)) > 0, 'the other share is still there');
  });

  it('wipes a share that is only garbage-collected', async () => {
    await command('drop-all');
    assert.equal(countInMemory(child.pid ?? 0, forms(report.share2)), 0);
  });
});
