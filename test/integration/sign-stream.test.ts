import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { KeyPlacement } from '../../src/coordinator/coordinator.js';
import { NodeClient } from '../../src/coordinator/node-client.js';
import { fromBytes, toBytes } from '../../src/node/rpc/convert.js';
import {
  KeyShareNodeService,
  MAX_STREAM_IN_FLIGHT,
  type SignShareRequest,
  type SignShareResult__Output,
  type SignStreamRequest,
  type SignStreamResponse__Output,
} from '../../src/node/rpc/schema.js';
import { i2osp } from '../../src/threshold/bytes.js';
import { messageRepresentative, verifyShareProof } from '../../src/threshold/rsa/index.js';
import { destroyAll, testKey } from '../helpers/keys.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

const REVISION2_NODE = fileURLToPath(new URL('./helpers/revision2-node.js', import.meta.url));

function representative(key: KeyPlacement, text: string): bigint {
  const digest = createHash('sha256').update(text).digest();
  return messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, key.publicKey.bits);
}

function opensslVerifies(key: KeyPlacement, y: bigint, text: string): boolean {
  return verify('sha256', Buffer.from(text), key.publicKey.toKeyObject(), i2osp(y, key.publicKey.bytes));
}

/** Writes every request on one SignStream, half-closes, and collects the answers and the end status. */
function exchange(
  node: NodeClient,
  requests: SignStreamRequest[],
): Promise<{ results: Map<number, SignShareResult__Output>; status: grpc.StatusObject }> {
  return new Promise((resolve, reject) => {
    const results = new Map<number, SignShareResult__Output>();
    const call = node.client.SignStream({ deadline: Date.now() + 60_000 });
    call.on('data', (m: SignStreamResponse__Output) => {
      if (results.has(m.id)) reject(new Error(`id ${m.id} answered twice`));
      if (m.result) results.set(m.id, m.result);
    });
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => resolve({ results, status }));
    for (const r of requests) call.write(r);
    call.end();
  });
}

