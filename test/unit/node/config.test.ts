import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../src/cli/errors.js';
import { parseNodeConfig } from '../../../src/node/config.js';

const example = fileURLToPath(new URL('../../../../conf/node.example.yaml', import.meta.url));

describe('Node configuration', () => {
  it('accepts conf/node.example.yaml and resolves paths relative to it', () => {
    const c = parseNodeConfig(readFileSync(example, 'utf8'), example);
    assert.equal(c.id, 'node1');
    assert.equal(c.listen, '127.0.0.1:7101');
    assert.ok(c.data.endsWith('/conf/node.db'));
    assert.ok('keyFile' in c.kek && c.kek.keyFile.endsWith('/conf/node.kek'));
    assert.equal(c.cpuScheduling, 'batch');
  });

  const rest = 'data: d\ntls: {ca: a, cert: b, key: c}\nkek: {keyFile: k}\n';

  it('runs under SCHED_BATCH unless cpuScheduling says normal', () => {
    const base = `id: n\nlisten: a:1\n${rest}`;
    assert.equal(parseNodeConfig(base, 'x.yaml').cpuScheduling, 'batch');
    assert.equal(parseNodeConfig(`${base}cpuScheduling: normal\n`, 'x.yaml').cpuScheduling, 'normal');
  });
  const bad: [string, string, RegExp][] = [
    ['a missing listen address', 'id: node1\n', /listen: /],
    ['text that is not YAML', '{', /not valid YAML/],
    ['an upper-case id', `id: Node_1\nlisten: a:1\n${rest}`, /^config x.yaml: id: /],
    ['a listen address without a port', `id: n\nlisten: nowhere\n${rest}`, /listen: must be host:port/],
    ['a missing TLS key', 'id: n\nlisten: a:1\ndata: d\ntls: {ca: a, cert: b}\nkek: {keyFile: k}\n', /tls.key/],
    ['a passphrase variable that is not a name', 'id: n\nlisten: a:1\ndata: d\ntls: {ca: a, cert: b, key: c}\nkek: {passphraseEnv: lower}\n', /kek/],
    ['an unknown field', `id: n\nlisten: a:1\n${rest}extra: 1\n`, /extra|Unrecognized/],
    ['an unknown scheduling policy', `id: n\nlisten: a:1\n${rest}cpuScheduling: fifo\n`, /^config x.yaml: cpuScheduling: .*batch.*normal/],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what} with one clear line`, () => {
      assert.throws(() => parseNodeConfig(text, 'x.yaml'), (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }
});
