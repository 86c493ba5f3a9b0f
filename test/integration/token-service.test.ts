/**
 * The token service behind the socket, driven with the protocol's TypeScript client: what the
 * shim cannot show by itself — applications and epochs, nodes going down, keys being destroyed
 * while nodes are away, malformed input, many keys.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { createConnection } from 'node:net';
import { NodeClient } from '../../src/coordinator/node-client.js';
import * as ck from '../../src/pkcs11/ck.js';
import type { Attribute } from '../../src/pkcs11/protocol/wire.js';
import { frame } from '../../src/pkcs11/protocol/wire.js';
import { startTokenService, type TestTokenService, USER_PIN } from '../helpers/token-service.js';
import { boolAttr, sign, ulongAttr, WireClient } from '../helpers/wire-client.js';

const NONE = { form: 'none' } as const;

async function openUser(c: WireClient, rw = true): Promise<bigint> {
  const slots = await c.call('C_GetSlotList', { tokenPresent: true, pSlotList: { given: true, length: 8n } });
  const slot = (slots.outputs.pSlotList as { values: bigint[] }).values[0] ?? 0n;
  const s = await c.call('C_OpenSession', { slotID: slot, flags: ck.CKF_SERIAL_SESSION | (rw ? ck.CKF_RW_SESSION : 0n) });
  assert.equal(s.rv, ck.CKR_OK);
  const h = s.outputs.phSession as bigint;
  const l = await c.call('C_Login', { hSession: h, userType: ck.CKU_USER, pPin: Buffer.from(USER_PIN) });
  assert.ok(l.rv === ck.CKR_OK || l.rv === ck.CKR_USER_ALREADY_LOGGED_IN, `login: ${l.rv}`);
  return h;
}

async function generate(
  c: WireClient,
  h: bigint,
  label: string,
  extra: Attribute[] = [],
): Promise<{ pub: bigint; priv: bigint }> {
  const r = await c.call('C_GenerateKeyPair', {
    hSession: h,
    pMechanism: { type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN, param: NONE },
    pPublicKeyTemplate: [
      { type: ck.CKA_TOKEN, value: boolAttr(true) }, { type: ck.CKA_MODULUS_BITS, value: ulongAttr(1024n) },
      { type: ck.CKA_LABEL, value: Buffer.from(label) }, { type: ck.CKA_ID, value: Buffer.from(label) },
    ],
    pPrivateKeyTemplate: [
      { type: ck.CKA_TOKEN, value: boolAttr(true) }, { type: ck.CKA_SIGN, value: boolAttr(true) },
      { type: ck.CKA_LABEL, value: Buffer.from(label) }, { type: ck.CKA_ID, value: Buffer.from(label) }, ...extra,
    ],
  });
  assert.equal(r.rv, ck.CKR_OK, `C_GenerateKeyPair: 0x${r.rv.toString(16)}`);
  return { pub: r.outputs.phPublicKey as bigint, priv: r.outputs.phPrivateKey as bigint };
}

async function publicKeyOf(c: WireClient, h: bigint, pub: bigint) {
  const r = await c.call('C_GetAttributeValue', {
    hSession: h, hObject: pub,
    pTemplate: [
      { type: ck.CKA_MODULUS, given: true, length: 1024n }, { type: ck.CKA_PUBLIC_EXPONENT, given: true, length: 16n },
    ],
  });
  const [n, e] = (r.outputs.pTemplate as { value?: Buffer }[]).map((a) => a.value?.toString('base64url') ?? '');
  return createPublicKey({ key: { kty: 'RSA', n: n ?? '', e: e ?? '' }, format: 'jwk' });
}

let svc: TestTokenService;

describe('the token service', function () {
  this.timeout(120_000);
  before(async () => {
    svc = await startTokenService();
  });
  after(async () => {
    await svc.close();
  });

  it('generates a key on the nodes and signs with it, the signature verifying under the token\'s public key', async () => {
    const c = await WireClient.connect(svc.socket);
    const h = await openUser(c);
    const k = await generate(c, h, 'sign-me');
    const s = await sign(c, h, k.priv, Buffer.from('example.com. IN SOA'));
    assert.equal(s.rv, ck.CKR_OK);
    assert.ok(s.sig);
    assert.ok(verify('sha256', Buffer.from('example.com. IN SOA'), await publicKeyOf(c, h, k.pub), s.sig));
    c.close();
  });

  it('keeps applications apart: another instance is not logged in and cannot use the first one\'s sessions', async () => {
    const a = await WireClient.connect(svc.socket);
    const h = await openUser(a);
    const b = await WireClient.connect(svc.socket);
    const info = await b.call('C_GetSessionInfo', { hSession: h });
    assert.equal(info.rv, ck.CKR_SESSION_HANDLE_INVALID);
    // A second connection of the same instance (the shim's pool) shares the sessions and the login.
    const a2 = await WireClient.connect(svc.socket, a.instance);
    const same = await a2.call('C_GetSessionInfo', { hSession: h });
    assert.equal(same.rv, ck.CKR_OK);
    assert.equal((same.outputs.pInfo as { state: bigint }).state, ck.CKS_RW_USER_FUNCTIONS);
    a.close();
    a2.close();
    b.close();
  });

  it('refuses session handles sent with another epoch with CKR_SESSION_HANDLE_INVALID', async () => {
    const c = await WireClient.connect(svc.socket);
    const h = await openUser(c);
    const real = c.epoch;
    c.epoch = real ^ 1n;
    assert.equal((await c.call('C_GetSessionInfo', { hSession: h })).rv, ck.CKR_SESSION_HANDLE_INVALID);
    c.epoch = real;
    assert.equal((await c.call('C_GetSessionInfo', { hSession: h })).rv, ck.CKR_OK);
    c.close();
  });

  it('answers a C_Sign length query without signing and keeps the operation active', async () => {
    const c = await WireClient.connect(svc.socket);
    const h = await openUser(c);
    const k = await generate(c, h, 'length-query');
    await c.call('C_SignInit', { hSession: h, pMechanism: { type: ck.CKM_SHA256_RSA_PKCS, param: NONE }, hKey: k.priv });
    const q = await c.call('C_Sign', { hSession: h, pData: Buffer.from('x'), pSignature: { given: false, length: 0n } });
    assert.equal(q.rv, ck.CKR_OK);
    assert.deepEqual(q.outputs.pSignature, { length: 128n });
    const small = await c.call('C_Sign', { hSession: h, pData: Buffer.from('x'), pSignature: { given: true, length: 10n } });
    assert.equal(small.rv, ck.CKR_BUFFER_TOO_SMALL);
    const real = await c.call('C_Sign', { hSession: h, pData: Buffer.from('x'), pSignature: { given: true, length: 128n } });
    assert.equal(real.rv, ck.CKR_OK);
    const again = await c.call('C_Sign', { hSession: h, pData: Buffer.from('x'), pSignature: { given: true, length: 128n } });
    assert.equal(again.rv, ck.CKR_OPERATION_NOT_INITIALIZED);
    c.close();
  });

  it('signs with two nodes down, fails naming the nodes with three down, and signs again when they return', async () => {
    const c = await WireClient.connect(svc.socket);
    const h = await openUser(c);
    const k = await generate(c, h, 'outage');
    const [n1, n2, n3] = svc.cluster.ids;
    await svc.cluster.kill(n1 ?? '');
    await svc.cluster.kill(n2 ?? '');
    assert.equal((await sign(c, h, k.priv, Buffer.from('two down'))).rv, ck.CKR_OK);
    await svc.cluster.kill(n3 ?? '');
    const started = Date.now();
    assert.equal((await sign(c, h, k.priv, Buffer.from('three down'))).rv, ck.CKR_DEVICE_ERROR);
    assert.ok(Date.now() - started < 7000, 'fails within the coordinator timeout');
    assert.match(svc.output(), new RegExp(`${n3}`));
    for (const n of [n1, n2, n3]) await svc.cluster.start(n ?? '');
    let rv = ck.CKR_DEVICE_ERROR;
    for (let i = 0; i < 20 && rv !== ck.CKR_OK; i++) {
      rv = (await sign(c, h, k.priv, Buffer.from('back'))).rv;
      if (rv !== ck.CKR_OK) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(rv, ck.CKR_OK);
    c.close();
  });

  it('refuses to generate a key while a node is down and leaves no share behind', async () => {
    const c = await WireClient.connect(svc.socket);
    const h = await openUser(c);
    const before = await shareCounts();
    const [down] = svc.cluster.ids;
    await svc.cluster.kill(down ?? '');
    try {
      const r = await c.call('C_GenerateKeyPair', {
        hSession: h, pMechanism: { type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN, param: NONE },
        pPublicKeyTemplate: [
          { type: ck.CKA_TOKEN, value: boolAttr(true) }, { type: ck.CKA_MODULUS_BITS, value: ulongAttr(1024n) },
        ],
        pPrivateKeyTemplate: [
          { type: ck.CKA_TOKEN, value: boolAttr(true) }, { type: ck.CKA_LABEL, value: Buffer.from('orphan') },
        ],
      });
      assert.equal(r.rv, ck.CKR_DEVICE_ERROR);
    } finally {
      await svc.cluster.start(down ?? '');
    }
    const f = await find(c, h, [{ type: ck.CKA_LABEL, value: Buffer.from('orphan') }]);
    assert.deepEqual(f, []);
    assert.deepEqual(await shareCounts(), before);
    c.close();
  });

  it('destroys a key\'s shares, retrying later on a node that was down', async () => {
    const c = await WireClient.connect(svc.socket);
    const h = await openUser(c);
    const before = await shareCounts();
    const k = await generate(c, h, 'doomed');
    const [down] = svc.cluster.ids;
    await svc.cluster.kill(down ?? '');
    assert.equal((await c.call('C_DestroyObject', { hSession: h, hObject: k.priv })).rv, ck.CKR_OK);
    assert.equal((await c.call('C_GetObjectSize', { hSession: h, hObject: k.priv })).rv, ck.CKR_OBJECT_HANDLE_INVALID);
    await svc.cluster.start(down ?? '');
    let now = await shareCounts();
    for (let i = 0; i < 40 && JSON.stringify(now) !== JSON.stringify(before); i++) {
      await new Promise((r) => setTimeout(r, 250));
      now = await shareCounts();
    }
    assert.deepEqual(now, before);
    c.close();
  });

  it('never crashes on a malformed frame: it closes that connection and serves the next one', async () => {
    const raw = createConnection(svc.socket);
    await new Promise((r) => raw.once('connect', r));
    const closed = new Promise((r) => raw.once('close', r));
    raw.write(frame(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
    await closed;
    const c = await WireClient.connect(svc.socket);
    const h = await openUser(c);
    assert.equal((await c.call('C_GetSessionInfo', { hSession: h })).rv, ck.CKR_OK);
    c.close();
  });
});

/** Shares held by each node, asked with the auditor's certificate. */
async function shareCounts(): Promise<Record<string, number>> {
  const tls = svc.cluster.cluster.tlsFor('auditor');
  const out: Record<string, number> = {};
  for (const e of svc.cluster.cluster.endpoints) {
    const client = new NodeClient(e, tls);
    try {
      out[e.id] = (await client.listShares(5000)).shares.length;
    } finally {
      client.close();
    }
  }
  return out;
}

async function find(c: WireClient, h: bigint, tpl: Attribute[]): Promise<bigint[]> {
  assert.equal((await c.call('C_FindObjectsInit', { hSession: h, pTemplate: tpl })).rv, ck.CKR_OK);
  const r = await c.call('C_FindObjects', { hSession: h, phObject: { max: 100n } });
  await c.call('C_FindObjectsFinal', { hSession: h });
  return (r.outputs.phObject as { values: bigint[] }).values;
}
