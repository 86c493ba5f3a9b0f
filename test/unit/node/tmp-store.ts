import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyFile, type KekSource } from '../../../src/node/kek.js';

/** A fresh temporary directory per test, removed afterwards, with a key file ready to use. */
export function useTempDir(): { dir: () => string; keyfile: () => KekSource } {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-store-'));
    createKeyFile(join(dir, 'node.kek'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return { dir: () => dir, keyfile: () => ({ kind: 'keyfile', path: join(dir, 'node.kek') }) };
}
