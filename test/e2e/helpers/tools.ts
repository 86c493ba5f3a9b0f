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

/** Call from a `before` hook: skips (or in CI fails) the suite when a tool is missing. */
export function requireTools(ctx: Mocha.Context, tools: readonly string[], install: string): void {
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length === 0) return;
  const line = `missing ${missing.join(', ')}: ${install}`;
  if (process.env.KOFN_E2E_REQUIRED === '1') throw new Error(`${line} (KOFN_E2E_REQUIRED=1)`);
  process.stderr.write(`    skipped: ${line}\n`);
  ctx.skip();
}
