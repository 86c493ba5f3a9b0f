/**
 * kofn audit against a real 3-of-5 cluster: a node that lost a share and a node that is down are
 * each named, a key below k proven shares is "at risk" with a failing exit status, and a node log
 * edited on disk is caught by the chain check.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadCluster } from '../../src/cluster/cluster-file.js';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { NodeClient } from '../../src/coordinator/node-client.js';
import { loadNodeConfig } from '../../src/node/config.js';
import { startTokenService, type TestTokenService, USER_PIN } from '../helpers/token-service.js';

interface SharesJson {
  keys: { label: string; keyId: string; proven: number; state: string; shares: { node: string; status: string }[] }[];
}

describe('kofn audit', function () {
  this.timeout(300_000);
  let ts: TestTokenService | undefined;
  const svc = (): TestTokenService => {
    if (ts === undefined) throw new Error('the token service is not running');
    return ts;
  };
  const kofn = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8', env: svc().env });
  const shares = () => {
    const r = kofn('audit', 'shares', '--dir', svc().dir, '--json');
    return { status: r.status, out: JSON.parse(r.stdout) as SharesJson };
  };

  before(async () => {
    ts = await startTokenService({ primePool: '2048:2' });
    const pin = join(ts.dir, 'pin');
    writeFileSync(pin, `${USER_PIN}\n`, { mode: 0o600 });
    for (const label of ['audit-a', 'audit-b']) {
      const r = kofn('token', 'keygen', '--socket', ts.socket, '--label', label, '--pin-file', pin);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  after(async () => {
    await ts?.close();
  });

  it('audit keys lists every key with its size, threshold and origin', () => {
    const r = kofn('audit', 'keys', '--dir', svc().dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /kofn\s+audit-a\s+[0-9a-f]+\s+RSA\s+2048\s+3\/5\s+generated\s+none \(C_GenerateKeyPair/);
    assert.match(r.stdout, /audit-b/);
  });

  it('audit shares proves every share of a healthy cluster', () => {
    const { status, out } = shares();
    assert.equal(status, 0);
    assert.deepEqual(out.keys.map((k) => [k.label, k.proven, k.state]), [['audit-a', 5, 'ok'], ['audit-b', 5, 'ok']]);
  });

  it('names a node that lost a share and a node that is down, and calls the key degraded', async () => {
    const a = shares().out.keys.find((k) => k.label === 'audit-a');
    assert.ok(a);
    const cluster = loadCluster(svc().dir);
    const ep = cluster.endpoints.find((e) => e.id === 'node2');
    assert.ok(ep);
    const c = new NodeClient(ep, cluster.tlsFor('ceremony'));
    try {
      await c.deleteShare({ key_id: a.keyId }, 5000);
    } finally {
      c.close();
    }
    await svc().cluster.kill('node4');

    const { status, out } = shares();
    assert.equal(status, 0, 'degraded is not at risk');
    const key = out.keys.find((k) => k.label === 'audit-a');
    assert.deepEqual([key?.proven, key?.state], [3, 'degraded']);
    assert.deepEqual(key?.shares.map((s) => `${s.node}:${s.status}`),
      ['node1:proven', 'node2:missing', 'node3:proven', 'node4:unreachable', 'node5:proven']);
    assert.equal(out.keys.find((k) => k.label === 'audit-b')?.state, 'degraded');

    const table = kofn('audit', 'shares', 'audit-a', '--dir', svc().dir);
    assert.match(table.stdout, /#2\s+node2\s+[0-9a-f]{16}\s+missing/);
    assert.match(table.stdout, /#4\s+node4\s+[0-9a-f]{16}\s+unreachable/);
    assert.match(table.stdout, /DEGRADED/);
    assert.equal(kofn('audit', 'shares', '--dir', svc().dir, '--strict').status, 1);
  });

  it('calls a key with fewer than k proven shares at risk and exits 1', async () => {
    await svc().cluster.kill('node5');
    const { status, out } = shares();
    assert.equal(status, 1);
    assert.deepEqual(out.keys.map((k) => [k.label, k.state]), [['audit-a', 'at-risk'], ['audit-b', 'degraded']]);
    const r = kofn('audit', 'shares', '--dir', svc().dir);
    assert.match(r.stdout, /AT RISK/);
    await svc().cluster.start('node4');
    await svc().cluster.start('node5');
  });

  it('audit node-log verifies every node\'s chain, and finds an entry edited on disk', async () => {
    const ok = kofn('audit', 'node-log', '--dir', svc().dir);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.equal(ok.stdout.match(/\bok\b/g)?.length, 5);

    const config = loadCluster(svc().dir).nodeConfigs.get('node3');
    assert.ok(config);
    await svc().cluster.stop('node3');
    const db = new Database(loadNodeConfig(config).data);
    db.prepare('UPDATE audit SET outcome = outcome || \' (edited)\' WHERE seq = (SELECT min(seq) + 1 FROM audit)').run();
    const seq = (db.prepare('SELECT min(seq) + 1 AS s FROM audit').get() as { s: number }).s;
    db.close();
    await svc().cluster.start('node3');

    const bad = kofn('audit', 'node-log', '--dir', svc().dir);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, new RegExp(`node3\\s+BROKEN\\s+\\d*\\s+at seq ${seq}`));
    assert.equal(bad.stdout.match(/\bok\b/g)?.length, 4);
  });
});
