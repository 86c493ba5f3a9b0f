import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PkiError, readPrivateFile, writePrivateFile } from '../../../src/pki/index.js';

describe('Private key files', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-pki-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a new file owner-only and reads it back', () => {
    const path = join(dir, 'node.key');
    writePrivateFile(path, 'secret');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readPrivateFile(path, 'utf8'), 'secret');
    assert.ok(readPrivateFile(path).equals(Buffer.from('secret')));
  });

  it('narrows an existing world-readable file to 0600 when writing over it', () => {
    const path = join(dir, 'node.key');
    writeFileSync(path, 'old', { mode: 0o644 });
    chmodSync(path, 0o644);
    writePrivateFile(path, 'new');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readPrivateFile(path, 'utf8'), 'new');
  });

  it('refuses to read a key file with mode 0644 and says how to fix it', () => {
    const path = join(dir, 'ca.key');
    writeFileSync(path, 'secret');
    chmodSync(path, 0o644);
    assert.throws(() => readPrivateFile(path), (err: unknown) => {
      assert.ok(err instanceof PkiError);
      assert.equal(err.message, `${path} must not be readable by group or others (mode 0644): chmod 600 ${path}`);
      return true;
    });
  });

  it('refuses a key file that only the group may read', () => {
    const path = join(dir, 'ca.key');
    writeFileSync(path, 'secret');
    chmodSync(path, 0o640);
    assert.throws(() => readPrivateFile(path), /mode 0640/);
  });
});
