import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../src/cli/errors.js';
import { parseTokenConfig } from '../../../src/pkcs11/service/config.js';

const EXAMPLE = fileURLToPath(new URL('../../../../conf/token.example.yaml', import.meta.url));

describe('the token service configuration', () => {
  it('accepts the example in conf/', () => {
    const c = parseTokenConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
    assert.equal(c.socket, '/run/kofn/pkcs11.sock');
    assert.equal(c.socketMode, 0o660);
    assert.deepEqual(c.primePool, { 2048: 2 });
  });

  it('names the field that is wrong in one line', () => {
    assert.throws(() => parseTokenConfig('version: 1\nstate: x\nprimePool: { 1000: 1 }\n', '/etc/t.yaml'),
      (e: unknown) => e instanceof UserError && /primePool/.test(e.message) && !e.message.includes('\n'));
    assert.throws(() => parseTokenConfig('version: 2\nstate: x\n', '/etc/t.yaml'), UserError);
  });
});
