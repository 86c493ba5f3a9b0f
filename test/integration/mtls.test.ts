import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, createSecureContext } from 'node:tls';
import {
  KeyShareNodeClient,
  RPC_NAMES,
  type RpcName,
  type SignStreamResponse__Output,
} from '../../src/node/rpc/schema.js';
import { RPC_ROLES } from '../../src/node/rpc/authz.js';
import { createCa, issueCertificate, readPrivateFile, ROLES } from '../../src/pki/index.js';
import { startTestCluster, type TestCluster } from './helpers/cluster.js';

type Creds = { certPem?: string; keyPem?: string };

const REQUESTS: Record<RpcName, object> = {
  InstallShare: { key_id: 'k1', index: 1, public_key: null, sealed: null },
  SignShare: { key_id: 'k1', x: Buffer.from([2]), with_proof: false },
  SignShares: { items: [{ key_id: 'k1', x: Buffer.from([2]), with_proof: false }] },
  SignStream: { id: 1, item: { key_id: 'k1', x: Buffer.from([2]), with_proof: false } },
  DeleteShare: { key_id: 'k1' },
  ListShares: {},
  ProveShare: { key_id: 'k1', challenge: randomBytes(32) },
  ReadAuditLog: { after_seq: 0, limit: 1 },
  Health: {},
};

