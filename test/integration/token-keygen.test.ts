/**
 * kofn token keygen against a real token service (3-of-5 cluster, `kofn token serve`), run as a
 * child process: the key it makes is the token's own (token show lists it, dealt to every node) and
 * signs; each mistake is one line and status 2, and the PIN is never printed.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ck from '../../src/pkcs11/ck.js';
import { sign, ulongAttr, WireClient } from '../helpers/wire-client.js';
import type { Attribute } from '../../src/pkcs11/protocol/wire.js';
import type { KeySummary } from '../../src/pkcs11/service/tokens.js';
import { type Run, runKofn } from '../helpers/cli.js';
import { LABEL, startTokenService, type TestTokenService, USER_PIN } from '../helpers/token-service.js';

const WRONG_PIN = '98765';

/** The CLI in its own process, with no PIN or socket inherited from the environment of the tests. */
async function kofn(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.KOFN_PIN;
  delete base.KOFN_SOCKET;
  return runKofn(args, { ...base, ...env });
}

function oneLine(r: Run, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr, /^kofn token keygen: /);
  assert.match(r.stderr, pattern);
}

let svc: TestTokenService;
let pinFile: string;

function keygen(...args: string[]): Promise<Run> {
  return kofn(['token', 'keygen', '--socket', svc.socket, '--bits', '1024', ...args]);
}

