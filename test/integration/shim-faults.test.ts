import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ck from '../../src/pkcs11/ck.js';
import { FakeService } from './helpers/fake-token-service.js';
import { P11 } from './helpers/p11.js';

const SLOT0 = Buffer.alloc(8);
const handle = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const RV = (v: bigint) => Number(v);

describe('The shim when the token service fails', function () {
  this.timeout(60_000);
  let dir: string;
  let app: P11 | undefined;
  let fake: FakeService | undefined;
  let n = 0;
  const socket = () => join(dir, `s${++n}.sock`);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-shim-faults-'));
  });

  afterEach(async () => {
    await app?.close();
    await fake?.close();
    app = undefined;
    fake = undefined;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  async function withFake(env: Record<string, string> = {}): Promise<{ app: P11; fake: FakeService }> {
    const path = socket();
    fake = await FakeService.start(path);
    app = await P11.load({ KOFN_SOCKET: path, ...env });
    await app.call('C_Initialize');
    return { app, fake };
  }

  it('initialises without a service and shows one slot without a token until the service is there', async () => {
    const path = socket();
    app = await P11.load({ KOFN_SOCKET: path });
    assert.equal(await app.rv('C_GetInfo'), RV(ck.CKR_CRYPTOKI_NOT_INITIALIZED));
    assert.equal(await app.rv('C_Initialize'), 0);
    const info = await app.call<{ manufacturerID: string; libraryDescription: string }>('C_GetInfo');
    assert.match(info.manufacturerID, /^kofn/);
    assert.match(info.libraryDescription, /^kofn PKCS#11 shim/);
    assert.deepEqual(await app.call('C_GetSlotList', false), [SLOT0]);
    assert.deepEqual(await app.call('C_GetSlotList', true), []);
    const slot = await app.call<{ flags: number }>('C_GetSlotInfo', SLOT0);
    assert.equal(BigInt(slot.flags) & ck.CKF_TOKEN_PRESENT, 0n);
    assert.equal(await app.rv('C_GetSlotInfo', handle(5)), RV(ck.CKR_SLOT_ID_INVALID));
    assert.equal(await app.rv('C_GetTokenInfo', SLOT0), RV(ck.CKR_TOKEN_NOT_PRESENT));
    assert.equal(await app.rv('C_GetMechanismList', SLOT0), RV(ck.CKR_TOKEN_NOT_PRESENT));
    assert.equal(await app.rv('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION)), RV(ck.CKR_TOKEN_NOT_PRESENT));
    assert.equal(await app.rv('C_GetSessionInfo', handle(1)), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.equal(await app.rv('C_GenerateRandom', handle(1), Buffer.alloc(8)), RV(ck.CKR_SESSION_HANDLE_INVALID));

    fake = await FakeService.start(path);
    assert.deepEqual(await app.call('C_GetSlotList', true), [SLOT0]);
    const h = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION));
    assert.equal((await app.call<Buffer>('C_GenerateRandom', h, Buffer.alloc(16))).length, 16);
    assert.equal(await app.rv('C_Finalize'), 0);
  });

  it('returns CKR_DEVICE_REMOVED when the service dies during a call, then answers for itself', async () => {
    const { app, fake } = await withFake();
    const h = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION));
    fake.handlers.set('C_GenerateRandom', () => {
      void fake.close();
      return 'close';
    });
    assert.equal(await app.rv('C_GenerateRandom', h, Buffer.alloc(16)), RV(ck.CKR_DEVICE_REMOVED));
    assert.equal(fake.names().filter((x) => x === 'C_GenerateRandom').length, 1, 'sent once, never retried');
    assert.equal(await app.rv('C_GenerateRandom', h, Buffer.alloc(16)), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.deepEqual(await app.call('C_GetSlotList', true), []);
  });

  it('retries an idempotent call once on a fresh connection when the pooled one died before replying', async () => {
    const { app, fake } = await withFake();
    const h = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION));
    let first = true;
    fake.handlers.set('C_GetSessionInfo', () => {
      if (!first) return { rv: ck.CKR_OK, out: { pInfo: { slotID: 0n, state: 0n, flags: 4n, deviceError: 0n } } };
      first = false;
      return 'close';
    });
    const info = await app.call<{ flags: number }>('C_GetSessionInfo', h);
    assert.equal(info.flags, 4);
    const tries = fake.received.filter((r) => r.call.name === 'C_GetSessionInfo');
    assert.equal(tries.length, 2);
    assert.notEqual(tries[0]?.connection, tries[1]?.connection);

    fake.handlers.set('C_GenerateRandom', () => 'close');
    assert.equal(await app.rv('C_GenerateRandom', h, Buffer.alloc(8)), RV(ck.CKR_DEVICE_REMOVED));
    assert.equal(fake.names().filter((x) => x === 'C_GenerateRandom').length, 1, 'a \'once\' call is not retried');
  });

  it('answers CKR_DEVICE_ERROR to a reply that does not parse and carries on over a new connection', async () => {
    const { app, fake } = await withFake();
    const h = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION));
    fake.handlers.set('C_GetSessionInfo', () => ({ payload: randomBytes(40) }));
    assert.equal(await app.rv('C_GetSessionInfo', h), RV(ck.CKR_DEVICE_ERROR));
    const before = fake.connections;
    fake.handlers.delete('C_GetSessionInfo');
    await app.call('C_GetSessionInfo', h);
    assert.equal(fake.connections, before + 1, 'the connection that carried garbage was not reused');
  });

  it('answers CKR_DEVICE_ERROR when what listens on the socket is not a token service', async () => {
    const path = socket();
    const server = createServer((s) => {
      // The shim hangs up on a stranger at once; a reset on this side is expected, not a failure.
      s.on('error', () => undefined);
      s.resume();
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      app = await P11.load({ KOFN_SOCKET: path });
      await app.call('C_Initialize');
      assert.equal(await app.rv('C_GetSlotList', true), RV(ck.CKR_DEVICE_ERROR));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up on a call after KOFN_CALL_TIMEOUT_MS with CKR_DEVICE_ERROR and closes its connection', async () => {
    const { app, fake } = await withFake({ KOFN_CALL_TIMEOUT_MS: '300' });
    const h = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION));
    fake.handlers.set('C_GetSessionInfo', () => 'hang');
    const t0 = Date.now();
    assert.equal(await app.rv('C_GetSessionInfo', h), RV(ck.CKR_DEVICE_ERROR));
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 5000, `${took} ms`);
    fake.handlers.delete('C_GetSessionInfo');
    const before = fake.connections;
    await app.call('C_GetSessionInfo', h);
    assert.equal(fake.connections, before + 1);
  });

  it('waits KOFN_SLOW_CALL_TIMEOUT_MS, not KOFN_CALL_TIMEOUT_MS, for key generation', async () => {
    const { app, fake } = await withFake({ KOFN_CALL_TIMEOUT_MS: '200', KOFN_SLOW_CALL_TIMEOUT_MS: '1500' });
    const h = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION));
    const keygen = () => app.rv('C_GenerateKeyPair', h, { mechanism: RV(ck.CKM_RSA_PKCS_KEY_PAIR_GEN), parameter: null },
      [{ type: RV(ck.CKA_MODULUS_BITS), value: 4096 }], [{ type: RV(ck.CKA_SIGN), value: true }]);
    fake.handlers.set('C_GenerateKeyPair', async () => {
      await new Promise((r) => setTimeout(r, 600));
      return { rv: ck.CKR_OK, out: { phPublicKey: 7n, phPrivateKey: 8n } };
    });
    assert.equal(await keygen(), RV(ck.CKR_OK), 'slower than the call timeout, within the slow-call timeout');
    fake.handlers.set('C_GenerateKeyPair', () => 'hang');
    const t0 = Date.now();
    assert.equal(await keygen(), RV(ck.CKR_DEVICE_ERROR));
    const took = Date.now() - t0;
    assert.ok(took >= 1400 && took < 6000, `${took} ms`);
  });

  it('does not send session calls across a service restart, and moves session-less calls to the new epoch', async () => {
    const { app, fake } = await withFake();
    const h = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION));
    const old = fake.epoch;
    fake.epoch = old + 1n;
    fake.dropConnections();
    const sent = fake.received.length;
    assert.equal(await app.rv('C_GetSessionInfo', h), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.equal(await app.rv('C_GenerateRandom', h, Buffer.alloc(8)), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.equal(await app.rv('C_CloseSession', h), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.equal(await app.rv('C_CloseAllSessions', SLOT0), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.equal(fake.received.length, sent, 'none of them was sent');

    const h2 = await app.call<Buffer>('C_OpenSession', SLOT0, RV(ck.CKF_SERIAL_SESSION));
    await app.call('C_GetSessionInfo', h2);
    const last = fake.received.slice(sent);
    assert.deepEqual(last.map((r) => r.call.name), ['C_OpenSession', 'C_GetSessionInfo']);
    for (const r of last) assert.equal(r.epoch, old + 1n);
  });

  it('starts again on a new connection after C_Finalize and C_Initialize, as a new application', async () => {
    const { app, fake } = await withFake();
    await app.call('C_GetSlotList', true);
    const before = fake.connections;
    await app.call('C_Finalize');
    assert.equal(await app.rv('C_GetSlotList', true), RV(ck.CKR_CRYPTOKI_NOT_INITIALIZED));
    await app.call('C_Initialize');
    await app.call('C_GetSlotList', true);
    assert.equal(fake.connections, before + 1);
    const [a, b] = [fake.hellos.at(-2), fake.hellos.at(-1)];
    assert.ok(a && b);
    assert.notEqual(a.instance, b.instance, 'each C_Initialize is a new instance');
    assert.equal(a.pid, b.pid);
  });
});
