import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ck from '../../../src/pkcs11/ck.js';
import type { Attrs } from '../../../src/pkcs11/service/attributes.js';
import { TokenStore } from '../../../src/pkcs11/service/store.js';

const pin = { v: 1 as const, salt: '', N: 2, r: 1, p: 1, check: '', wrapNonce: '', wrapped: '' };

describe('the token store', () => {
  let dir: string;
  let store: TokenStore;
  let token: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-store-'));
    store = new TokenStore(join(dir, 'token.db'));
    token = store.createToken({
      label: 't', serial: '0011223344556677', clusterDir: dir, nodes: ['a', 'b', 'c'], threshold: 2, soPin: pin,
      userPin: null, soFailures: 0, userFailures: 0, secrets: Buffer.alloc(1), keygenPolicy: 'all', created: 'now',
    });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates its database readable by its owner only', () => {
    assert.equal(statSync(join(dir, 'token.db')).mode & 0o777, 0o600);
  });

  it('finds one key among 10,000 objects through an index, not a scan', () => {
    store.atomically(() => {
      for (let i = 0; i < 10_000; i++) {
        store.insertObject(token, new Map<bigint, Buffer | bigint | boolean>([
          [ck.CKA_CLASS, ck.CKO_PRIVATE_KEY], [ck.CKA_ID, Buffer.from(`id${i}`)], [ck.CKA_PRIVATE, true],
        ]));
      }
    });
    const hits = store.find(token, { cls: ck.CKO_PRIVATE_KEY, ckid: Buffer.from('id4242') }, true);
    assert.equal(hits.length, 1);
    for (const where of ['ckid = ?', 'label = ?']) {
      const plan = store.db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM objects WHERE token_id = ? AND ${where}`)
        .all(token, Buffer.from('x')) as { detail: string }[];
      assert.match(plan.map((p) => p.detail).join(' '), /USING (COVERING )?INDEX/);
    }
  });

  it('hides private objects from a find that may not see them', () => {
    const data = (priv: boolean): Attrs => new Map<bigint, bigint | boolean>([[ck.CKA_CLASS, ck.CKO_DATA],
      [ck.CKA_PRIVATE, priv]]);
    store.insertObject(token, data(true));
    store.insertObject(token, data(false));
    assert.equal(store.find(token, {}, false).length, 1);
    assert.equal(store.find(token, {}, true).length, 2);
  });

  it('keeps attribute values exactly across a round trip', () => {
    const attrs: Attrs = new Map<bigint, bigint | boolean | Buffer | bigint[]>([
      [ck.CKA_CLASS, ck.CKO_PUBLIC_KEY], [ck.CKA_TOKEN, true], [ck.CKA_LABEL, Buffer.from('ü')],
      [ck.CKA_ALLOWED_MECHANISMS, [ck.CKM_RSA_PKCS, ck.CKM_SHA256_RSA_PKCS]],
    ]);
    const id = store.insertObject(token, attrs);
    assert.deepEqual(store.object(id)?.attrs, attrs);
  });
});
