/**
 * npm run bench:zone — a full re-sign by OpenDNSSEC's signer (`ods-signer clear`) of generated
 * zones (default 10,000 and 100,000 names, NSEC, RSASHA256 2048-bit ZSK) through kofn 3-of-5 on loopback
 * and through SoftHSM2, in the same run: RRSIGs per second for each, their ratio, and kofn against the
 * consttime-modexp limit cores / (k × t_modexp).
 *
 * Env: KOFN_BENCH_ZONE_SIZES (e.g. 10000,100000), KOFN_BENCH_SIGNER_THREADS (conf.xml <SignerThreads>).
 * Needs OpenDNSSEC (apt-get install opendnssec opendnssec-enforcer-sqlite3 opendnssec-signer) and softhsm2.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../src/threshold/native.js';
import { generateZone, Ods } from '../test/e2e/helpers/ods.js';
import { MODULE, startTokenService, USER_PIN } from '../test/helpers/token-service.js';
import { modexpMs, table } from './stats.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const SIZES = (process.env.KOFN_BENCH_ZONE_SIZES ?? '10000,100000').split(',').map(Number);
const THREADS = Number(process.env.KOFN_BENCH_SIGNER_THREADS ?? '8');
const K = 3;

interface Figure { names: number; rrsigs: number; seconds: number; perSecond: number }

/** Adds each zone, lets the signer finish its first signing, then times one full re-sign of it. */
async function measure(label: string, ods: Ods): Promise<Figure[]> {
  const out: Figure[] = [];
  await ods.startEnforcer();
  await ods.startSigner();
  try {
    for (const names of SIZES) {
      const zone = `z${names}.bench.test`;
      process.stderr.write(`${label}: ${names} names: first signing...\n`);
      await ods.addZone(zone, 'kofn-nsec', generateZone(zone, names));
      await ods.waitFor('signings', zone, 0, 7_200_000);
      process.stderr.write(`${label}: ${names} names: full re-sign...\n`);
      const before = ods.signings(zone);
      const t0 = process.hrtime.bigint();
      await ods.resign(zone);
      await ods.waitFor('signings', zone, before, 7_200_000);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const stats = ods.stats(zone).pop() ?? '';
      const rrsigs = Number(/RRSIG\[new=(\d+)/.exec(stats)?.[1] ?? 0);
      out.push({ names, rrsigs, seconds, perSecond: rrsigs / seconds });
    }
  } finally {
    await ods.stop();
  }
  return out;
}

const n = BigInt(`0x${randomBytes(256).toString('hex')}`) | (1n << 2047n) | 1n;
const tModexpMs = modexpMs(native.modulus(n));
const cores = availableParallelism();
const limit = cores / (K * (tModexpMs / 1000));
const work = mkdtempSync(join(tmpdir(), 'kofn-bench-zone-'));

let softhsm: Figure[] = [];
let kofn: Figure[] = [];
try {
  const shDir = join(work, 'softhsm');
  mkdirSync(join(shDir, 'tokens'), { recursive: true });
  writeFileSync(join(shDir, 'softhsm2.conf'), `directories.tokendir = ${shDir}/tokens\nobjectstore.backend = file\n`);
  const shEnv = { ...process.env, SOFTHSM2_CONF: join(shDir, 'softhsm2.conf') };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'ods', '--so-pin', '12345678', '--pin', USER_PIN],
    { env: shEnv, stdio: 'ignore' });
  const sh = new Ods({ dir: join(work, 'ods-softhsm'), module: SOFTHSM, env: shEnv, signerThreads: THREADS,
    repository: { module: SOFTHSM, token: 'ods', pin: USER_PIN } });
  sh.setup();
  softhsm = await measure('SoftHSM2', sh);

  process.stderr.write('starting a 3-of-5 cluster and the token service...\n');
  const svc = await startTokenService({ primePool: '2048:2' });
  try {
    const ods = new Ods({ dir: join(work, 'ods-kofn'), module: MODULE, env: svc.env, signerThreads: THREADS });
    ods.setup();
    kofn = await measure('kofn', ods);
  } finally {
    await svc.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const f = (x: number | undefined, digits = 0) => (x === undefined ? '-' : x.toFixed(digits));
const rows = SIZES.map((names) => {
  const k = kofn.find((x) => x.names === names);
  const s = softhsm.find((x) => x.names === names);
  return [String(names), f(k?.rrsigs), f(k?.seconds, 1), f(k?.perSecond), f((k?.perSecond ?? 0) / limit, 2),
    f(s?.seconds, 1), f(s?.perSecond), s && k ? f(k.perSecond / s.perSecond, 3) : '-'];
});
process.stdout.write(`\nods-signer full re-sign, NSEC, RSASHA256-2048, <SignerThreads>${THREADS}, ${cores} cores\n`);
process.stdout.write(`limit for kofn: ${cores} cores / (${K} × t_modexp ${tModexpMs.toFixed(2)} ms) = ` +
  `${limit.toFixed(0)} signatures/s\n\n`);
process.stdout.write(`${table(['names', 'RRSIGs', 'kofn s', 'kofn /s', 'of limit', 'SoftHSM2 s', 'SoftHSM2 /s',
  'kofn ÷ SoftHSM2'], rows)}\n`);
