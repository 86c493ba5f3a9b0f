import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ck from '../../../src/pkcs11/ck.js';
import { UNAVAILABLE } from '../../../src/pkcs11/protocol/wire.js';
import type { Attrs } from '../../../src/pkcs11/service/attributes.js';
import { CkError } from '../../../src/pkcs11/service/errors.js';
import { type PlacementJson, registerThresholdKey, type ThresholdKey } from '../../../src/pkcs11/service/register.js';
import { TokenStore } from '../../../src/pkcs11/service/store.js';
import { i2osp } from '../../../src/threshold/bytes.js';
import { ThresholdPublicKey } from '../../../src/threshold/rsa/index.js';
import { createTestToken } from '../../helpers/token-store.js';

// Registration needs only the public side; no share exists in these tests.
const N = (1n << 1023n) + 0x1234567n;
const publicKey = new ThresholdPublicKey(N, 65537n, 2, 3, 4n, [9n, 16n, 25n]);

describe('registering a dealt threshold key', () => {
  let dir: string;
  let store: TokenStore;
  let token: number;
  const key = (over: Partial<ThresholdKey> = {}): ThresholdKey => ({
    keyId: 'k-1', nodes: ['a', 'b', 'c'], publicKey, label: Buffer.from('example.com-ksk'),
    ckaId: Buffer.from('0102', 'hex'), origin: 'generated', ...over,
  });
  const objects = (ids: { pub: number; priv: number }): { pub: Attrs; priv: Attrs } => {
    const pub = store.object(ids.pub);
    const priv = store.object(ids.priv);
    assert.ok(pub && priv);
    return { pub: pub.attrs, priv: priv.attrs };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-register-'));
    store = new TokenStore(join(dir, 'token.db'));
    token = createTestToken(store, dir);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a generated key as a token key pair that signs, verifies, is never readable and never copied', () => {
    const ids = registerThresholdKey(store, token, key());
    const { pub, priv } = objects(ids);
    const modulus = i2osp(N, 128);
    for (const o of [pub, priv]) {
      assert.equal(o.get(ck.CKA_TOKEN), true);
      assert.equal(o.get(ck.CKA_KEY_TYPE), ck.CKK_RSA);
      assert.deepEqual(o.get(ck.CKA_MODULUS), modulus);
      assert.deepEqual(o.get(ck.CKA_PUBLIC_EXPONENT), Buffer.from([1, 0, 1]));
      assert.deepEqual(o.get(ck.CKA_LABEL), Buffer.from('example.com-ksk'));
      assert.deepEqual(o.get(ck.CKA_ID), Buffer.from([1, 2]));
      assert.equal(o.get(ck.CKA_LOCAL), true);
      assert.equal(o.get(ck.CKA_KEY_GEN_MECHANISM), ck.CKM_RSA_PKCS_KEY_PAIR_GEN);
    }
    assert.equal(pub.get(ck.CKA_CLASS), ck.CKO_PUBLIC_KEY);
    assert.equal(pub.get(ck.CKA_MODULUS_BITS), 1024n);
    assert.equal(pub.get(ck.CKA_VERIFY), true);
    assert.equal(priv.get(ck.CKA_CLASS), ck.CKO_PRIVATE_KEY);
    assert.equal(priv.get(ck.CKA_PRIVATE), true);
    assert.equal(priv.get(ck.CKA_SIGN), true);
    assert.equal(priv.get(ck.CKA_SENSITIVE), true);
    assert.equal(priv.get(ck.CKA_EXTRACTABLE), false);
    assert.equal(priv.get(ck.CKA_ALWAYS_SENSITIVE), true);
    assert.equal(priv.get(ck.CKA_NEVER_EXTRACTABLE), true);
    assert.equal(priv.get(ck.CKA_COPYABLE), false);
    assert.equal(store.object(ids.pub)?.placement, null);
    const placement = JSON.parse(store.object(ids.priv)?.placement ?? '{}') as PlacementJson;
    assert.deepEqual({ ...placement, publicKey: undefined, created: undefined }, { v: 1, keyId: 'k-1',
      nodes: ['a', 'b', 'c'], origin: 'generated', publicKey: undefined, created: undefined });
    assert.ok(Date.now() - Date.parse(placement.created ?? '') < 60_000, 'the placement records when the key was dealt');
    assert.equal(ThresholdPublicKey.fromJSON(placement.publicKey).n, N);
  });

  it('marks an imported key as not made by the token and possibly seen before, yet sensitive from now on', () => {
    const { pub, priv } = objects(registerThresholdKey(store, token, key({ origin: 'imported' })));
    for (const o of [pub, priv]) {
      assert.equal(o.get(ck.CKA_LOCAL), false);
      assert.equal(o.get(ck.CKA_KEY_GEN_MECHANISM), UNAVAILABLE);
    }
    assert.equal(priv.get(ck.CKA_ALWAYS_SENSITIVE), false);
    assert.equal(priv.get(ck.CKA_NEVER_EXTRACTABLE), false);
    assert.equal(priv.get(ck.CKA_SENSITIVE), true);
    assert.equal(priv.get(ck.CKA_EXTRACTABLE), false);
    assert.equal(priv.get(ck.CKA_COPYABLE), false);
  });

  it('keeps extra template attributes such as a subject and a start date', () => {
    const subject = Buffer.from('3000', 'hex');
    const { pub, priv } = objects(registerThresholdKey(store, token, key({
      extraPub: new Map([[ck.CKA_SUBJECT, subject]]),
      extraPriv: new Map([[ck.CKA_SUBJECT, subject], [ck.CKA_START_DATE, Buffer.from('20250101')]]),
    })));
    assert.deepEqual(pub.get(ck.CKA_SUBJECT), subject);
    assert.deepEqual(priv.get(ck.CKA_START_DATE), Buffer.from('20250101'));
  });

  it('refuses a label or a CKA_ID that a private key of the token has already, storing nothing', () => {
    registerThresholdKey(store, token, key());
    const before = store.countObjects(token);
    assert.throws(() => registerThresholdKey(store, token, key({ keyId: 'k-2', ckaId: Buffer.from([3]) })),
      (err: unknown) => err instanceof CkError && /private key labelled example\.com-ksk already/.test(err.message));
    assert.throws(() => registerThresholdKey(store, token, key({ keyId: 'k-3', label: Buffer.from('other') })),
      /private key with CKA_ID 0102 already/);
    assert.equal(store.countObjects(token), before);
  });

  it('refuses extra attributes that would make the key readable, copyable, a session object or never seen', () => {
    const refused = (extraPriv: Attrs, origin: ThresholdKey['origin'] = 'generated') =>
      assert.throws(() => registerThresholdKey(store, token, key({ extraPriv, origin })), CkError);
    refused(new Map([[ck.CKA_EXTRACTABLE, true]]));
    refused(new Map([[ck.CKA_SENSITIVE, false]]));
    refused(new Map([[ck.CKA_COPYABLE, true]]));
    refused(new Map([[ck.CKA_TOKEN, false]]));
    refused(new Map([[ck.CKA_NEVER_EXTRACTABLE, true]]), 'imported');
    assert.equal(store.countObjects(token), 0);
  });
});
