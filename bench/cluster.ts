/**
 * npm run bench:cluster — a 3-of-5 cluster of node processes on loopback, RSA-2048, signatures
 * through the coordinator at concurrency 1/2/8/32, beside the limit measured in the same run:
 * cores / (k × t_modexp), t_modexp one BN_mod_exp_mont_consttime with a full-length exponent.
 *
 * Goals (issue: nodes): ≥ 0.8 × limit at concurrency ≥ 8; p50 at concurrency 1 ≤ 2 × t_modexp + 1 ms.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCluster } from '../src/cluster/cluster-file.js';
import { initCluster } from '../src/cluster/init.js';
import { CLI_PATH, LocalCluster } from '../src/cluster/processes.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { generateKey, messageRepresentative } from '../src/threshold/rsa/index.js';
import { cpuMs, modexpMs, table } from './stats.js';

const N = 5;
const K = 3;
const SECONDS = Number(process.env.KOFN_BENCH_SECONDS ?? 5);
const LEVELS = (process.env.KOFN_BENCH_LEVELS ?? '1,2,8,32').split(',').map(Number);
const WARMUP_SECONDS = Number(process.env.KOFN_BENCH_WARMUP_SECONDS ?? 15);

const dir = mkdtempSync(join(tmpdir(), 'kofn-bench-'));
process.stderr.write(`starting a ${K}-of-${N} cluster in ${dir}...\n`);
await initCluster({ dir, nodes: N, threshold: K });
const cluster = loadCluster(dir);
// KOFN_BENCH_CPU_SCHEDULING=normal runs the nodes under the default policy instead of SCHED_BATCH.
const scheduling = process.env.KOFN_BENCH_CPU_SCHEDULING;
if (scheduling !== undefined) for (const config of cluster.nodeConfigs.values()) appendFileSync(config, `cpuScheduling: ${scheduling}\n`);
const local = new LocalCluster(cluster);
// KOFN_BENCH_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", is passed to every node process.
const nodeFlags = (process.env.KOFN_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0);
await local.startAll(
  nodeFlags.length > 0 ? { argv: (config) => [...nodeFlags, CLI_PATH, 'node', 'start', '--config', config] } : {},
);
const coordinator = new Coordinator({ tls: cluster.tlsFor('coordinator'), nodes: cluster.endpoints, log: () => {} });

try {
  const dealt = await generateKey({ bits: 2048, shares: N, threshold: K });
  const key = await coordinator.installKey('bench-2048', dealt, local.ids);
  const tModexpMs = modexpMs(dealt.publicKey.modulus);
  for (const s of dealt.shares) s.destroy();
  const cores = availableParallelism();
  const limit = cores / (K * (tModexpMs / 1000));

  const xs = Array.from({ length: 4096 }, (_, i) => {
    const digest = createHash('sha256').update(`www${i}.example. 300 IN A 192.0.2.1`).digest();
    return messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, 2048);
  });
  // Warm-up: TLS sessions, the share cache of every node, and above all V8, until it has optimized
  // the hot paths of the coordinator and every node, since a daemon's steady state is what the goals
  // are about. With only a thousand signatures, TurboFan was still compiling node code through the
  // first levels (perf: 4 % of all CPU on its threads at concurrency 1) and concurrency 1 kept
  // improving for about 15 s. Rounds alternate one at a time, which reaches the three fastest
  // nodes, with 32 at once, which reaches all five.
  const warmupUntil = performance.now() + WARMUP_SECONDS * 1000;
  let warmed = 0;
  for (let round = 0; round === 0 || performance.now() < warmupUntil; round++) {
    const c = round % 2 === 0 ? 1 : 32;
    const roundUntil = performance.now() + (c === 1 ? 2000 : 1000);
    await Promise.all(
      Array.from({ length: c }, async (_, j) => {
        for (let i = 0; i < 5 || performance.now() < roundUntil; i++) {
          await coordinator.sign(key, xs[(warmed++ * 31 + j) % xs.length] ?? 1n);
        }
      }),
    );
  }

  const rows: string[][] = [];
  const results = new Map<number, { rate: number; p50: number; p99: number }>();
  const pids = local.ids.map((id) => local.pid(id) ?? 0);
  for (const c of LEVELS) {
    const lat: number[] = [];
    let next = 0;
    const until = performance.now() + SECONDS * 1000;
    const started = performance.now();
    const cpuBefore = cpuMs(pids);
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (performance.now() < until) {
          const x = xs[next++ % xs.length] ?? 1n;
          const t0 = performance.now();
          await coordinator.sign(key, x);
          lat.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const cpuAfter = cpuMs(pids);
    const cpu = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : (cpuAfter - cpuBefore) / lat.length;
    lat.sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
    const r = { rate: lat.length / elapsed, p50: pct(0.5), p99: pct(0.99) };
    results.set(c, r);
    rows.push([
      String(c), r.rate.toFixed(1), `${r.p50.toFixed(2)} ms`, `${r.p99.toFixed(2)} ms`, (r.rate / limit).toFixed(2),
      Number.isNaN(cpu) ? '—' : `${cpu.toFixed(2)} ms`,
    ]);
  }

  console.log(
    `\nkofn cluster, ${K}-of-${N} node processes on loopback, RSA-2048, ${SECONDS} s per level ` +
    `after a ${WARMUP_SECONDS} s warm-up (${warmed} signatures)`,
  );
  console.log(`t_modexp (BN_mod_exp_mont_consttime, 2048-bit exponent, median of 7 batches) = ${tModexpMs.toFixed(3)} ms`);
  console.log(`limit = ${cores} cores / (${K} × t_modexp) = ${limit.toFixed(0)} signatures/s\n`);
  console.log(table(['concurrency', 'signatures/s', 'p50', 'p99', '÷ limit', 'CPU/signature'], rows));
  const needCpu = (cores / (0.8 * limit)) * 1000;
  console.log(
    `\nCPU/signature: user + system time of the coordinator and all nodes; the floor is ${K} × t_modexp = ` +
    `${(K * tModexpMs).toFixed(2)} ms, and 0.8 × limit needs ≤ ${needCpu.toFixed(2)} ms.`,
  );
  // "At concurrency ≥ 8": every such level must reach it, not only the best one.
  const high = LEVELS.filter((c) => c >= 8).map((c) => results.get(c)?.rate ?? 0);
  const worst = high.length > 0 ? Math.min(...high) : Number.NaN;
  const p50at1 = results.get(1)?.p50 ?? Number.NaN;
  const verdict = (ok: boolean, measured: number) => (Number.isNaN(measured) ? 'not measured' : ok ? 'met' : 'NOT met');
  console.log(
    `\ngoals: throughput ≥ 0.8 × limit at every concurrency ≥ 8: ${verdict(worst >= 0.8 * limit, worst)} ` +
    `(${(worst / limit).toFixed(2)}); p50 at concurrency 1 ≤ 2 × t_modexp + 1 ms = ` +
    `${(2 * tModexpMs + 1).toFixed(2)} ms: ${verdict(p50at1 <= 2 * tModexpMs + 1, p50at1)} (${p50at1.toFixed(2)} ms)`,
  );
} finally {
  coordinator.close();
  await local.stopAll();
  rmSync(dir, { recursive: true, force: true });
}
