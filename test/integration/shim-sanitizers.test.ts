import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTokenService, type TestTokenService } from '../helpers/token-service.js';
import { ROOT, run } from './helpers/native.js';

describe('The shim under sanitizers (scripts/sanitize-shim.sh)', function () {
  this.timeout(300_000);
  let svc: TestTokenService;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-shim-sanitize-'));
    svc = await startTokenService();
  });

  after(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs threads and forks against the live service with no ASan, UBSan or TSan report', async () => {
    const r = await run(join(ROOT, 'scripts/sanitize-shim.sh'), [dir], { KOFN_SOCKET: svc.socket }, 280_000);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /== asan[\s\S]*stress: 0 failed checks[\s\S]*== tsan[\s\S]*stress: 0 failed checks/);
    assert.match(r.stdout, /no sanitizer reports/);
  });
});
