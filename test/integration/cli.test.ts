import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from '../../src/cluster/processes.js';

function kofn(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('The kofn command line', function () {
  this.timeout(60_000);

  it('lists its commands', () => {
    const r = kofn('--help');
    assert.equal(r.status, 0);
    for (const c of ['node init', 'node start', 'node log verify', 'cluster init', 'cluster up', 'cluster status']) {
      assert.ok(r.stdout.includes(c), c);
    }
  });

  it('answers user mistakes with one line and status 2', () => {
    const cases = [
      kofn('node', 'start', '--config', '/nonexistent/node.yaml'),
      kofn('node', 'start'),
      kofn('node', 'start', '--bogus'),
      kofn('cluster', 'init', '--nodes', 'five'),
      kofn('cluster', 'status', '--dir', '/nonexistent'),
      kofn('frobnicate'),
    ];
    for (const r of cases) {
      assert.equal(r.status, 2, r.stderr);
      assert.ok(r.stderr.startsWith('kofn'), r.stderr);
      if (!r.stderr.includes('unknown command')) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('initialises a node whose secrets are private to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kofn-cli-'));
    try {
      const r = kofn('node', 'init', '--dir', join(dir, 'n1'), '--id', 'n1');
      assert.equal(r.status, 0, r.stderr);
      for (const f of ['node.key', 'node.kek', 'node.db']) {
        assert.equal(statSync(join(dir, 'n1', f)).mode & 0o777, 0o600, f);
      }
      const again = kofn('node', 'init', '--dir', join(dir, 'n1'), '--id', 'n1');
      assert.equal(again.status, 2);
      assert.match(again.stderr, /already exists/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kofn cluster up', function () {
  this.timeout(120_000);

  it('starts a local cluster in the foreground, reports it healthy, and stops every node on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kofn-up-'));
    const child = spawn(process.execPath, [CLI_PATH, 'cluster', 'up', '--dir', dir, '--nodes', '3', '--threshold', '2']);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const until = Date.now() + 60_000;
      while (!out.includes('Ctrl-C stops all nodes')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`cluster up did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
      assert.equal(pids.length, 3);
      const status = kofn('cluster', 'status', '--dir', dir);
      assert.equal(status.status, 0, status.stdout + status.stderr);
      assert.equal(status.stdout.match(/ up /g)?.length, 3, status.stdout);
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
      assert.match(out, /all nodes stopped/);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'node process left running');
      const down = kofn('cluster', 'status', '--dir', dir);
      assert.equal(down.status, 1);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start a node whose key-encryption key file is readable by others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kofn-perm-'));
    try {
      assert.equal(kofn('cluster', 'init', '--dir', dir, '--nodes', '1', '--threshold', '1').status, 0);
      chmodSync(join(dir, 'nodes/node1/node.kek'), 0o644);
      const r = kofn('node', 'start', '--config', join(dir, 'nodes/node1/node.yaml'));
      assert.equal(r.status, 2);
      assert.match(r.stderr, /must not be readable by group or others.*chmod 600/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
