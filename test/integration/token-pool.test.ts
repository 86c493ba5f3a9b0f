/**
 * The pre-dealt pool against a real token service (3-of-5 cluster, `kofn token serve`): keys dealt
 * into the store by this process, as a key ceremony does while the service runs, then handed out
 * by C_GenerateKeyPair under key source `pool` without dealing anything.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { Coordinator } from '../../src/coordinator/coordinator.js';
import { NodeClient } from '../../src/coordinator/node-client.js';
import * as ck from '../../src/pkcs11/ck.js';
import type { Attribute } from '../../src/pkcs11/protocol/wire.js';
import { DB_FILE } from '../../src/pkcs11/service/daemon.js';
import { dealIntoPool } from '../../src/pkcs11/service/pool.js';
import type { PlacementJson } from '../../src/pkcs11/service/register.js';
import { TokenStore } from '../../src/pkcs11/service/store.js';
import { type Run, runKofn } from '../helpers/cli.js';
import { LABEL, SO_PIN, startTokenService, type TestTokenService, USER_PIN } from '../helpers/token-service.js';
import { boolAttr, sign, ulongAttr, WireClient } from '../helpers/wire-client.js';

const NONE = { form: 'none' } as const;

let svc: TestTokenService;
let store: TokenStore;
let dealer: Coordinator;
let tokenId: number;

function kofn(...args: string[]): Promise<Run> {
  return runKofn(args);
}

async function policy(source: 'dealer' | 'pool'): Promise<void> {
  const r = await kofn('token', 'policy', '--dir', svc.dir, '--label', LABEL, '--keygen', source);
  assert.equal(r.status, 0, r.stderr);
}

/** Deals one 1024-bit key into the pool as a ceremony would; returns its key id and modulus. */
async function deal(): Promise<{ keyId: string; n: Buffer }> {
  const [keyId] = await dealIntoPool({ store, tokenId, coordinator: dealer, bits: 1024, count: 1, ceremony: 'test' });
  const row = store.poolKeys(tokenId).find((k) => k.keyId === keyId);
  assert.ok(keyId && row);
  const n = BigInt(`0x${(JSON.parse(row.placement) as PlacementJson).publicKey.n}`);
  return { keyId, n: Buffer.from(n.toString(16).padStart(256, '0'), 'hex') };
}

function pooled(): number {
  return store.poolCounts(tokenId).reduce((sum, c) => sum + c.count, 0);
}

async function openUser(c: WireClient): Promise<bigint> {
  const s = await c.call('C_OpenSession', { slotID: BigInt(tokenId), flags: ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION });
  assert.equal(s.rv, ck.CKR_OK);
  const h = s.outputs.phSession as bigint;
  const l = await c.call('C_Login', { hSession: h, userType: ck.CKU_USER, pPin: Buffer.from(USER_PIN) });
  assert.ok(l.rv === ck.CKR_OK || l.rv === ck.CKR_USER_ALREADY_LOGGED_IN, `login: ${l.rv}`);
  return h;
}

function generate(c: WireClient, h: bigint, label: string) {
  const named: Attribute[] = [
    { type: ck.CKA_TOKEN, value: boolAttr(true) }, { type: ck.CKA_LABEL, value: Buffer.from(label) },
    { type: ck.CKA_ID, value: Buffer.from(label) },
  ];
  return c.call('C_GenerateKeyPair', {
    hSession: h,
    pMechanism: { type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN, param: NONE },
    pPublicKeyTemplate: [...named, { type: ck.CKA_MODULUS_BITS, value: ulongAttr(1024n) },
      { type: ck.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }],
    pPrivateKeyTemplate: [...named, { type: ck.CKA_SIGN, value: boolAttr(true) }],
  });
}

/** Closes the sessions too: otherwise they outlive the connection by the service's grace period. */
async function end(c: WireClient): Promise<void> {
  await c.call('C_CloseAllSessions', { slotID: BigInt(tokenId) });
  c.close();
}

async function attributes(c: WireClient, h: bigint, obj: bigint, types: bigint[]): Promise<(Buffer | undefined)[]> {
  const r = await c.call('C_GetAttributeValue', {
    hSession: h, hObject: obj, pTemplate: types.map((type) => ({ type, given: true, length: 512n })),
  });
  assert.equal(r.rv, ck.CKR_OK);
  return (r.outputs.pTemplate as { value?: Buffer }[]).map((a) => a.value);
}

/** Every node's share key ids, asked with the auditor's certificate. */
async function shares(): Promise<string[]> {
  const tls = svc.cluster.cluster.tlsFor('auditor');
  const out: string[] = [];
  for (const e of svc.cluster.cluster.endpoints) {
    const client = new NodeClient(e, tls);
    try {
      out.push(...(await client.listShares(5000)).shares.map((s) => `${e.id}:${s.key_id}`));
    } finally {
      client.close();
    }
  }
  return out.sort();
}

