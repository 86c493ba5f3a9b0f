import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
