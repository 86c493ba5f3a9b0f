import assert from 'node:assert/strict';
import { createPublicKey, constants as cryptoConstants, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as ck from '../../src/pkcs11/ck.js';
import pkcs11js from 'pkcs11js';
import { startTokenService, type TestTokenService, USER_PIN } from '../helpers/token-service.js';
import { compileTestProgram, run } from './helpers/native.js';
import { P11, SHIM } from './helpers/p11.js';

const RV = (v: bigint) => Number(v);

/** The pid of the `kofn token serve` process listening on socket (started by this test's helper). */
function servicePid(socket: string): number {
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.includes('serve') && argv.includes(socket)) return Number(d);
  }
  throw new Error(`no token service on ${socket}`);
}

describe('The shim in front of the real token service', function () {
  this.timeout(180_000);
  let svc: TestTokenService;
  let dir: string;
  let app: P11 | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-shim-service-'));
    svc = await startTokenService();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  after(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(p: P11): Promise<{ slot: Buffer; h: Buffer }> {
    const [slot] = await p.call<Buffer[]>('C_GetSlotList', true);
    assert.ok(slot, 'a slot with a token');
    const h = await p.call<Buffer>('C_OpenSession', slot, RV(ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION));
    return { slot, h };
  }

  it('serves the token to an unchanged PKCS#11 application', async () => {
    app = await P11.load({ KOFN_SOCKET: svc.socket });
    await app.call('C_Initialize');
    const { slot, h } = await open(app);
    const token = await app.call<{ label: string }>('C_GetTokenInfo', slot);
    assert.equal(token.label.trim(), 'kofn');
    await app.call('C_Login', h, RV(ck.CKU_USER), USER_PIN);
    const info = await app.call<{ state: number }>('C_GetSessionInfo', h);
    assert.equal(info.state, RV(ck.CKS_RW_USER_FUNCTIONS));
    const random = await app.call<Buffer>('C_GenerateRandom', h, Buffer.alloc(32));
    assert.equal(random.length, 32);
    await app.call('C_Logout', h);
    await app.call('C_CloseSession', h);
    await app.call('C_Finalize');
  });

  it('generates an RSA key and signs with it (PKCS#1 v1.5 and PSS), verifiable with the public key it reads back', async () => {
    app = await P11.load({ KOFN_SOCKET: svc.socket });
    await app.call('C_Initialize');
    const { h } = await open(app);
    await app.call('C_Login', h, RV(ck.CKU_USER), USER_PIN);
    const pair = await app.call<{ publicKey: Buffer; privateKey: Buffer }>('C_GenerateKeyPair', h,
      { mechanism: RV(ck.CKM_RSA_PKCS_KEY_PAIR_GEN), parameter: null },
      [{ type: RV(ck.CKA_MODULUS_BITS), value: 2048 }, { type: RV(ck.CKA_TOKEN), value: false },
        { type: RV(ck.CKA_VERIFY), value: true }, { type: RV(ck.CKA_LABEL), value: 'shim' }],
      [{ type: RV(ck.CKA_TOKEN), value: false }, { type: RV(ck.CKA_SIGN), value: true },
        { type: RV(ck.CKA_SENSITIVE), value: true }, { type: RV(ck.CKA_LABEL), value: 'shim' }]);
    const [n, e] = await app.call<{ value: Buffer }[]>('C_GetAttributeValue', h, pair.publicKey,
      [{ type: RV(ck.CKA_MODULUS) }, { type: RV(ck.CKA_PUBLIC_EXPONENT) }]);
    assert.ok(n && e);
    const key = createPublicKey({ key: { kty: 'RSA', n: n.value.toString('base64url'), e: e.value.toString('base64url') },
      format: 'jwk' });
    const data = Buffer.from('example.com. 3600 IN SOA');
    await app.call('C_SignInit', h, { mechanism: RV(ck.CKM_SHA256_RSA_PKCS), parameter: null }, pair.privateKey);
    const sig = await app.call<Buffer>('C_Sign', h, data, Buffer.alloc(256));
    assert.ok(verify('sha256', data, key, sig));
    await app.call('C_SignInit', h, {
      mechanism: RV(ck.CKM_SHA256_RSA_PKCS_PSS),
      parameter: {
        type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: RV(ck.CKM_SHA256), mgf: RV(ck.CKG_MGF1_SHA256), saltLen: 32,
      },
    }, pair.privateKey);
    const pss = await app.call<Buffer>('C_Sign', h, data, Buffer.alloc(256));
    assert.ok(verify('sha256', data, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss));
    assert.equal(await app.rv('C_GetAttributeValue', h, pair.privateKey, [{ type: RV(ck.CKA_PRIVATE_EXPONENT) }]),
      RV(ck.CKR_ATTRIBUTE_SENSITIVE));
    assert.equal(await app.rv('C_DecryptInit', h, { mechanism: RV(ck.CKM_RSA_PKCS), parameter: null }, pair.privateKey),
      RV(ck.CKR_FUNCTION_NOT_SUPPORTED), 'a function the service does not implement');
    await app.call('C_Finalize');
  });

  it('works with OpenSC\'s pkcs11-tool unchanged: token, mechanisms, key generation, signing, verification', async function () {
    if (!['/usr/bin/pkcs11-tool', '/usr/local/bin/pkcs11-tool'].some((p) => existsSync(p))) this.skip();
    const tool = async (...args: string[]) => {
      const r = await run('pkcs11-tool', ['--module', SHIM, ...args], { KOFN_SOCKET: svc.socket });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r.stdout;
    };
    assert.match(await tool('-L'), /token label\s*: kofn/);
    assert.match(await tool('-M'), /SHA256-RSA-PKCS-PSS/);
    await tool('--login', '--pin', USER_PIN, '--keypairgen', '--key-type', 'rsa:2048', '--label', 'p11tool', '--id', '4b');
    const data = join(dir, 'data');
    writeFileSync(data, 'example.com. 3600 IN DNSKEY');
    const sig = join(dir, 'sig');
    await tool('--login', '--pin', USER_PIN, '--sign', '-m', 'SHA256-RSA-PKCS', '--id', '4b', '-i', data, '-o', sig);
    assert.match(await tool('--verify', '-m', 'SHA256-RSA-PKCS', '--id', '4b', '-i', data, '--signature-file', sig),
      /Signature is valid/);
    const der = join(dir, 'pub.der');
    await tool('--read-object', '--type', 'pubkey', '--id', '4b', '-o', der);
    const key = createPublicKey({ key: readFileSync(der), format: 'der', type: 'spki' });
    assert.ok(verify('sha256', readFileSync(data), key, readFileSync(sig)));
  });

  it('returns CKR_DEVICE_REMOVED when the service is killed during a call, and no token until it is back', async () => {
    app = await P11.load({ KOFN_SOCKET: svc.socket });
    await app.call('C_Initialize');
    const { h } = await open(app);
    await app.call('C_Login', h, RV(ck.CKU_USER), USER_PIN);
    // 3072-bit primes are not in the test service's prime pool: generating them takes seconds.
    const pending = app.rv('C_GenerateKeyPair', h, { mechanism: RV(ck.CKM_RSA_PKCS_KEY_PAIR_GEN), parameter: null },
      [{ type: RV(ck.CKA_MODULUS_BITS), value: 3072 }, { type: RV(ck.CKA_TOKEN), value: false }],
      [{ type: RV(ck.CKA_TOKEN), value: false }, { type: RV(ck.CKA_SIGN), value: true }]);
    await sleep(1000);
    process.kill(servicePid(svc.socket), 'SIGKILL');
    assert.equal(await pending, RV(ck.CKR_DEVICE_REMOVED));
    assert.deepEqual(await app.call('C_GetSlotList', true), []);
    assert.equal(await app.rv('C_GetSessionInfo', h), RV(ck.CKR_SESSION_HANDLE_INVALID));
    await svc.restart();
    assert.equal(await app.rv('C_GetSessionInfo', h), RV(ck.CKR_SESSION_HANDLE_INVALID));
    const again = await open(app);
    await app.call('C_GetSessionInfo', again.h);
    await app.call('C_Finalize');
  });

  it('runs many threads at once and survives forks (native/test/shim-stress.c)', async () => {
    const program = compileTestProgram('shim-stress', dir);
    const r = await run(program, [SHIM, 'stress', '16', '200', '6'], { KOFN_SOCKET: svc.socket });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /stress: 0 failed checks/);
    process.stdout.write(`      ${r.stdout.split('\n')[0]}\n`);
  });

  it('answers CKR_SESSION_HANDLE_INVALID after a service restart, and starts afresh after C_Finalize/C_Initialize', async () => {
    app = await P11.load({ KOFN_SOCKET: svc.socket });
    await app.call('C_Initialize');
    const { h } = await open(app);
    await app.call('C_Login', h, RV(ck.CKU_USER), USER_PIN);
    await svc.restart();
    assert.equal(await app.rv('C_GetSessionInfo', h), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.equal(await app.rv('C_GenerateRandom', h, Buffer.alloc(8)), RV(ck.CKR_SESSION_HANDLE_INVALID));
    assert.equal(await app.rv('C_CloseSession', h), RV(ck.CKR_SESSION_HANDLE_INVALID));
    await app.call('C_Finalize');
    await app.call('C_Initialize');
    const again = await open(app);
    await app.call('C_Login', again.h, RV(ck.CKU_USER), USER_PIN);
    assert.equal((await app.call<Buffer>('C_GenerateRandom', again.h, Buffer.alloc(8))).length, 8);
    await app.call('C_Finalize');
  });

  it('keeps a token object\'s handle across a service restart and C_Finalize/C_Initialize, as ods-signerd expects',
    async () => {
      app = await P11.load({ KOFN_SOCKET: svc.socket });
      await app.call('C_Initialize');
      const first = await open(app);
      await app.call('C_Login', first.h, RV(ck.CKU_USER), USER_PIN);
      const obj = await app.call<Buffer>('C_CreateObject', first.h, [{ type: RV(ck.CKA_CLASS), value: RV(ck.CKO_DATA) },
        { type: RV(ck.CKA_TOKEN), value: true }, { type: RV(ck.CKA_PRIVATE), value: true },
        { type: RV(ck.CKA_LABEL), value: 'stable' }]);
      const session = await app.call<Buffer>('C_CreateObject', first.h, [{ type: RV(ck.CKA_CLASS), value: RV(ck.CKO_DATA) },
        { type: RV(ck.CKA_LABEL), value: 'fleeting' }]);
      await svc.restart();
      const second = await open(app);
      assert.equal(await app.rv('C_GetAttributeValue', second.h, obj, [{ type: RV(ck.CKA_LABEL) }]),
        RV(ck.CKR_OBJECT_HANDLE_INVALID), 'a private object needs the login first');
      await app.call('C_Login', second.h, RV(ck.CKU_USER), USER_PIN);
      const [label] = await app.call<{ value: Buffer }[]>('C_GetAttributeValue', second.h, obj, [{ type: RV(ck.CKA_LABEL) }]);
      assert.equal(label?.value.toString(), 'stable');
      assert.equal(await app.rv('C_GetAttributeValue', second.h, session, [{ type: RV(ck.CKA_LABEL) }]),
        RV(ck.CKR_OBJECT_HANDLE_INVALID), 'session objects end with the run of the service');
      await app.call('C_Finalize');
      await app.call('C_Initialize');
      const third = await open(app);
      await app.call('C_Login', third.h, RV(ck.CKU_USER), USER_PIN);
      await app.call('C_DestroyObject', third.h, obj);
      assert.equal(await app.rv('C_GetAttributeValue', third.h, obj, [{ type: RV(ck.CKA_LABEL) }]),
        RV(ck.CKR_OBJECT_HANDLE_INVALID));
      const next = await app.call<Buffer>('C_CreateObject', third.h, [{ type: RV(ck.CKA_CLASS), value: RV(ck.CKO_DATA) },
        { type: RV(ck.CKA_TOKEN), value: true }]);
      assert.notDeepEqual(next, obj, 'a destroyed object\'s handle is not reused');
      await app.call('C_DestroyObject', third.h, next);
      await app.call('C_Finalize');
    });

  it('moves to the new epoch with the next session-less call, the old handles staying invalid', async () => {
    app = await P11.load({ KOFN_SOCKET: svc.socket });
    await app.call('C_Initialize');
    const first = await open(app);
    await svc.restart();
    const second = await open(app);
    await app.call('C_GetSessionInfo', second.h);
    assert.equal(await app.rv('C_GetSessionInfo', first.h), RV(ck.CKR_SESSION_HANDLE_INVALID));
    await app.call('C_Finalize');
  });

  it('initialises while the service is down and finds the token when it is back', async () => {
    await svc.stop();
    try {
      app = await P11.load({ KOFN_SOCKET: svc.socket });
      await app.call('C_Initialize');
      assert.deepEqual(await app.call('C_GetSlotList', true), []);
      const [slot] = await app.call<Buffer[]>('C_GetSlotList', false);
      assert.ok(slot);
      assert.equal(await app.rv('C_GetTokenInfo', slot), RV(ck.CKR_TOKEN_NOT_PRESENT));
      assert.equal(await app.rv('C_OpenSession', slot, RV(ck.CKF_SERIAL_SESSION)), RV(ck.CKR_TOKEN_NOT_PRESENT));
    } finally {
      await svc.restart();
    }
    const { h } = await open(app);
    await app.call('C_GetSessionInfo', h);
    await app.call('C_Finalize');
  });
});