describe('the pre-dealt pool', function () {
  this.timeout(120_000);
  before(async () => {
    svc = await startTokenService();
    store = new TokenStore(join(svc.dir, 'token', DB_FILE));
    const t = store.tokenByLabel(LABEL);
    assert.ok(t);
    tokenId = t.id;
    dealer = new Coordinator({
      tls: svc.cluster.cluster.tlsFor('coordinator'), nodes: svc.cluster.cluster.endpoints, healthIntervalMs: 0,
    });
  });
  after(async () => {
    dealer.close();
    store.close();
    await svc.close();
  });

  it('hands a pooled key to C_GenerateKeyPair under key source pool, dealing nothing, and the key signs', async () => {
    const c = await WireClient.connect(svc.socket);
    try {
      // Logged in first, so the service's sweeper runs while the key is dealt into the pool beside it.
      const h = await openUser(c);
      const key = await deal();
      assert.equal(pooled(), 1);
      await policy('pool');
      const show = await kofn('token', 'show', '--dir', svc.dir, '--label', LABEL, '--json');
      assert.equal(show.status, 0, show.stderr);
      const shown = JSON.parse(show.stdout) as { keygen: string; pool: unknown[] };
      assert.equal(shown.keygen, 'pool');
      assert.deepEqual(shown.pool, [{ bits: 1024, e: 65537, count: 1 }]);
      const text = await kofn('token', 'show', '--dir', svc.dir, '--label', LABEL);
      assert.match(text.stdout, /^ {2}keygen {4}pool \(keys dealt beforehand by a key ceremony\)$/m);
      assert.match(text.stdout, /^ {2}pool {6}1 RSA-1024$/m);
      // Two sweeps of the service (every 500 ms) pass while the pool key waits.
      await new Promise((r) => setTimeout(r, 1200));
      const before = await shares();
      assert.equal(before.filter((s) => s.endsWith(`:${key.keyId}`)).length, 5);

      const r = await generate(c, h, 'pooled');
      assert.equal(r.rv, ck.CKR_OK, `C_GenerateKeyPair: 0x${r.rv.toString(16)}`);
      const pub = r.outputs.phPublicKey as bigint;
      const priv = r.outputs.phPrivateKey as bigint;
      assert.equal(pooled(), 0);
      assert.deepEqual(await shares(), before, 'no share installed or deleted');
      const [n, e] = await attributes(c, h, pub, [ck.CKA_MODULUS, ck.CKA_PUBLIC_EXPONENT]);
      assert.deepEqual(n, key.n);
      const [local, always, never, label] = await attributes(c, h, priv,
        [ck.CKA_LOCAL, ck.CKA_ALWAYS_SENSITIVE, ck.CKA_NEVER_EXTRACTABLE, ck.CKA_LABEL]);
      assert.deepEqual([local, always, never], [Buffer.from([1]), Buffer.from([1]), Buffer.from([1])]);
      assert.equal(label?.toString(), 'pooled');
      const placement = store.find(tokenId, { cls: ck.CKO_PRIVATE_KEY, label: Buffer.from('pooled') }, true)[0]?.placement;
      assert.equal((JSON.parse(placement ?? '{}') as PlacementJson).keyId, key.keyId);

      const data = Buffer.from('example.com. 3600 IN DNSKEY 256 3 8');
      const { rv, sig } = await sign(c, h, priv, data);
      assert.equal(rv, ck.CKR_OK);
      assert.ok(sig);
      const jwk = { kty: 'RSA', n: n?.toString('base64url') ?? '', e: e?.toString('base64url') ?? '' };
      assert.ok(verify('sha256', data, createPublicKey({ key: jwk, format: 'jwk' }), sig));
      assert.match(svc.output(), new RegExp(`token ${LABEL}: RSA-1024 key ${key.keyId} from the pre-dealt pool`));
    } finally {
      await end(c);
    }
  });

  it('answers CKR_DEVICE_MEMORY when the pool has no key of the size, naming the token and size in the log', async () => {
    const c = await WireClient.connect(svc.socket);
    try {
      const h = await openUser(c);
      const before = await shares();
      assert.equal((await generate(c, h, 'none left')).rv, ck.CKR_DEVICE_MEMORY);
      assert.deepEqual(await shares(), before);
      assert.deepEqual(store.find(tokenId, { label: Buffer.from('none left') }, true), []);
      assert.match(svc.output(),
        new RegExp(`token ${LABEL}: no RSA-1024 key .*the pre-dealt pool is empty; deal more in a key ceremony`));
    } finally {
      await end(c);
    }
  });

  it('leaves the pool alone under key source dealer, which deals a new key', async () => {
    const key = await deal();
    await policy('dealer');
    const c = await WireClient.connect(svc.socket);
    try {
      const h = await openUser(c);
      const r = await generate(c, h, 'dealt');
      assert.equal(r.rv, ck.CKR_OK);
      const [n] = await attributes(c, h, r.outputs.phPublicKey as bigint, [ck.CKA_MODULUS]);
      assert.notDeepEqual(n, key.n);
      assert.equal(pooled(), 1);
      assert.deepEqual(store.poolKeys(tokenId).map((k) => k.keyId), [key.keyId]);
    } finally {
      await end(c);
    }
  });

  it('empties the pool when the token is re-initialised, deleting the pooled shares', async () => {
    const [key] = store.poolKeys(tokenId);
    assert.ok(key);
    const c = await WireClient.connect(svc.socket);
    try {
      const r = await c.call('C_InitToken', {
        slotID: BigInt(tokenId), pPin: Buffer.from(SO_PIN), pLabel: Buffer.from(LABEL.padEnd(32, ' ')),
      });
      assert.equal(r.rv, ck.CKR_OK);
    } finally {
      await end(c);
    }
    assert.equal(pooled(), 0);
    assert.deepEqual((await shares()).filter((s) => s.endsWith(`:${key.keyId}`)), []);
  });
});
