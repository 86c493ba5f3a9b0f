/**
 * A PKCS#11 application in its own process (pkcs11js over libkofn-pkcs11.so), driven line by line
 * from a test (helpers/p11.ts): each stdin line is {id, fn, args} and is answered on stdout with
 * {id, ok, value} or {id, ok: false, rv} (JSON as in p11-json.ts). Calls are synchronous in
 * this process, so the test's own event loop (and any fake service in it) keeps running.
 */
import { createInterface } from 'node:readline';
import pkcs11js from 'pkcs11js';
import { decode, encode } from './p11-json.js';

const p11 = new pkcs11js.PKCS11();
const fns = p11 as unknown as Record<string, (...args: unknown[]) => unknown>;

for await (const line of createInterface({ input: process.stdin })) {
  const { id, fn, args } = JSON.parse(line, decode) as { id: number; fn: string; args: unknown[] };
  let answer: unknown;
  try {
    const f = fns[fn];
    if (typeof f !== 'function') throw new Error(`no function ${fn}`);
    answer = { id, ok: true, value: f.apply(p11, args) ?? null };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    answer = typeof code === 'number'
      ? { id, ok: false, rv: code }
      : { id, ok: false, rv: null, message: err instanceof Error ? err.message : String(err) };
  }
  process.stdout.write(JSON.stringify(answer, encode) + '\n');
}
