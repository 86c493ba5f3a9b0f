import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyPlacement } from '../../src/coordinator/coordinator.js';
import { destroyAll, testKey } from '../helpers/keys.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const SCHED_OTHER = 0;
const SCHED_BATCH = 3;

/** Each thread's scheduling policy (field 41 of /proc/PID/task/TID/stat), by thread id. */
function policies(pid: number): Map<number, number> {
  return new Map(readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and ends at the last ')', start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(tid), Number(fields[41 - 3])];
  }));
}

describe('Node CPU scheduling (cpuScheduling in the node configuration)', function () {
  this.timeout(120_000);
  let t: TestCluster;
  let key: KeyPlacement;

  before(async function () {
    if (process.platform !== 'linux') this.skip(); // SCHED_BATCH and /proc are Linux's
    t = await startTestCluster(2, 2, { start: false, healthIntervalMs: 0 });
    appendFileSync(join(t.dir, 'nodes', 'node2', 'node.yaml'), 'cpuScheduling: normal\n');
    await t.local.startAll();
    const dealt = await testKey({ bits: 2048, shares: 2, threshold: 2 });
    key = await t.coordinator.installKey('sched-key', dealt, t.local.ids);
    destroyAll(dealt);
    // 2-of-2: every signature takes a share from each node, some of them at the same time.
    await Promise.all(Array.from({ length: 8 }, (_, i) => t.coordinator.sign(key, BigInt(1000 + i))));
  });

  after(async () => {
    await t?.close();
  });

  it('runs the event loop and every pool thread that signed under SCHED_BATCH by default', () => {
    const pid = t.local.pid('node1');
    assert.ok(pid !== undefined);
    const threads = policies(pid);
    assert.equal(threads.get(pid), SCHED_BATCH);
    // The pool threads that computed shares moved themselves; V8's helper threads keep the default.
    assert.ok([...threads].some(([tid, policy]) => tid !== pid && policy === SCHED_BATCH), 'no pool thread under SCHED_BATCH');
    assert.match(readFileSync(t.local.logFile('node1'), 'utf8'), /CPU scheduling batch\)/);
  });

  it('leaves every thread under the default policy with cpuScheduling: normal', () => {
    const pid = t.local.pid('node2');
    assert.ok(pid !== undefined);
    assert.deepEqual(new Set(policies(pid).values()), new Set([SCHED_OTHER]));
    assert.match(readFileSync(t.local.logFile('node2'), 'utf8'), /CPU scheduling normal\)/);
  });
});
