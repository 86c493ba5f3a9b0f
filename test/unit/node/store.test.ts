import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NodeStore, NodeStoreError, type ShareInput } from '../../../src/node/store.js';
import { useTempDir } from './tmp-store.js';

const isCode = (code: string) => (err: unknown) => err instanceof NodeStoreError && err.code === code;

function shareInput(keyId: string, index = 3, share = randomBytes(256)): ShareInput {
  return {
    keyId,
    index,
    publicKey: JSON.stringify({ n: 'c0ffee', e: 65537, keyId }),
    vkFingerprint: `sha256:${keyId}`,
    share,
    installedBy: 'ceremony-1',
  };
}

/** Whether `needle` occurs in the file, or any of its 16-byte windows does when `windows` is set. */
function fileContains(path: string, needle: Buffer, windows = false): boolean {
  const hay = readFileSync(path);
  if (!windows) return hay.includes(needle);
  for (let i = 0; i + 16 <= needle.length; i++) if (hay.includes(needle.subarray(i, i + 16))) return true;
  return false;
}

describe('Node store', () => {
  const tmp = useTempDir();
  const dbPath = () => join(tmp.dir(), 'node.db');

  it('returns an installed share, its index and public key, and lists it without the secret', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const input = shareInput('zone.example:ksk-1', 5);
    assert.equal(store.putShare(input), 'installed');
    store.close();

    const reopened = NodeStore.open(dbPath(), tmp.keyfile());
    const got = reopened.getShare('zone.example:ksk-1');
    assert.ok(got);
    assert.deepEqual(got.share, input.share);
    assert.equal(got.index, 5);
    assert.equal(got.publicKey, input.publicKey);
    assert.equal(reopened.getShare('absent'), undefined);
    const [info, ...rest] = reopened.listShares();
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...info, installedAt: 0 },
      { keyId: input.keyId, index: 5, publicKey: input.publicKey, vkFingerprint: input.vkFingerprint,
        installedAt: 0, installedBy: 'ceremony-1' },
    );
    assert.ok(Math.abs((info?.installedAt ?? 0) - Date.now()) < 60_000);
    assert.deepEqual(reopened.shareInfo('zone.example:ksk-1'), info, 'one share\'s description is the listing\'s');
    assert.equal(reopened.shareInfo('absent'), undefined);
    assert.equal(reopened.countShares(), 1);
    assert.equal(reopened.deleteShare('zone.example:ksk-1'), true);
    assert.equal(reopened.deleteShare('zone.example:ksk-1'), false);
    assert.equal(reopened.countShares(), 0);
    reopened.close();
  });

  it('never writes share or secret bytes to the file or its write-ahead log, where the key id is found', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const share = randomBytes(384);
    const secret = randomBytes(32);
    store.putShare(shareInput('plaintext-marker-key-id', 2, share));
    store.putSecret('node-x25519', secret);
    const files = [dbPath(), `${dbPath()}-wal`];
    assert.ok(existsSync(files[1] ?? ''), 'the write-ahead log exists while the store is open');

    const check = () => {
      const marker = Buffer.from('plaintext-marker-key-id');
      assert.ok(files.some((f) => existsSync(f) && fileContains(f, marker)), 'positive control: key id found');
      for (const f of files.filter((file) => existsSync(file))) {
        assert.equal(fileContains(f, share), false, `share in ${f}`);
        assert.equal(fileContains(f, share, true), false, `16 bytes of the share in ${f}`);
        assert.equal(fileContains(f, secret, true), false, `16 bytes of the secret in ${f}`);
      }
    };
    check();
    store.close(); // checkpoints the log into the main file
    check();
  });

  it('creates the database and its write-ahead log with mode 0600', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    store.putSecret('s', Buffer.from('x'));
    assert.equal(statSync(dbPath()).mode & 0o777, 0o600);
    assert.equal(statSync(`${dbPath()}-wal`).mode & 0o777, 0o600);
    store.close();
  });

  it('installs a share once and answers already-installed for the same key, index and public key', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const input = shareInput('k1', 4);
    assert.equal(store.putShare(input), 'installed');
    const before = store.listShares();
    assert.equal(store.putShare({ ...input, share: Buffer.from(input.share), installedBy: 'someone-else' }),
      'already-installed');
    assert.deepEqual(store.listShares(), before, 'nothing was written');
    store.close();
  });

  it('refuses another index, public key or share under an installed key id as a conflict, without the bytes', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const input = shareInput('k1', 4);
    store.putShare(input);
    const other = randomBytes(256);
    for (const changed of [
      { ...input, index: 5 },
      { ...input, publicKey: '{"n":"beef"}' },
      { ...input, share: other },
    ]) {
      assert.throws(() => store.putShare(changed), (err: unknown) => {
        assert.ok(err instanceof NodeStoreError && err.code === 'CONFLICT');
        assert.ok(!err.message.includes(other.toString('hex').slice(0, 8)));
        assert.ok(!err.message.includes(input.share.toString('hex').slice(0, 8)));
        return true;
      });
    }
    assert.deepEqual(store.getShare('k1')?.share, input.share);
    store.close();
  });

  it('validates key ids and share indices', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    for (const bad of [
      shareInput(''),
      shareInput('has space'),
      shareInput('x'.repeat(129)),
      shareInput('k', 0),
      shareInput('k', 65),
      shareInput('k', 1.5),
      { ...shareInput('k'), share: Buffer.alloc(0) },
      { ...shareInput('k'), publicKey: '' },
    ]) {
      assert.throws(() => store.putShare(bad), isCode('INVALID'));
    }
    assert.equal(store.putShare(shareInput('a-Z_0.9:x', 64)), 'installed');
    assert.equal(store.putShare(shareInput('x'.repeat(128), 1)), 'installed');
    store.close();
  });

  it('reports a share whose ciphertext, nonce or index was edited as corrupt', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    for (const keyId of ['ct', 'nonce', 'index']) store.putShare(shareInput(keyId, 2));
    const raw = new Database(dbPath());
    const flip = (b: Buffer, i: number) => {
      const c = Buffer.from(b);
      c[i] = (c[i] ?? 0) ^ 1;
      return c;
    };
    const row = raw.prepare<[string], { nonce: Buffer; ciphertext: Buffer }>(
      'SELECT nonce, ciphertext FROM shares WHERE key_id = ?',
    );
    const ct = row.get('ct')?.ciphertext ?? Buffer.alloc(0);
    const nonce = row.get('nonce')?.nonce ?? Buffer.alloc(0);
    raw.prepare('UPDATE shares SET ciphertext = ? WHERE key_id = ?').run(flip(ct, 10), 'ct');
    raw.prepare('UPDATE shares SET nonce = ? WHERE key_id = ?').run(flip(nonce, 0), 'nonce');
    raw.prepare('UPDATE shares SET share_index = 3 WHERE key_id = ?').run('index');
    raw.close();
    for (const keyId of ['ct', 'nonce', 'index']) {
      assert.throws(() => store.getShare(keyId), (err: unknown) => {
        assert.ok(err instanceof NodeStoreError && err.code === 'CORRUPT', keyId);
        assert.match(err.message, /integrity check/);
        return true;
      });
    }
    store.close();
  });

  it('reports ciphertexts swapped between two rows as corrupt', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    store.putShare(shareInput('a', 2));
    store.putShare(shareInput('b', 2));
    const raw = new Database(dbPath());
    const get = raw.prepare<[string], { nonce: Buffer; ciphertext: Buffer }>(
      'SELECT nonce, ciphertext FROM shares WHERE key_id = ?',
    );
    const a = get.get('a');
    const b = get.get('b');
    const set = raw.prepare('UPDATE shares SET nonce = ?, ciphertext = ? WHERE key_id = ?');
    set.run(b?.nonce, b?.ciphertext, 'a');
    set.run(a?.nonce, a?.ciphertext, 'b');
    raw.close();
    assert.throws(() => store.getShare('a'), isCode('CORRUPT'));
    assert.throws(() => store.getShare('b'), isCode('CORRUPT'));
    store.close();
  });

  it('keeps named secrets, replaces them, and refuses one moved to another name', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    const x = randomBytes(32);
    store.putSecret('x25519', randomBytes(32));
    store.putSecret('x25519', x);
    store.putSecret('other', randomBytes(32));
    assert.deepEqual(store.getSecret('x25519'), x);
    assert.equal(store.getSecret('absent'), undefined);
    const raw = new Database(dbPath());
    raw.prepare(
      `UPDATE secrets SET (nonce, ciphertext) = (SELECT nonce, ciphertext FROM secrets WHERE name = 'x25519')
       WHERE name = 'other'`,
    ).run();
    raw.close();
    assert.throws(() => store.getSecret('other'), isCode('CORRUPT'));
    assert.equal(store.deleteSecret('other'), true);
    store.close();
  });

  it('refuses to create over an existing file and to open a missing one', () => {
    NodeStore.create(dbPath(), tmp.keyfile()).close();
    assert.throws(() => NodeStore.create(dbPath(), tmp.keyfile()), isCode('EXISTS'));
    assert.throws(() => NodeStore.open(join(tmp.dir(), 'missing.db'), tmp.keyfile()), isCode('MISSING'));
    assert.equal(existsSync(join(tmp.dir(), 'missing.db')), false);
  });

  it('leaves no file behind when the key file is refused', () => {
    const badKey = join(tmp.dir(), 'bad.kek');
    writeFileSync(badKey, Buffer.alloc(10), { mode: 0o600 });
    assert.throws(() => NodeStore.create(dbPath(), { kind: 'keyfile', path: badKey }), isCode('INVALID'));
    assert.equal(existsSync(dbPath()), false);
  });

  it('migrates a new store to schema version 1 with WAL and the kofn application id', () => {
    NodeStore.create(dbPath(), tmp.keyfile()).close();
    NodeStore.open(dbPath(), tmp.keyfile()).close();
    const raw = new Database(dbPath(), { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), 1);
    assert.equal(raw.pragma('application_id', { simple: true }), 0x6b6f666e);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    const tables = raw.prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .pluck().all();
    assert.deepEqual(tables, ['audit', 'meta', 'secrets', 'shares']);
    raw.close();
  });

  it('refuses a database that is not a node store, or is from a newer schema, without changing it', () => {
    const foreign = join(tmp.dir(), 'foreign.db');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    assert.throws(() => NodeStore.open(foreign, tmp.keyfile()), isCode('INVALID'));
    assert.equal(existsSync(`${foreign}-wal`), false);

    const text = join(tmp.dir(), 'text.db');
    writeFileSync(text, 'not a database at all, just some text that is long enough to fill a header'.repeat(10));
    assert.throws(() => NodeStore.open(text, tmp.keyfile()), isCode('INVALID'));

    NodeStore.create(dbPath(), tmp.keyfile()).close();
    const newer = new Database(dbPath());
    newer.pragma('user_version = 2');
    newer.close();
    assert.throws(() => NodeStore.open(dbPath(), tmp.keyfile()), /schema version 2/);
  });

  it('refuses every call after close, and closing twice is harmless', () => {
    const store = NodeStore.create(dbPath(), tmp.keyfile());
    store.close();
    store.close();
    assert.throws(() => store.countShares(), isCode('INVALID'));
    assert.throws(() => store.getSecret('x'), isCode('INVALID'));
  });
});
