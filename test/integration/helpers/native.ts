/** Building and running the shim's C test programs (native/test/*.c) from mocha. */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Compiles native/test/<name>.c into dir; returns the program's path. */
export function compileTestProgram(name: string, dir: string): string {
  const out = join(dir, name);
  execFileSync('cc', ['-std=c11', '-O1', '-g', '-Wall', '-Wextra', '-Werror', '-pthread',
    '-I', join(ROOT, 'native/include'), '-I', join(ROOT, 'native/src/pkcs11'),
    join(ROOT, 'native/test', `${name}.c`), '-o', out], { stdio: 'pipe' });
  return out;
}

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking the event loop (a fake service in this process must answer it). */
export async function run(
  program: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const c = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.once('error', reject);
    c.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
