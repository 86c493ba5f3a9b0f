import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certFingerprint, codeFingerprint, fingerprintFiles, readAloud } from '../../../src/ceremony/fingerprint.js';
import { createCa } from '../../../src/pki/index.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('Ceremony fingerprints', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-fingerprint-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function put(rel: string, contents: string): void {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), contents);
  }

  it('digests files as sorted "path\\0sha256\\n" lines, whatever order they were given in', () => {
    put('b.txt', 'bee');
    put('a.txt', 'ay');
    const fp = fingerprintFiles(['b.txt', 'a.txt', 'b.txt'], { root: dir });
    assert.deepEqual(fp.files, [{ path: 'a.txt', sha256: sha256('ay') }, { path: 'b.txt', sha256: sha256('bee') }]);
    assert.equal(fp.sha256, sha256(`a.txt\0${sha256('ay')}\nb.txt\0${sha256('bee')}\n`));
    assert.deepEqual(fingerprintFiles(['a.txt', 'b.txt'], { root: dir }), fp);
  });

  it('changes when one byte of one file changes', () => {
    put('a.txt', 'ay');
    const before = fingerprintFiles(['a.txt'], { root: dir }).sha256;
    put('a.txt', 'az');
    assert.notEqual(fingerprintFiles(['a.txt'], { root: dir }).sha256, before);
  });

  it('refuses a file that is not there rather than vouching for less', () => {
    assert.throws(() => fingerprintFiles(['missing.txt'], { root: dir }), /ENOENT/);
  });

  it('covers the compiled code, the native addons and the lock file, and skips what is absent', () => {
    put('dist/src/cli/index.js', 'cli');
    put('dist/src/cli/index.js.map', 'map');
    put('dist/src/ceremony/words.js', 'words');
    put('dist/test/unit/x.test.js', 'test');
    put('native/build/Release/kofn_bn.node', 'addon');
    put('native/build/Release/libkofn-pkcs11.so', 'shim');
    put('native/build/Release/obj.target/x.o', 'object');
    put('package-lock.json', '{}');
    const fp = codeFingerprint(dir);
    assert.deepEqual(fp.files.map((f) => f.path), [
      'dist/src/ceremony/words.js',
      'dist/src/cli/index.js',
      'native/build/Release/kofn_bn.node',
      'native/build/Release/libkofn-pkcs11.so',
      'package-lock.json',
    ]);
    rmSync(join(dir, 'native'), { recursive: true });
    rmSync(join(dir, 'package-lock.json'));
    assert.deepEqual(codeFingerprint(dir).files.map((f) => f.path), ['dist/src/ceremony/words.js', 'dist/src/cli/index.js']);
  });

  it('gives the same code fingerprint for the same tree in another directory', () => {
    put('dist/src/a.js', 'a');
    const other = mkdtempSync(join(tmpdir(), 'kofn-fingerprint-'));
    try {
      mkdirSync(join(other, 'dist/src'), { recursive: true });
      writeFileSync(join(other, 'dist/src/a.js'), 'a');
      assert.equal(codeFingerprint(other).sha256, codeFingerprint(dir).sha256);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('fingerprints a certificate as the SHA-256 of its DER', async () => {
    const ca = await createCa({ clusterId: 'test' });
    const der = Buffer.from(ca.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.equal(certFingerprint(ca.certPem), createHash('sha256').update(der).digest('hex'));
  });

  it('lays out a digest for reading aloud: hex in fours and the first 8 bytes as words', () => {
    const r = readAloud('E58294F2E9A227486E8B061B31CC528FD7FA3F19');
    assert.equal(r.hex, 'e582 94f2 e9a2 2748 6e8b 061b 31cc 528f d7fa 3f19');
    assert.deepEqual(r.words, ['topmost', 'Istanbul', 'Pluto', 'vagabond', 'treadmill', 'Pacific', 'brackish',
      'dictator']);
    assert.equal(readAloud('e5:82').hex, 'e582');
    assert.throws(() => readAloud('xyz'), /not a hex digest/);
  });
});
