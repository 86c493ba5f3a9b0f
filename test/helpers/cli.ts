/** The kofn CLI in its own process, without blocking the test's event loop (its services run in it). */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI_PATH } from '../../src/cluster/processes.js';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export async function runKofn(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const c = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [status] = (await once(c, 'close')) as [number | null];
  return { status, stdout, stderr };
}
