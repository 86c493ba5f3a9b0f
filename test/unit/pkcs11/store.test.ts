import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ck from '../../../src/pkcs11/ck.js';
import type { Attrs } from '../../../src/pkcs11/service/attributes.js';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION, TokenStore } from '../../../src/pkcs11/service/store.js';
import { createTestToken } from '../../helpers/token-store.js';

describe('the token store', () => {
  let dir: string;
  let store: TokenStore;
  let token: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-store-'));
    store = new TokenStore(join(dir, 'token.db'));
    token = createTestToken(store, dir);
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

  it('never gives the id of a destroyed object (a token-object handle) to a new one, across reopening', () => {
    const attrs: Attrs = new Map([[ck.CKA_CLASS, ck.CKO_DATA]]);
    store.insertObject(token, attrs);
    const last = store.insertObject(token, attrs);
    store.deleteObject(last);
    const next = store.insertObject(token, attrs);
    assert.ok(next > last, `${next} > ${last}`);
    store.deleteObject(next);
    store.close();
    store = new TokenStore(join(dir, 'token.db'));
    assert.ok(store.insertObject(token, attrs) > next);
  });

  it('makes new tokens deal their own keys until told to take them from the pool', () => {
    assert.equal(store.token(token)?.keySource, 'dealer');
    store.setKeySource(token, 'pool');
    assert.equal(store.token(token)?.keySource, 'pool');
    assert.throws(() => store.setKeySource(token, 'elsewhere' as 'pool'), /not dealer or pool/);
  });

  it('hands out the oldest pool key of the asked size and exponent, each once, counting what is left', () => {
    const e = Buffer.from([1, 0, 1]);
    const pooled = (keyId: string, bits = 2048) => ({ bits, e, keyId, placement: `{"keyId":"${keyId}"}`, ceremony: 'c1' });
    store.addPoolKeys(token, [pooled('k-1'), pooled('k-2'), pooled('k-3', 3072)]);
    assert.deepEqual(store.poolCounts(token), [{ bits: 2048, e, count: 2 }, { bits: 3072, e, count: 1 }]);
    const take = (bits: number, exp: Buffer) => store.atomically(() => store.takePoolKey(token, bits, exp));
    // A leading zero names the same exponent.
    const first = take(2048, Buffer.from([0, 1, 0, 1]));
    assert.equal(first?.keyId, 'k-1');
    assert.equal(first.ceremony, 'c1');
    assert.equal(take(2048, e)?.keyId, 'k-2');
    assert.equal(take(2048, e), undefined);
    assert.equal(take(3072, Buffer.from([3])), undefined);
    assert.deepEqual(store.poolCounts(token), [{ bits: 3072, e, count: 1 }]);
  });

  it('gives a pool key back when the transaction that took it fails', () => {
    store.addPoolKeys(token, [{ bits: 2048, e: Buffer.from([3]), keyId: 'k-1', placement: '{}', ceremony: 'c' }]);
    assert.throws(() => store.atomically(() => {
      store.takePoolKey(token, 2048, Buffer.from([3]));
      throw new Error('the objects could not be stored');
    }), /could not be stored/);
    assert.equal(store.poolCounts(token)[0]?.count, 1);
  });

  it('refuses to take a pool key outside a transaction', () => {
    assert.throws(() => store.takePoolKey(token, 2048, Buffer.from([3])), /outside a transaction/);
  });

  it('adds a batch of pool keys all or none', () => {
    const k = { bits: 2048, e: Buffer.from([3]), keyId: 'k-1', placement: '{}', ceremony: 'c' };
    assert.throws(() => store.addPoolKeys(token, [k, { ...k, keyId: 'k-2' }, k]), /UNIQUE/);
    assert.deepEqual(store.poolCounts(token), []);
  });

  it('keeps held tombstones from the sweeper until their time', () => {
    store.addTombstones(token, 'k-now', ['a']);
    store.addTombstones(token, 'k-held', ['a', 'b'], new Date(Date.now() + 60_000));
    assert.deepEqual(store.tombstones(token).map((t) => t.keyId), ['k-now']);
    assert.deepEqual(store.tombstones(token, new Date(Date.now() + 120_000)).map((t) => t.keyId).sort(),
      ['k-held', 'k-held', 'k-now']);
  });
});

describe('the token store\'s migrations', () => {
  it('bring a format-v2 store to v3 with its tokens, objects and tombstones intact, the tokens keeping the dealer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kofn-store-v2-'));
    try {
      const file = join(dir, 'token.db');
      const db = new Database(file);
      db.exec(MIGRATIONS[0] ?? '');
      db.exec(MIGRATIONS[1] ?? '');
      db.pragma('user_version = 2');
      db.prepare(`INSERT INTO tokens (id, label, serial, cluster_dir, nodes, threshold, so_pin, secrets, created)
        VALUES (3, 't', '0011223344556677', '/c', '["a"]', 1, '{}', x'00', 'now')`).run();
      const ins = db.prepare(`INSERT INTO objects (id, token_id, class, ckid, label, private, attrs, placement)
        VALUES (?, 3, 3, x'01', x'', 1, x'', ?)`);
      ins.run(5, '{"keyId":"k-5"}');
      ins.run(8, null);
      db.prepare(`INSERT INTO tombstones (token_id, key_id, node, since) VALUES (3, 'k-0', 'a', 'then')`).run();
      db.close();

      const store = new TokenStore(file);
      try {
        assert.equal(store.token(3)?.keySource, 'dealer');
        assert.deepEqual(store.find(3, {}, true).map((o) => [o.id, o.placement]), [[5, '{"keyId":"k-5"}'], [8, null]]);
        assert.deepEqual(store.tombstones(3), [{ keyId: 'k-0', node: 'a', since: 'then' }]);
        assert.deepEqual(store.poolCounts(3), []);
        store.addPoolKeys(3, [{ bits: 2048, e: Buffer.from([1, 0, 1]), keyId: 'k-9', placement: '{}', ceremony: 'c' }]);
        assert.equal(store.poolCounts(3)[0]?.count, 1);
      } finally {
        store.close();
      }
      const after = new Database(file, { readonly: true });
      assert.equal(after.pragma('user_version', { simple: true }), 3);
      assert.equal(SCHEMA_VERSION, 3);
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bring a format-v1 store to the current format, keeping every object under its id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kofn-store-v1-'));
    try {
      const file = join(dir, 'token.db');
      const db = new Database(file);
      db.exec(MIGRATIONS[0] ?? '');
      db.pragma('user_version = 1');
      db.prepare(`INSERT INTO tokens (id, label, serial, cluster_dir, nodes, threshold, so_pin, secrets, created)
        VALUES (1, 't', '0011223344556677', '/c', '["a"]', 1, '{}', x'00', 'now')`).run();
      const ins = db.prepare(`INSERT INTO objects (id, token_id, class, ckid, label, private, attrs)
        VALUES (?, 1, 0, x'', x'', 0, x'')`);
      ins.run(7);
      ins.run(9);
      db.close();

      const store = new TokenStore(file);
      try {
        assert.deepEqual(store.find(1, {}, true).map((o) => o.id), [7, 9]);
        store.deleteObject(9);
        assert.equal(store.insertObject(1, new Map([[ck.CKA_CLASS, ck.CKO_DATA]])), 10);
      } finally {
        store.close();
      }
      const after = new Database(file, { readonly: true });
      assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const sql = (after.prepare(`SELECT sql FROM sqlite_master WHERE name = 'objects'`).get() as { sql: string }).sql;
      assert.match(sql, /AUTOINCREMENT/);
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
