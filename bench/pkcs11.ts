/**
 * npm run bench:pkcs11 — RSA-2048 C_Sign through libkofn-pkcs11.so from 1, 2, 4 and 8 threads
 * (bench/p11bench.c, a C program as ods-signer is) against a local 3-of-5 cluster, beside SoftHSM2
 * on the same machine and the consttime-modexp limit cores / (k × t_modexp) measured in the same
 * run; and the shim's round trip for a trivial call (C_GetSessionInfo).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../src/threshold/native.js';
import { startTokenService, USER_PIN } from '../test/helpers/token-service.js';
import { modexpMs, table } from './stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const SECONDS = process.env.KOFN_BENCH_SECONDS ?? '5';
const THREADS = (process.env.KOFN_BENCH_LEVELS ?? '1,2,4,8').split(',');
const K = 3;

interface Line {
  op: string;
  threads?: number;
  perSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  seconds?: number;
}

const work = mkdtempSync(join(tmpdir(), 'kofn-bench-p11-'));
const bin = join(work, 'p11bench');
execFileSync('cc', ['-std=c11', '-O2', '-Wall', `-I${join(ROOT, 'native/include')}`, '-o', bin,
  join(ROOT, 'bench/p11bench.c'), '-ldl', '-lpthread'], { stdio: 'inherit' });

function run(module: string, env: NodeJS.ProcessEnv): Line[] {
  const r = spawnSync(bin, [module, USER_PIN, 'bench-2048', SECONDS, ...THREADS], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`p11bench ${module}: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
}

// The limit: k modexps with a full-length exponent per signature, spread over every core.
const n = BigInt(`0x${randomBytes(256).toString('hex')}`) | (1n << 2047n) | 1n;
const tModexpMs = modexpMs(native.modulus(n));
const cores = availableParallelism();
const limit = cores / (K * (tModexpMs / 1000));

let softhsm: Line[] | undefined;
if (existsSync(SOFTHSM)) {
  const dir = join(work, 'softhsm');
  mkdirSync(join(dir, 'tokens'), { recursive: true });
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\n`);
  const env = { ...process.env, SOFTHSM2_CONF: join(dir, 'softhsm2.conf') };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', '12345678', '--pin',
    USER_PIN], { env, stdio: 'ignore' });
  process.stderr.write('SoftHSM2...\n');
  softhsm = run(SOFTHSM, env);
} else {
  process.stderr.write(`SoftHSM2 not found at ${SOFTHSM} (apt-get install softhsm2); its column stays empty\n`);
}

process.stderr.write('starting a 3-of-5 cluster and the token service; generating an RSA-2048 key (safe primes: ~10–75 s)...\n');
const svc = await startTokenService({ primePool: 'none' });
let kofn: Line[];
try {
  kofn = run(join(ROOT, 'native/build/Release/libkofn-pkcs11.so'), svc.env);
} finally {
  await svc.close();
  rmSync(work, { recursive: true, force: true });
}

const pick = (lines: Line[] | undefined, op: string, t?: string) =>
  lines?.find((l) => l.op === op && (t === undefined || String(l.threads) === t));
const f = (x: number | undefined, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));
const rows = THREADS.map((t) => {
  const k = pick(kofn, 'C_Sign', t);
  const s = pick(softhsm, 'C_Sign', t);
  return [t, f(k?.perSecond), f((k?.perSecond ?? 0) / limit, 2), f(k?.p50Ms, 2), f(k?.p99Ms, 2), f(s?.perSecond),
    f(s?.p50Ms, 2)];
});
const gen = pick(kofn, 'C_GenerateKeyPair');
const trivialK = pick(kofn, 'C_GetSessionInfo');
const trivialS = pick(softhsm, 'C_GetSessionInfo');
process.stdout.write(`\nRSA-2048 C_Sign (CKM_RSA_PKCS), ${SECONDS} s per level, ${cores} cores\n`);
process.stdout.write(`limit: ${cores} cores / (${K} × t_modexp ${tModexpMs.toFixed(2)} ms) = ${limit.toFixed(0)} signatures/s\n\n`);
process.stdout.write(`${table(['threads', 'kofn /s', 'of limit', 'p50 ms', 'p99 ms', 'SoftHSM2 /s', 'SoftHSM2 p50'], rows)}\n\n`);
process.stdout.write(`C_GetSessionInfo round trip: kofn p50 ${f(trivialK?.p50Ms, 3)} ms (${f(trivialK?.perSecond, 0)}/s on one thread)` +
  `, SoftHSM2 p50 ${f(trivialS?.p50Ms, 4)} ms\n`);
if (gen) process.stdout.write(`C_GenerateKeyPair RSA-2048 with an empty prime pool: ${f(gen.seconds)} s\n`);