describe('Node access control over mutual TLS', function () {
  this.timeout(120_000);
  let t: TestCluster;
  let caPem: string;
  let address: string;
  const clients: KeyShareNodeClient[] = [];

  function client(creds: Creds): KeyShareNodeClient {
    const ctx = createSecureContext({ ca: caPem, cert: creds.certPem, key: creds.keyPem, minVersion: 'TLSv1.3' });
    const c = new KeyShareNodeClient(
      address,
      grpc.credentials.createFromSecureContext(ctx, { checkServerIdentity: () => undefined }),
      { 'grpc.ssl_target_name_override': 'node1' },
    );
    clients.push(c);
    return c;
  }

  /** The call's error status, or null; for SignStream, the stream's end status or the one item's result. */
  function call(c: KeyShareNodeClient, rpc: RpcName, req: object = REQUESTS[rpc]): Promise<grpc.ServiceError | null> {
    if (rpc === 'SignStream') return streamCall(c, req);
    return new Promise((resolve) => {
      const method = (c as unknown as Record<string, (...a: unknown[]) => void>)[rpc];
      if (method === undefined) throw new Error(rpc);
      method.call(c, req, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null) => resolve(err));
    });
  }

  function streamCall(c: KeyShareNodeClient, req: object): Promise<grpc.ServiceError | null> {
    return new Promise((resolve) => {
      const stream = c.SignStream({ deadline: Date.now() + 5000 });
      let answer: grpc.ServiceError | null = null;
      stream.on('data', (m: SignStreamResponse__Output) => {
        const r = m.result;
        if (r && r.code !== 0) {
          const fields = { code: r.code, details: r.details, metadata: new grpc.Metadata() };
          answer = Object.assign(new Error(r.details), fields);
        }
      });
      stream.on('error', () => {});
      stream.on('status', (s: grpc.StatusObject) =>
        resolve(s.code === grpc.status.OK ? answer : Object.assign(new Error(s.details), s)));
      stream.write(req);
      stream.end();
    });
  }

  function auditTail(n: number): { caller: string; rpc: string; outcome: string }[] {
    const db = new Database(`${t.dir}/nodes/node1/node.db`, { readonly: true });
    try {
      return (
        db.prepare('SELECT caller, rpc, outcome FROM audit ORDER BY seq DESC LIMIT ?').all(n) as {
          caller: string;
          rpc: string;
          outcome: string;
        }[]
      ).reverse();
    } finally {
      db.close();
    }
  }

  const ca = () => ({
    certPem: caPem,
    keyPem: readPrivateFile(`${t.dir}/ca/ca.key`).toString('utf8'),
  });

  before(async () => {
    // No background health probes: their Health calls would interleave with the audit entries read here.
    t = await startTestCluster(1, 1, { healthIntervalMs: 0 });
    caPem = t.cluster.caPem;
    address = t.cluster.endpoints[0]?.address ?? '';
  });

  after(async () => {
    for (const c of clients) c.close();
    await t?.close();
  });

  async function expectRefusals(creds: Creds, code: grpc.status, label: RegExp, rpcs: readonly RpcName[] = RPC_NAMES) {
    const c = client(creds);
    for (const rpc of rpcs) {
      const err = await call(c, rpc);
      assert.ok(err, `${rpc} was accepted`);
      assert.equal(err.code, code, `${rpc}: ${err.details}`);
      const [entry] = auditTail(1);
      assert.equal(entry?.rpc, rpc);
      assert.match(entry?.outcome ?? '', new RegExp(`^${grpc.status[code]}`));
      assert.match(entry?.caller ?? '', label);
    }
  }

  it('refuses every RPC without a client certificate, with UNAUTHENTICATED and an audit entry', async () => {
    await expectRefusals({}, grpc.status.UNAUTHENTICATED, /^unauthenticated\(no-certificate\)$/);
  });

  it('refuses every RPC from a certificate of another CA', async () => {
    const foreign = await createCa({ clusterId: 'elsewhere' });
    const creds = await issueCertificate({ ca: foreign, identity: 'intruder', roles: [...ROLES] });
    await expectRefusals(creds, grpc.status.UNAUTHENTICATED, /^unauthenticated\(untrusted\)$/);
  });

  it('refuses every RPC from an expired certificate of the cluster CA', async () => {
    const day = 86_400_000;
    const creds = await issueCertificate({
      ca: ca(),
      identity: 'retired',
      roles: [...ROLES],
      notBefore: new Date(Date.now() - 400 * day),
      notAfter: new Date(Date.now() - day),
    });
    await expectRefusals(creds, grpc.status.UNAUTHENTICATED, /^unauthenticated\(expired\)$/);
  });

  it('refuses each RPC to every role the table does not allow, with PERMISSION_DENIED', async () => {
    for (const rpc of RPC_NAMES) {
      const denied = ROLES.filter((r) => !RPC_ROLES[rpc].includes(r));
      if (rpc === 'Health') assert.deepEqual(denied, [], 'Health is open to every cluster role');
      for (const role of denied) {
        const creds = await issueCertificate({ ca: ca(), identity: `${role}-x`, roles: [role] });
        await expectRefusals(creds, grpc.status.PERMISSION_DENIED, new RegExp(`^${role}-x\\[${role}\\]$`), [rpc]);
      }
    }
  });

  it('lets an allowed role past access control (positive control)', async () => {
    const c = client(t.cluster.tlsFor('coordinator'));
    const err = await call(c, 'SignShare');
    assert.equal(err?.code, grpc.status.NOT_FOUND, err?.details);
    const item = await call(c, 'SignStream');
    assert.equal(item?.code, grpc.status.NOT_FOUND, item?.details);
    assert.deepEqual(auditTail(1)[0], {
      caller: 'coordinator[coordinator,dealer]',
      rpc: 'SignStream',
      outcome: 'NOT_FOUND: no share for key k1',
    });
    assert.equal(await call(c, 'Health'), null);
    const auditor = client(t.cluster.tlsFor('auditor'));
    assert.equal(await call(auditor, 'ReadAuditLog'), null);
    assert.equal(auditTail(1)[0]?.rpc, 'ReadAuditLog');
  });

  it('does not speak TLS 1.2', async () => {
    const tls = t.cluster.tlsFor('coordinator');
    const [host, port] = address.split(':');
    const err = await new Promise<Error | undefined>((resolve) => {
      const s = connect({
        host,
        port: Number(port),
        ca: tls.caPem,
        cert: tls.certPem,
        key: tls.keyPem,
        maxVersion: 'TLSv1.2',
        servername: 'node1',
        checkServerIdentity: () => undefined,
      });
      s.once('secureConnect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.once('error', (e: Error) => resolve(e));
    });
    assert.ok(err, 'a TLS 1.2 handshake succeeded');
  });

  it('answers oversized, malformed and unknown requests with an error status and keeps serving', async () => {
    const c = client(t.cluster.tlsFor('coordinator'));
    const big = await call(c, 'SignShare', { key_id: 'k1', x: Buffer.alloc(300 * 1024, 1), with_proof: false });
    assert.equal(big?.code, grpc.status.RESOURCE_EXHAUSTED);
    const raw = (path: string, bytes: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        c.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err));
      });
    const garbage = await raw('/kofn.node.v1.KeyShareNode/SignShare', Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]));
    assert.ok(garbage && garbage.code !== grpc.status.OK);
    const unknown = await raw('/kofn.node.v1.KeyShareNode/ExportShare', Buffer.alloc(0));
    assert.equal(unknown?.code, grpc.status.UNIMPLEMENTED);
    const badKeyId = await call(c, 'SignShare', { key_id: '../../etc/passwd', x: Buffer.from([2]) });
    assert.equal(badKeyId?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(await call(c, 'Health'), null, 'the node still answers');
    const log = readFileSync(t.local.logFile('node1'), 'utf8');
    assert.doesNotMatch(log, /Error:|at .*\.js:\d+/, 'no stack trace in the node log');
  });
});
