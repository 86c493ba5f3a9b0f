import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyShareNodeService, RPC_NAMES } from '../../../src/node/rpc/schema.js';
import { RPC_ROLES } from '../../../src/node/rpc/authz.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('The node protocol schema', () => {
  it('has checked-in TypeScript types identical to what the .proto generates', function () {
    this.timeout(30_000);
    const out = mkdtempSync(join(tmpdir(), 'kofn-proto-'));
    try {
      execFileSync('bash', [join(root, 'scripts/gen-proto.sh'), out], { cwd: root });
      const checkedIn = join(root, 'src/node/rpc/gen');
      const fresh = files(out).map((f) => relative(out, f)).sort();
      assert.deepEqual(files(checkedIn).map((f) => relative(checkedIn, f)).sort(), fresh);
      for (const f of fresh) {
        assert.equal(readFileSync(join(checkedIn, f), 'utf8'), readFileSync(join(out, f), 'utf8'), `${f} is stale: npm run proto`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('serves exactly the RPCs that the access table names', () => {
    assert.deepEqual(Object.keys(KeyShareNodeService).sort(), [...RPC_NAMES].sort());
    assert.deepEqual(Object.keys(RPC_ROLES).sort(), [...RPC_NAMES].sort());
  });
});
