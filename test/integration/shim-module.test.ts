import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTestProgram, run } from './helpers/native.js';
import { SHIM } from './helpers/p11.js';

describe('The libkofn-pkcs11.so module', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-shim-module-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exports only C_GetFunctionList, C_GetInterfaceList and C_GetInterface', () => {
    const out = execFileSync('nm', ['-D', '--defined-only', SHIM], { encoding: 'utf8' });
    const symbols = out.trim().split('\n').map((l) => l.trim().split(/\s+/).at(-1)).sort();
    assert.deepEqual(symbols, ['C_GetFunctionList', 'C_GetInterface', 'C_GetInterfaceList']);
  });

  it('needs nothing but the C library', () => {
    const out = execFileSync('readelf', ['-d', SHIM], { encoding: 'utf8' });
    const needed = [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    assert.deepEqual(needed, ['libc.so.6']);
  });

  it('checks C_Initialize\'s arguments with the exact CKRs, refuses calls before it, and offers both interfaces', async () => {
    const program = compileTestProgram('shim-stress', dir);
    const r = await run(program, [SHIM, 'init-checks'], { KOFN_SOCKET: join(dir, 'nothing-here.sock') });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /init-checks: 0 failed checks/);
  });
});
