import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKeyFile, readKeyFile } from '../../../src/node/kek.js';
import { NodeStore, NodeStoreError } from '../../../src/node/store.js';
import { useTempDir } from './tmp-store.js';

const isCode = (code: string) => (err: unknown) => err instanceof NodeStoreError && err.code === code;

describe('Node store key-encryption key', () => {
  const tmp = useTempDir();

  it('creates a key file of 32 random bytes with mode 0600', () => {
    const path = join(tmp.dir(), 'other.kek');
    createKeyFile(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path).length, 32);
    assert.notDeepEqual(readFileSync(path), readFileSync(join(tmp.dir(), 'node.kek')));
  });

  it('refuses to overwrite an existing key file', () => {
    assert.throws(() => createKeyFile(join(tmp.dir(), 'node.kek')), isCode('EXISTS'));
  });

  it('refuses a key file that group or others may read, naming the fix', () => {
    const path = join(tmp.dir(), 'node.kek');
    chmodSync(path, 0o644);
    assert.throws(() => readKeyFile(path), {
      name: 'NodeStoreError',
      code: 'BAD_PERMISSIONS',
      message: `${path} must not be readable by group or others (mode 0644): run chmod 600 ${path}`,
    });
    assert.throws(() => NodeStore.create(join(tmp.dir(), 'node.db'), tmp.keyfile()), isCode('BAD_PERMISSIONS'));
  });

  it('accepts 64 hex digits with or without a newline as the same key as the raw bytes', () => {
    const raw = readFileSync(join(tmp.dir(), 'node.kek'));
    for (const [name, text] of [
      ['lower.kek', raw.toString('hex')],
      ['upper-nl.kek', `${raw.toString('hex').toUpperCase()}\n`],
    ] as const) {
      const path = join(tmp.dir(), name);
      writeFileSync(path, text, { mode: 0o600 });
      assert.deepEqual(readKeyFile(path), raw);
    }
  });

  it('refuses key files of the wrong length or with non-hex characters', () => {
    for (const [name, content] of [
      ['short.kek', Buffer.alloc(31, 1)],
      ['long.kek', Buffer.alloc(33, 1)],
      ['bad-hex.kek', Buffer.from(`${'ab'.repeat(31)}zz`)],
      ['bad-end.kek', Buffer.from(`${'ab'.repeat(32)} `)],
    ] as const) {
      const path = join(tmp.dir(), name);
      writeFileSync(path, content, { mode: 0o600 });
      assert.throws(() => readKeyFile(path), isCode('INVALID'), name);
    }
  });

  it('refuses a wrong passphrase on a store that holds no share', () => {
    const db = join(tmp.dir(), 'node.db');
    NodeStore.create(db, { kind: 'passphrase', passphrase: 'correct horse' }).close();
    assert.throws(() => NodeStore.open(db, { kind: 'passphrase', passphrase: 'correct hose' }), {
      code: 'WRONG_KEK',
      message: `wrong passphrase or key file for ${db}`,
    });
    const store = NodeStore.open(db, { kind: 'passphrase', passphrase: 'correct horse' });
    assert.equal(store.countShares(), 0);
    store.close();
  });

  it('refuses a different key file, and a passphrase where a key file was used', () => {
    const db = join(tmp.dir(), 'node.db');
    NodeStore.create(db, tmp.keyfile()).close();
    const other = join(tmp.dir(), 'other.kek');
    createKeyFile(other);
    assert.throws(() => NodeStore.open(db, { kind: 'keyfile', path: other }), isCode('WRONG_KEK'));
    assert.throws(() => NodeStore.open(db, { kind: 'passphrase', passphrase: 'x' }), isCode('WRONG_KEK'));
    NodeStore.open(db, tmp.keyfile()).close();
  });

  it('treats composed and decomposed accents in a passphrase alike', () => {
    const db = join(tmp.dir(), 'node.db');
    NodeStore.create(db, { kind: 'passphrase', passphrase: 'caf\u00e9' }).close();
    NodeStore.open(db, { kind: 'passphrase', passphrase: 'cafe\u0301' }).close();
  });
});
