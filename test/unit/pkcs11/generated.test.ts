import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('the CK* constants', () => {
  it('are exactly what scripts/gen-ck.mjs derives from the vendored pkcs11.h', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kofn-ck-'));
    try {
      for (const d of ['scripts', 'native/include/p11-kit', 'src/pkcs11']) mkdirSync(join(tmp, d), { recursive: true });
      cpSync(join(ROOT, 'scripts/gen-ck.mjs'), join(tmp, 'scripts/gen-ck.mjs'));
      cpSync(join(ROOT, 'native/include/p11-kit/pkcs11.h'), join(tmp, 'native/include/p11-kit/pkcs11.h'));
      execFileSync(process.execPath, [join(tmp, 'scripts/gen-ck.mjs')], { stdio: 'pipe' });
      assert.equal(readFileSync(join(tmp, 'src/pkcs11/ck.ts'), 'utf8'), readFileSync(join(ROOT, 'src/pkcs11/ck.ts'), 'utf8'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
