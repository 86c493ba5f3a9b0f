/**
 * External tools of the e2e tests. In CI (KOFN_E2E_REQUIRED=1, set by .ci/run) a missing tool fails the
 * suite; on a developer's machine the suite is skipped with one line saying how to install the tool.
 */
import { execFileSync } from 'node:child_process';

export function which(tool: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Skips the suite with one line saying why, or in CI (KOFN_E2E_REQUIRED=1) fails it. */
export function unavailable(ctx: Mocha.Context, why: string, cause?: unknown): never {
  if (process.env.KOFN_E2E_REQUIRED === '1') throw new Error(`${why} (KOFN_E2E_REQUIRED=1)`, { cause });
  process.stderr.write(`    skipped: ${why}\n`);
  ctx.skip();
}

/** Call from a `before` hook: skips (or in CI fails) the suite when a tool is missing. */
export function requireTools(ctx: Mocha.Context, tools: readonly string[], install: string): void {
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length > 0) unavailable(ctx, `missing ${missing.join(', ')}: ${install}`);
}
