/** Small timing helpers for benchmarks: medians of per-operation samples, never asserted in tests. */
import { readFileSync } from 'node:fs';
import { type ModulusHandle, native } from '../src/threshold/native.js';

export interface Measure {
  /** Median time per operation, in microseconds. */
  medianUs: number;
  samples: number;
}

/** Runs `op` until `minMs` have passed and at least `minRuns` samples exist, after a warm-up. */
export async function measure(
  op: () => unknown,
  { minMs = 1000, minRuns = 20, warmup = 3 } = {},
): Promise<Measure> {
  for (let i = 0; i < warmup; i++) await op();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || performance.now() - start < minMs) {
    const t = process.hrtime.bigint();
    await op();
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { medianUs: samples[Math.floor(samples.length / 2)] ?? Number.NaN, samples: samples.length };
}

export function fmtUs(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us.toFixed(1)} µs`;
}

/** Prints rows as an aligned table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * CPU time (user + system) consumed so far by this process and the given child processes, in
 * milliseconds; undefined where /proc is not there to read the children. Throughput at saturation
 * is cores ÷ CPU per operation, and CPU time is steadier than wall time on a shared machine.
 */
export function cpuMs(pids: readonly number[]): number | undefined {
  const self = process.cpuUsage();
  let ms = (self.user + self.system) / 1000;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th, in ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  }
  return ms;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/**
 * t_modexp in milliseconds: one BN_mod_exp_mont_consttime with a random full-length exponent, the
 * median of several batches, so that a moment of interference on a shared machine moves neither the
 * limit nor the goals derived from it.
 */
export function modexpMs(mod: ModulusHandle, batches = 7, perBatch = 60): number {
  const ms = Array.from({ length: batches }, () => native.benchModexpConsttime(mod, perBatch) / 1e6);
  ms.sort((a, b) => a - b);
  return ms[Math.floor(batches / 2)] ?? Number.NaN;
}
