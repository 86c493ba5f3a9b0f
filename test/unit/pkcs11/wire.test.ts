import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type ArgKind, CALL_BY_NAME, CALLS } from '../../../src/pkcs11/protocol/calls.js';
import {
  type Args,
  CKR_BUFFER_TOO_SMALL,
  CKR_OK,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  type Outputs,
} from '../../../src/pkcs11/protocol/codec.js';
import {
  CKF_ARRAY_ATTRIBUTE,
  decodeHello,
  decodeWelcome,
  encodeHello,
  encodeWelcome,
  FrameDecoder,
  frame,
  MAX_FRAME,
  ProtocolError,
  UNAVAILABLE,
} from '../../../src/pkcs11/protocol/wire.js';

const version = { major: 2, minor: 40 };
const STRUCT_SAMPLES: Partial<Record<ArgKind, Outputs[string]>> = {
  'out-info': { cryptokiVersion: version, manufacturerID: 'kofn', flags: 0n, libraryDescription: 'k-of-n HSM',
    libraryVersion: { major: 0, minor: 1 } },
  'out-slot-info': { slotDescription: 'kofn slot', manufacturerID: 'kofn', flags: 5n, hardwareVersion: version,
    firmwareVersion: version },
  'out-token-info': { label: 'kofn', manufacturerID: 'kofn', model: '3-of-5', serialNumber: '0001', flags: 0x40dn,
    maxSessionCount: 0n, sessionCount: 1n, maxRwSessionCount: 0n, rwSessionCount: 0n, maxPinLen: 255n, minPinLen: 4n,
    totalPublicMemory: UNAVAILABLE, freePublicMemory: UNAVAILABLE, totalPrivateMemory: UNAVAILABLE,
    freePrivateMemory: UNAVAILABLE, hardwareVersion: version, firmwareVersion: version, utcTime: '' },
  'out-session-info': { slotID: 0n, state: 3n, flags: 6n, deviceError: 0n },
  'out-mechanism-info': { minKeySize: 1024n, maxKeySize: 4096n, flags: 0x2800n },
};

function sampleArg(kind: ArgKind): Args[string] {
  switch (kind) {
    case 'ulong':
      return 0xdead_beef_cafen;
    case 'bool':
      return true;
    case 'bytes':
      return Buffer.from('3031300d0609608648016503040201', 'hex');
    case 'label32':
      return Buffer.from('kofn'.padEnd(32, ' '));
    case 'out-bytes':
    case 'out-ulongs':
      return { given: true, length: 256n };
    case 'out-bytes-fixed':
      return { length: 32n };
    case 'out-ulongs-max':
      return { max: 16n };
    case 'template':
      return [
        { type: 0x0n, value: Buffer.from([3]) },
        { type: 0x3n, value: Buffer.from('zone-ksk') },
        { type: 0x102n, value: null },
        { type: CKF_ARRAY_ATTRIBUTE | 0x211n, value: [{ type: 0x104n, value: Buffer.from([1]) }] },
      ];
    case 'get-template':
      return [{ type: 0x120n, given: true, length: 256n }, { type: 0x122n, given: false, length: 0n }];
    case 'mechanism':
      return { type: 0xdn, param: { form: 'pss', hashAlg: 0x250n, mgf: 2n, sLen: 32n } };
    default:
      return undefined;
  }
}

function sampleOutput(kind: ArgKind): Outputs[string] | undefined {
  switch (kind) {
    case 'out-bytes':
      return { length: 4n, data: Buffer.from([1, 2, 3, 4]) };
    case 'out-bytes-fixed':
      return { data: randomBytes(32) };
    case 'out-ulongs':
      return { count: 3n, values: [0n, 1n, 2n] };
    case 'out-ulongs-max':
      return { values: [7n, 9n] };
    case 'out-ulong':
      return 42n;
    case 'get-template':
      return [{ length: 3n, value: Buffer.from([1, 0, 1]) }, { length: UNAVAILABLE }];
    default:
      return STRUCT_SAMPLES[kind];
  }
}

