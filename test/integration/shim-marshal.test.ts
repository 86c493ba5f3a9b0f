import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ck from '../../src/pkcs11/ck.js';
import { CALL_BY_NAME } from '../../src/pkcs11/protocol/calls.js';
import { encodeReply, type StructValue } from '../../src/pkcs11/protocol/codec.js';
import { UNAVAILABLE } from '../../src/pkcs11/protocol/wire.js';
import { FakeService, type Handler, info, type Received, tokenInfo } from './helpers/fake-token-service.js';
import { compileTestProgram, run } from './helpers/native.js';
import { SHIM } from './helpers/p11.js';

const le64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};

describe('The shim marshalling every argument kind (native/test/shim-marshal.c against a scripted service)', function () {
  this.timeout(60_000);
  let dir: string;
  let fake: FakeService;
  let steps: Map<string, Record<string, unknown>>;
  let requests: Map<string, Received[]>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-shim-marshal-'));
    const program = compileTestProgram('shim-marshal', dir);
    fake = await FakeService.start(join(dir, 'fake.sock'));
    fake.epoch = 0xfeed_0000_beefn;
    const queues = new Map<string, Handler[]>();
    const script = (name: string, ...h: Handler[]) => queues.set(name, [...(queues.get(name) ?? []), ...h]);
    for (const name of CALL_BY_NAME.keys()) {
      fake.handlers.set(name, (req) => {
        const next = queues.get(name)?.shift();
        return next ? next(req) : { rv: ck.CKR_FUNCTION_NOT_SUPPORTED };
      });
    }
    const ok = { rv: ck.CKR_OK };
    script('C_GetInfo', () => ({ rv: ck.CKR_OK, out: { pInfo: { ...info(), manufacturerID: 'kofn test' } } }));
    script('C_GetSlotList',
      () => ({ rv: ck.CKR_OK, out: { pSlotList: { count: 3n } } }),
      () => ({ rv: ck.CKR_BUFFER_TOO_SMALL, out: { pSlotList: { count: 3n } } }),
      () => ({ rv: ck.CKR_OK, out: { pSlotList: { count: 3n, values: [1n, 2n, 7n] } } }));
    script('C_GetTokenInfo', () => ({
      rv: ck.CKR_OK,
      out: {
        pInfo: { ...tokenInfo(), label: 'kofn', model: 'm', maxSessionCount: UNAVAILABLE, maxRwSessionCount: 0n,
          hardwareVersion: { major: 1, minor: 2 }, utcTime: '2026112104000000' },
      },
    }));
    script('C_OpenSession', () => ({ rv: ck.CKR_OK, out: { phSession: 0x1234n } }));
    script('C_Login', () => ok);
    script('C_GetAttributeValue',
      () => ({
        rv: ck.CKR_ATTRIBUTE_SENSITIVE,
        out: {
          pTemplate: [{ length: 5n, value: Buffer.from('hello') }, { length: 300n }, { length: UNAVAILABLE },
            { length: UNAVAILABLE }, { length: 0n, value: Buffer.alloc(0) }],
        },
      }),
      () => ({ rv: ck.CKR_OK, out: { pTemplate: [{ length: 1n, value: Buffer.from('a') }] } }));
    script('C_SignInit', () => ok, () => ok, () => ok, () => ok, () => ok);
    script('C_Sign',
      () => ({ rv: ck.CKR_OK, out: { pSignature: { length: 256n } } }),
      () => ({ rv: ck.CKR_BUFFER_TOO_SMALL, out: { pSignature: { length: 256n } } }),
      () => ({ rv: ck.CKR_OK, out: { pSignature: { length: 4n, data: Buffer.from('sig!') } } }),
      () => ({ rv: ck.CKR_OK, out: { pSignature: { length: 16n, data: Buffer.alloc(16, 1) } } }));
    script('C_FindObjectsInit', () => ok);
    script('C_FindObjects', () => ({ rv: ck.CKR_OK, out: { phObject: { values: [5n, 6n, 7n] } } }));
    script('C_FindObjectsFinal', () => ok);
    script('C_GenerateRandom',
      () => ({ rv: ck.CKR_OK, out: { pRandomData: { data: Buffer.from([...Array(16).keys()]) } } }),
      () => ({ rv: ck.CKR_OK, out: { pRandomData: { data: Buffer.alloc(8) } } }));
    script('C_EncryptInit', () => ok, () => ok);
    script('C_DigestInit', () => ok);
    script('C_CreateObject', () => ({ rv: ck.CKR_OK, out: { phObject: 0x99n } }));
    script('C_GetMechanismInfo', () => ({
      rv: ck.CKR_OK, out: { pInfo: { minKeySize: 1024n, maxKeySize: 4096n, flags: ck.CKF_SIGN } },
    }));
    const session: StructValue = { slotID: 1n, state: ck.CKS_RW_USER_FUNCTIONS, flags: 6n, deviceError: 0n };
    const sessionReply = encodeReply(CALL_BY_NAME.get('C_GetSessionInfo') ?? assert.fail(), ck.CKR_OK, { pInfo: session });
    const oversized = Buffer.alloc(4);
    oversized.writeUInt32BE(16 * 1024 * 1024 + 1);
    script('C_GetSessionInfo',
      () => ({ rv: ck.CKR_OK, out: { pInfo: session } }),
      () => ({ payload: Buffer.concat([sessionReply, Buffer.from([0])]) }),
      () => ({ payload: encodeReply(CALL_BY_NAME.get('C_GetInfo') ?? assert.fail(), ck.CKR_OK, { pInfo: info() }) }),
      () => ({ bytes: oversized }),
      () => ({ rv: ck.CKR_OK, out: { pInfo: session } }));
    script('C_InitToken', () => ok);

    const r = await run(program, [SHIM], { KOFN_SOCKET: fake.path });
    assert.equal(r.status, 0, r.stderr);
    steps = new Map(r.stdout.trim().split('\n').map((l) => {
      const s = JSON.parse(l) as Record<string, unknown>;
      return [String(s.step), s];
    }));
    requests = new Map();
    for (const q of fake.received) requests.set(q.call.name, [...(requests.get(q.call.name) ?? []), q]);
  });

  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const step = (name: string) => steps.get(name) ?? assert.fail(`no step ${name}`);
  const req = (name: string, i = 0) => requests.get(name)?.[i] ?? assert.fail(`no request ${name}[${i}]`);

  it('sends exactly the calls it can encode, in order, each with the epoch of its handshake', () => {
    assert.deepEqual(fake.names(), [
      'C_GetInfo', 'C_GetSlotList', 'C_GetSlotList', 'C_GetSlotList', 'C_GetTokenInfo', 'C_OpenSession', 'C_Login',
      'C_GetAttributeValue', 'C_SignInit', 'C_Sign', 'C_Sign', 'C_Sign', 'C_FindObjectsInit', 'C_FindObjects',
      'C_FindObjectsFinal', 'C_GenerateRandom', 'C_SignInit', 'C_EncryptInit', 'C_EncryptInit', 'C_SignInit',
      'C_SignInit', 'C_SignInit', 'C_DigestInit', 'C_CreateObject', 'C_GetMechanismInfo', 'C_GetSessionInfo',
      'C_InitToken', 'C_Sign', 'C_GetAttributeValue', 'C_GetSessionInfo', 'C_GetSessionInfo', 'C_GenerateRandom',
      'C_GetSessionInfo', 'C_GetSessionInfo', 'C_SeedRandom',
    ]);
    for (const r of fake.received) assert.equal(r.epoch, fake.epoch, r.call.name);
  });

  it('says hello with its ABI, its pid and one instance for the whole C_Initialize', () => {
    assert.ok(fake.hellos.length >= 6, 'a new connection after every reply it could not trust');
    const [first] = fake.hellos;
    assert.ok(first);
    assert.equal(first.version, 1);
    assert.equal(first.ulongSize, 8);
    assert.equal(first.byteOrder, 'little');
    assert.notEqual(first.instance, 0n);
    for (const h of fake.hellos) {
      assert.equal(h.instance, first.instance);
      assert.equal(h.pid, first.pid);
    }
  });

  it('copies the CK_*_INFO structures field by field, CK_UNAVAILABLE_INFORMATION as (CK_ULONG)-1', () => {
    assert.deepEqual(step('info'), {
      step: 'info', rv: 0, cryptoki: '2.40', manufacturer: 'kofn test'.padEnd(32), flags: 0,
      description: 'fake token service'.padEnd(32), version: '9.9',
    });
    assert.deepEqual(step('token-info'), {
      step: 'token-info', rv: 0, label: 'kofn'.padEnd(32), model: 'm'.padEnd(16),
      flags: Number(ck.CKF_TOKEN_INITIALIZED | ck.CKF_RNG), maxSessions: -1, maxRw: 0, minPin: 4, maxPin: 64,
      hw: '1.2', utc: '2026112104000000',
    });
    assert.deepEqual(step('mechanism-info'), { step: 'mechanism-info', rv: 0, min: 1024, max: 4096, flags: 0x800 });
    assert.deepEqual(step('session-info'), { step: 'session-info', rv: 0, slot: 1, state: 3, flags: 6, error: 0 });
    assert.equal(req('C_GetMechanismInfo').args.type, ck.CKM_RSA_PKCS);
  });

  it('answers length queries and too-small buffers from the service\'s lengths, copying data only when it fits', () => {
    assert.deepEqual(req('C_GetSlotList', 0).args, { tokenPresent: false, pSlotList: { given: false, length: 0n } });
    assert.deepEqual(req('C_GetSlotList', 1).args, { tokenPresent: false, pSlotList: { given: true, length: 1n } });
    assert.deepEqual(req('C_GetSlotList', 2).args, { tokenPresent: true, pSlotList: { given: true, length: 8n } });
    assert.deepEqual(step('slots-count'), { step: 'slots-count', rv: 0, count: 3 });
    assert.deepEqual(step('slots-small'), { step: 'slots-small', rv: 0x150, count: 3, first: 4242 });
    assert.deepEqual(step('slots'), { step: 'slots', rv: 0, count: 3, slots: [1, 2, 7] });

    assert.deepEqual(req('C_Sign', 0).args, { hSession: 0x1234n, pData: Buffer.from('abc'), pSignature: { given: false, length: 0n } });
    assert.deepEqual(req('C_Sign', 1).args.pSignature, { given: true, length: 10n });
    assert.deepEqual(req('C_Sign', 2).args.pSignature, { given: true, length: 512n });
    assert.deepEqual(step('sign-length'), { step: 'sign-length', rv: 0, length: 256 });
    assert.deepEqual(step('sign-small'), { step: 'sign-small', rv: 0x150, length: 256, buffer: 'eeeeeeee' });
    assert.deepEqual(step('sign'), { step: 'sign', rv: 0, length: 4, signature: '73696721' });
  });

  it('sets every attribute\'s ulValueLen from the service\'s per-attribute results', () => {
    assert.deepEqual(req('C_GetAttributeValue').args, {
      hSession: 0x1234n,
      hObject: 0x77n,
      pTemplate: [
        { type: ck.CKA_LABEL, given: true, length: 64n }, { type: ck.CKA_VALUE, given: false, length: 0n },
        { type: ck.CKA_PRIVATE_EXPONENT, given: true, length: 16n }, { type: ck.CKA_MODULUS, given: true, length: 4n },
        { type: ck.CKA_ID, given: true, length: 8n },
      ],
    });
    assert.deepEqual(step('get-attributes'), {
      step: 'get-attributes', rv: Number(ck.CKR_ATTRIBUTE_SENSITIVE), lengths: [5, 300, -1, -1, 0],
      label: '68656c6c6fee', modulus: 'eeeeeeee',
    });
  });

  it('passes handles, flags, PINs, labels, object lists and fixed-length random bytes', () => {
    assert.deepEqual(req('C_OpenSession').args, { slotID: 1n, flags: 6n });
    assert.deepEqual(step('open'), { step: 'open', rv: 0, session: 0x1234 });
    assert.deepEqual(req('C_Login').args, { hSession: 0x1234n, userType: ck.CKU_USER, pPin: Buffer.from('1234') });
    assert.deepEqual(req('C_InitToken').args, {
      slotID: 1n, pPin: Buffer.from('12345678'), pLabel: Buffer.from('kofn'.padEnd(32)),
    });
    assert.deepEqual(req('C_FindObjects').args, { hSession: 0x1234n, phObject: { max: 10n } });
    assert.deepEqual(step('find'), { step: 'find', rv: 0, count: 3, objects: [5, 6, 7] });
    assert.deepEqual(req('C_GenerateRandom').args, { hSession: 0x1234n, pRandomData: { length: 16n } });
    assert.deepEqual(step('random'), { step: 'random', rv: 0, bytes: '000102030405060708090a0b0c0d0e0f' });
  });

  it('sends templates with their raw values, NULL values and nested CKF_ARRAY_ATTRIBUTE templates', () => {
    assert.deepEqual(req('C_FindObjectsInit').args.pTemplate, [{ type: ck.CKA_CLASS, value: le64(ck.CKO_PRIVATE_KEY) }]);
    assert.deepEqual(req('C_CreateObject').args.pTemplate, [
      { type: ck.CKA_CLASS, value: le64(ck.CKO_SECRET_KEY) },
      { type: ck.CKA_LABEL, value: Buffer.from('x') },
      { type: ck.CKA_VALUE, value: null },
      {
        type: ck.CKA_WRAP_TEMPLATE,
        value: [
          { type: ck.CKA_KEY_TYPE, value: le64(ck.CKK_AES) },
          { type: ck.CKA_EXTRACTABLE, value: Buffer.from([0]) },
        ],
      },
    ]);
    assert.deepEqual(step('create'), { step: 'create', rv: 0, object: 0x99 });
  });

  it('serialises PSS, OAEP, GCM and EdDSA parameters by field and anything else raw, never filtering', () => {
    const mech = (name: string, i: number) => req(name, i).args.pMechanism;
    assert.deepEqual(mech('C_SignInit', 0), { type: ck.CKM_SHA256_RSA_PKCS, param: { form: 'none' } });
    assert.deepEqual(mech('C_SignInit', 1), {
      type: ck.CKM_SHA256_RSA_PKCS_PSS, param: { form: 'pss', hashAlg: ck.CKM_SHA256, mgf: ck.CKG_MGF1_SHA256, sLen: 32n },
    });
    assert.deepEqual(mech('C_EncryptInit', 0), {
      type: ck.CKM_RSA_PKCS_OAEP,
      param: { form: 'oaep', hashAlg: ck.CKM_SHA256, mgf: ck.CKG_MGF1_SHA256, source: ck.CKZ_DATA_SPECIFIED,
        sourceData: Buffer.from('label') },
    });
    assert.deepEqual(mech('C_EncryptInit', 1), {
      type: ck.CKM_AES_GCM,
      param: { form: 'gcm', iv: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), ivBits: 96n, aad: Buffer.from('aad'),
        tagBits: 128n },
    });
    assert.deepEqual(mech('C_SignInit', 2), { type: ck.CKM_EDDSA, param: { form: 'eddsa', phFlag: true, context: Buffer.from('ctx') } });
    assert.deepEqual(mech('C_SignInit', 3), { type: 0x80001234n, param: { form: 'raw', bytes: Buffer.from([1, 2, 3]) } });
    assert.deepEqual(mech('C_SignInit', 4), { type: ck.CKM_SHA256_RSA_PKCS_PSS, param: { form: 'raw', bytes: Buffer.from([1, 2, 3]) } });
    assert.equal(req('C_DigestInit').args.pMechanism, null);
    for (const s of ['pss', 'oaep', 'gcm', 'eddsa', 'vendor', 'pss-odd-length', 'digest-init-null']) assert.equal(step(s).rv, 0, s);
  });

  it('refuses arguments it cannot read without sending anything', () => {
    assert.equal(step('sign-no-length').rv, Number(ck.CKR_ARGUMENTS_BAD));
    assert.equal(step('login-null-pin').rv, Number(ck.CKR_ARGUMENTS_BAD));
    assert.equal(step('get-attributes-null').rv, Number(ck.CKR_ARGUMENTS_BAD));
    assert.equal(step('session-info-null').rv, Number(ck.CKR_ARGUMENTS_BAD));
    assert.equal(step('create-null-value').rv, Number(ck.CKR_ATTRIBUTE_VALUE_INVALID));
    assert.equal(step('sign-init-null-param').rv, Number(ck.CKR_MECHANISM_PARAM_INVALID));
  });

  it('answers CKR_DEVICE_ERROR to a reply it cannot trust, leaving the caller\'s buffers alone', () => {
    const DEVICE_ERROR = Number(ck.CKR_DEVICE_ERROR);
    assert.deepEqual(step('bad-overflow'), { step: 'bad-overflow', rv: DEVICE_ERROR, length: 8, buffer: 'ee'.repeat(8) });
    assert.deepEqual(step('bad-count'), { step: 'bad-count', rv: DEVICE_ERROR, lengths: [64, 8] });
    assert.deepEqual(step('bad-trailing'), { step: 'bad-trailing', rv: DEVICE_ERROR, slot: 0 });
    assert.equal(step('bad-call-id').rv, DEVICE_ERROR);
    assert.equal(step('bad-random-length').rv, DEVICE_ERROR);
    assert.equal(step('bad-oversized').rv, DEVICE_ERROR);
    assert.deepEqual(step('after-bad'), { step: 'after-bad', rv: 0, slot: 1 }, 'and works again on a new connection');
  });

  it('passes the service\'s CKR_FUNCTION_NOT_SUPPORTED through for a call it does not implement', () => {
    assert.equal(step('not-supported').rv, Number(ck.CKR_FUNCTION_NOT_SUPPORTED));
    assert.equal(step('finalize').rv, 0);
  });
});