describe('SignStream: signature shares on one long-lived stream (node protocol revision 3)', function () {
  this.timeout(180_000);
  let t: TestCluster;
  let key: KeyPlacement;
  let node1: NodeClient;

  function auditTail(n: number): { rpc: string; key_id: string; input_sha256: string; outcome: string }[] {
    const db = new Database(`${t.dir}/nodes/node1/node.db`, { readonly: true });
    try {
      return db
        .prepare('SELECT rpc, key_id, input_sha256, outcome FROM audit ORDER BY seq DESC LIMIT ?')
        .all(n) as { rpc: string; key_id: string; input_sha256: string; outcome: string }[];
    } finally {
      db.close();
    }
  }

  before(async () => {
    t = await startTestCluster(3, 2, { healthIntervalMs: 0 });
    const dealt = await testKey({ bits: 2048, shares: 3, threshold: 2 });
    key = await t.coordinator.installKey('stream-key', dealt, t.local.ids);
    destroyAll(dealt);
    const endpoint = t.cluster.endpoints.find((e) => e.id === 'node1');
    assert.ok(endpoint);
    node1 = new NodeClient(endpoint, t.cluster.tlsFor('coordinator'));
  });

  after(async () => {
    node1?.close();
    await t?.close();
  });

  it('answers each item under its own id and refuses bad items one by one without ending the stream', async () => {
    const x = representative(key, 'www.example. 300 IN A 192.0.2.1');
    const good: SignShareRequest = { key_id: 'stream-key', x: toBytes(x), with_proof: false };
    const requests: SignStreamRequest[] = [
      { id: 7, item: good },
      { id: 8, item: { key_id: 'absent-key', x: toBytes(x), with_proof: false } },
      { id: 9 },
      { id: 10, item: { key_id: 'stream-key', x: toBytes(key.publicKey.n), with_proof: false } },
      { id: 11, item: { key_id: '../etc/passwd', x: toBytes(x), with_proof: false } },
      { id: 12, item: { ...good, with_proof: true } },
    ];
    const { results, status } = await exchange(node1, requests);
    assert.equal(status.code, grpc.status.OK, status.details);
    assert.deepEqual([...results.keys()].sort((a, b) => a - b), [7, 8, 9, 10, 11, 12]);
    const codes = Object.fromEntries([...results].map(([id, r]) => [id, grpc.status[r.code]]));
    assert.deepEqual(codes, {
      7: 'OK', 8: 'NOT_FOUND', 9: 'INVALID_ARGUMENT', 10: 'INVALID_ARGUMENT', 11: 'INVALID_ARGUMENT', 12: 'OK',
    });
    const plain = results.get(7)?.share;
    const proven = results.get(12)?.share;
    assert.ok(plain && proven?.proof);
    assert.equal(proven.index, 1);
    assert.deepEqual(plain.xi, proven.xi, 'the same x gives the same share');
    const proof = { c: fromBytes(proven.proof.c), z: fromBytes(proven.proof.z) };
    assert.ok(verifyShareProof(key.publicKey, x, 1, fromBytes(proven.xi), proof), 'the share proves itself');

    // One audit entry per item, each with the hash of its own SignShareRequest.
    const entries = auditTail(6);
    assert.ok(entries.every((e) => e.rpc === 'SignStream'), JSON.stringify(entries));
    const serialize = KeyShareNodeService.SignShare?.requestSerialize;
    assert.ok(serialize);
    const hashOf = (r: SignShareRequest) => createHash('sha256').update(serialize(r)).digest('hex');
    const byHash = new Map(entries.map((e) => [e.input_sha256, e]));
    assert.equal(byHash.get(hashOf(good))?.outcome, 'OK');
    assert.match(byHash.get(hashOf(requests[1]?.item ?? good))?.outcome ?? '', /^NOT_FOUND: no share for key absent-key/);
    assert.equal(byHash.get(hashOf({ ...good, with_proof: true }))?.outcome, 'OK');
    assert.match(entries.map((e) => e.outcome).join('\n'), /INVALID_ARGUMENT: item missing/);
  });

  it(`refuses items beyond ${MAX_STREAM_IN_FLIGHT} in flight with RESOURCE_EXHAUSTED and answers every one`, async () => {
    const x = toBytes(representative(key, 'flood'));
    const requests = Array.from({ length: 400 }, (_, i) => ({
      id: i + 1,
      item: { key_id: 'stream-key', x, with_proof: false },
    }));
    const { results, status } = await exchange(node1, requests);
    assert.equal(status.code, grpc.status.OK, status.details);
    assert.equal(results.size, 400);
    const count = (code: grpc.status) => [...results.values()].filter((r) => r.code === Number(code)).length;
    assert.ok(count(grpc.status.OK) >= MAX_STREAM_IN_FLIGHT, `${count(grpc.status.OK)} answered`);
    assert.ok(count(grpc.status.RESOURCE_EXHAUSTED) > 0, 'none refused');
    assert.equal(count(grpc.status.OK) + count(grpc.status.RESOURCE_EXHAUSTED), 400);
  });

  it('signs through the coordinator on streams, and keeps signing after a node restarts', async () => {
    for (let i = 0; i < 20; i++) {
      const text = `a${i}.example. 300 IN A 192.0.2.${i}`;
      const r = await t.coordinator.sign(key, representative(key, text));
      assert.ok(opensslVerifies(key, r.y, text));
    }
    assert.ok(auditTail(200).some((e) => e.rpc === 'SignStream'));
    await t.local.stop('node2');
    await t.local.start('node2');
    // The old stream to node2 ended with the process; the first signatures may spill over to node3.
    const text = 'after.example. 300 IN A 192.0.2.99';
    for (let i = 0; i < 10; i++) {
      assert.ok(opensslVerifies(key, (await t.coordinator.sign(key, representative(key, text))).y, text));
    }
  });

  it('stops a node promptly while a coordinator holds a stream open to it', async () => {
    // node1's NodeClient keeps its stream open after this share.
    const x = toBytes(representative(key, 'warm'));
    assert.equal((await node1.signShare({ key_id: 'stream-key', x, with_proof: false }, 5000)).index, 1);
    const started = performance.now();
    await t.local.stop('node1', 'SIGTERM', 10_000);
    // The node's grace period is 2 s; an idle stream must not hold the shutdown that long.
    assert.ok(performance.now() - started < 1500, `stopping took ${(performance.now() - started).toFixed(0)} ms`);
    await t.local.start('node1');
    // The ended stream is replaced by a new one.
    assert.equal((await node1.signShare({ key_id: 'stream-key', x, with_proof: false }, 5000)).index, 1);
  });
});

describe('A coordinator with a node of protocol revision 2', function () {
  this.timeout(120_000);
  let t: TestCluster;

  after(async () => {
    await t?.close();
  });

  it('falls back to SignShares for that node and signs', async () => {
    t = await startTestCluster(3, 3, { start: false, healthIntervalMs: 0 });
    await Promise.all(t.local.ids.map((id) =>
      t.local.start(id, id === 'node2' ? { argv: (config) => [REVISION2_NODE, '--config', config] } : {})));
    const dealt = await testKey({ bits: 2048, shares: 3, threshold: 3 });
    const key = await t.coordinator.installKey('mixed-key', dealt, t.local.ids);
    destroyAll(dealt);
    for (let i = 0; i < 5; i++) {
      const text = `mixed${i}.example. 300 IN A 192.0.2.${i}`;
      assert.ok(opensslVerifies(key, (await t.coordinator.sign(key, representative(key, text))).y, text));
    }
    const rpcs = (id: string) => {
      const db = new Database(`${t.dir}/nodes/${id}/node.db`, { readonly: true });
      try {
        return (db.prepare('SELECT DISTINCT rpc FROM audit').all() as { rpc: string }[]).map((r) => r.rpc);
      } finally {
        db.close();
      }
    };
    assert.ok(rpcs('node1').includes('SignStream'));
    assert.ok(!rpcs('node2').includes('SignStream'), 'the revision 2 node served no stream');
    assert.ok(rpcs('node2').some((r) => r === 'SignShare' || r === 'SignShares'), rpcs('node2').join(','));
    const status = t.coordinator.status().find((s) => s.id === 'node2');
    assert.equal(status?.state, 'up', status?.lastError);
  });
});