describe('The shim protocol wire format', () => {
  it('round-trips a request and a reply of every call in the table', () => {
    for (const call of CALLS) {
      const args: Args = Object.fromEntries(call.args.map(([n, k]) => [n, sampleArg(k)]));
      const req = encodeRequest(call, 0x1234_5678_9abc_def0n, args);
      const back = decodeRequest(req);
      assert.equal(back.call.name, call.name);
      assert.equal(back.epoch, 0x1234_5678_9abc_def0n);
      for (const [n, k] of call.args) assert.deepEqual(back.args[n], sampleArg(k), `${call.name}.${n}`);
      const outputs: Outputs = {};
      for (const [n, k] of call.args) {
        const o = sampleOutput(k);
        if (o !== undefined) outputs[n] = o;
      }
      const reply = decodeReply(call, encodeReply(call, CKR_OK, outputs));
      assert.equal(reply.rv, CKR_OK);
      assert.deepEqual(reply.outputs, outputs, call.name);
    }
  });

  it('lays out C_GetInfo and C_Sign requests exactly as docs/protocol.md says', () => {
    const getInfo = CALL_BY_NAME.get('C_GetInfo');
    const sign = CALL_BY_NAME.get('C_Sign');
    assert.ok(getInfo && sign);
    assert.equal(encodeRequest(getInfo, 7n, {}).toString('hex'), '00000002' + '0000000000000007');
    const req = encodeRequest(sign, 1n, { hSession: 5n, pData: Buffer.from('abc'), pSignature: { given: false,
      length: 0n } });
    assert.equal(
      req.toString('hex'),
      '0000002b' + '0000000000000001' + '0000000000000005' + '01' + '00000003' + '616263' + '00' + '0000000000000000',
    );
  });

  it('answers an error code with no outputs, and BUFFER_TOO_SMALL with the length only', () => {
    const sign = CALL_BY_NAME.get('C_Sign');
    assert.ok(sign);
    const err = encodeReply(sign, 0xb3n, {});
    assert.equal(err.length, 12);
    assert.deepEqual(decodeReply(sign, err), { rv: 0xb3n, outputs: {} });
    const small = decodeReply(sign, encodeReply(sign, CKR_BUFFER_TOO_SMALL, { pSignature: { length: 256n } }));
    assert.deepEqual(small.outputs, { pSignature: { length: 256n } });
  });

  it('refuses truncated, trailing, mismatched and random input with ProtocolError only', () => {
    const sign = CALL_BY_NAME.get('C_Sign');
    const info = CALL_BY_NAME.get('C_GetInfo');
    assert.ok(sign && info);
    const req = encodeRequest(sign, 1n, { hSession: 5n, pData: Buffer.from('abc'), pSignature: { given: true,
      length: 256n } });
    for (let n = 0; n < req.length; n++) assert.throws(() => decodeRequest(req.subarray(0, n)), ProtocolError);
    assert.throws(() => decodeRequest(Buffer.concat([req, Buffer.from([0])])), /trailing/);
    assert.throws(() => decodeReply(info, encodeReply(sign, 0n, { pSignature: { length: 0n } })), /another call/);
    const nullWithBytes = Buffer.from(req);
    nullWithBytes[20] = 0; // the pData "given" flag, with 3 bytes following
    assert.throws(() => decodeRequest(nullWithBytes), /NULL pointer/);
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(1 + (i % 64));
      try {
        decodeRequest(junk);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, String(err));
      }
    }
  });

  it('splits a byte stream into frames across arbitrary chunk boundaries, and refuses oversized ones', () => {
    const payloads = [Buffer.alloc(0), Buffer.from('hello'), randomBytes(70_000)];
    const stream = Buffer.concat(payloads.map(frame));
    for (const size of [1, 3, 4096]) {
      const d = new FrameDecoder();
      const got: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) got.push(...d.push(stream.subarray(at, at + size)));
      assert.deepEqual(got, payloads);
    }
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(MAX_FRAME + 1, 0);
    assert.throws(() => new FrameDecoder().push(huge), ProtocolError);
  });

  it('exchanges the handshake with version, sizeof(CK_ULONG), byte order, instance and epoch', () => {
    const hello = { version: 1, ulongSize: 8 as const, byteOrder: 'little' as const, pid: 4242, instance: 0xabn };
    const h = encodeHello(hello);
    assert.equal(h.toString('hex'), '4b464e31' + '0001' + '08' + '01' + '00001092' + '00000000000000ab');
    assert.deepEqual(decodeHello(h), hello);
    const bad = Buffer.from(h);
    bad[6] = 6;
    assert.throws(() => decodeHello(bad), /sizeof/);
    assert.throws(() => decodeHello(Buffer.from('HTTP/1.1 200 OK')), ProtocolError);
    assert.deepEqual(decodeWelcome(encodeWelcome({ version: 1, epoch: 0xfeedn })), { version: 1, epoch: 0xfeedn });
  });
});