async function keysOf(label: string): Promise<KeySummary[]> {
  const r = await kofn(['token', 'show', '--dir', svc.dir, '--label', LABEL, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { keys: KeySummary[] }).keys.filter((k) => k.label === label);
}

async function find(c: WireClient, h: bigint, tpl: Attribute[]): Promise<bigint> {
  assert.equal((await c.call('C_FindObjectsInit', { hSession: h, pTemplate: tpl })).rv, ck.CKR_OK);
  const r = await c.call('C_FindObjects', { hSession: h, phObject: { max: 2n } });
  await c.call('C_FindObjectsFinal', { hSession: h });
  const found = (r.outputs.phObject as { values: bigint[] }).values;
  assert.equal(found.length, 1);
  return found[0] ?? 0n;
}

describe('kofn token keygen', function () {
  this.timeout(120_000);
  before(async () => {
    svc = await startTokenService();
    pinFile = join(svc.dir, 'user.pin');
    writeFileSync(pinFile, `${USER_PIN}\n`, { mode: 0o600 });
  });
  after(async () => {
    await svc.close();
  });

  it('makes a key pair that token show lists, public and private, the private key dealt to all five nodes', async () => {
    const r = await keygen('--label', 'zsk', '--id', '0102', '--pin-file', pinFile);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ {2}id {7}0102$/m);
    assert.match(r.stdout, /^ {2}private {2}pkcs11:token=kofn;id=%01%02;object=zsk;type=private$/m);
    const keys = await keysOf('zsk');
    assert.deepEqual(keys.map((k) => [k.cls, k.id, k.bits]).sort(), [['private', '0102', 1024], ['public', '0102', 1024]]);
    const priv = keys.find((k) => k.cls === 'private');
    assert.equal(priv?.uri, 'pkcs11:token=kofn;id=%01%02;object=zsk;type=private');
    assert.deepEqual([...(priv?.nodes ?? [])].sort(), [...svc.cluster.ids].sort());
  });

  it('makes a key that signs through the protocol, the signature verifying under its public key', async () => {
    const r = await kofn(['token', 'keygen', '--bits', '1024', '--label', 'ksk', '--json'],
      { KOFN_SOCKET: svc.socket, KOFN_PIN: USER_PIN });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { slot: number; id: string; uri: string; publicUri: string; bits: number };
    assert.match(out.id, /^[0-9a-f]{32}$/);
    // The id is binary: every octet percent-encoded, as RFC 7512 recommends.
    const pct = out.id.replace(/../g, (b) => `%${b.toUpperCase()}`);
    assert.equal(out.uri, `pkcs11:token=kofn;id=${pct};object=ksk;type=private`);
    assert.equal(out.publicUri, `pkcs11:token=kofn;id=${pct};object=ksk;type=public`);
    assert.equal(out.bits, 1024);
    assert.deepEqual((await keysOf('ksk')).map((k) => k.uri).sort(), [out.uri, out.publicUri]);

    const c = await WireClient.connect(svc.socket);
    try {
      const s = await c.call('C_OpenSession', { slotID: BigInt(out.slot), flags: ck.CKF_SERIAL_SESSION });
      assert.equal(s.rv, ck.CKR_OK);
      const h = s.outputs.phSession as bigint;
      const login = await c.call('C_Login', { hSession: h, userType: ck.CKU_USER, pPin: Buffer.from(USER_PIN) });
      assert.equal(login.rv, ck.CKR_OK);
      const id = { type: ck.CKA_ID, value: Buffer.from(out.id, 'hex') };
      const priv = await find(c, h, [{ type: ck.CKA_CLASS, value: ulongAttr(ck.CKO_PRIVATE_KEY) }, id]);
      const pub = await find(c, h, [{ type: ck.CKA_CLASS, value: ulongAttr(ck.CKO_PUBLIC_KEY) }, id]);
      const data = Buffer.from('example.com. 3600 IN DNSKEY 257 3 8');
      const { rv, sig } = await sign(c, h, priv, data);
      assert.equal(rv, ck.CKR_OK);
      assert.ok(sig);
      const attrs = await c.call('C_GetAttributeValue', {
        hSession: h, hObject: pub,
        pTemplate: [
          { type: ck.CKA_MODULUS, given: true, length: 128n },
          { type: ck.CKA_PUBLIC_EXPONENT, given: true, length: 8n },
        ],
      });
      assert.equal(attrs.rv, ck.CKR_OK);
      const [n, e] = (attrs.outputs.pTemplate as { value?: Buffer }[]).map((a) => a.value?.toString('base64url') ?? '');
      assert.equal(e, 'AQAB', 'public exponent 65537');
      const key = createPublicKey({ key: { kty: 'RSA', n: n ?? '', e: e ?? '' }, format: 'jwk' });
      assert.ok(verify('sha256', data, key, sig));
    } finally {
      c.close();
    }
  });

  it('refuses a second private key of the same label in one line', async () => {
    oneLine(await keygen('--label', 'zsk', '--pin-file', pinFile), /private key labelled zsk already/);
    assert.equal((await keysOf('zsk')).length, 2);
  });

  it('answers a wrong PIN with one line naming CKR_PIN_INCORRECT, never printing the PIN', async () => {
    const wrong = join(svc.dir, 'wrong.pin');
    writeFileSync(wrong, `${WRONG_PIN}\n`, { mode: 0o600 });
    const r = await keygen('--label', 'never', '--pin-file', wrong);
    oneLine(r, /^kofn token keygen: C_Login: CKR_PIN_INCORRECT$/m);
    assert.ok(!r.stderr.includes(WRONG_PIN));
    assert.deepEqual(await keysOf('never'), []);
  });

  it('names an unknown token in one line, with the tokens the service has', async () => {
    oneLine(await keygen('--token', 'nope', '--label', 'x', '--pin-file', pinFile), /no token labelled nope .*\bkofn\b/);
  });

  it('fails in one line without a PIN, without a service, or with a bad flag, before touching a key', async () => {
    oneLine(await keygen('--label', 'x'), /no user PIN/);
    const none = join(svc.dir, 'none.sock');
    oneLine(await kofn(['token', 'keygen', '--socket', none, '--label', 'x', '--pin-file', pinFile]),
      /cannot reach the token service at .*none\.sock: ENOENT/);
    oneLine(await keygen('--label', 'x', '--bits', '512', '--pin-file', pinFile), /--bits/);
    oneLine(await keygen('--label', 'x', '--id', 'xyz', '--pin-file', pinFile), /--id/);
    oneLine(await keygen('--pin-file', pinFile), /--label is required/);
    assert.deepEqual(await keysOf('x'), []);
  });
});
