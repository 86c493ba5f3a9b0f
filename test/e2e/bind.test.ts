/**
 * BIND 9.18's dnssec-* tools sign a zone with keys in kofn, through Debian's libp11 OpenSSL engine
 * (`-E pkcs11`) loading libkofn-pkcs11.so. Debian's own bind9 is built without ENGINE support, so the
 * tools come from scripts/build-bind-tools.sh (Debian's bind9 source, rebuilt once and cached).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { MODULE, startTokenService, type TestTokenService, USER_PIN } from '../helpers/token-service.js';
import { generateZone } from './helpers/ods.js';
import { requireTools, unavailable } from './helpers/tools.js';

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL('../../../scripts/build-bind-tools.sh', import.meta.url));
const ENGINE = '/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so';
const ZONE = 'bind.kofn.test';

/** The bin directory of the ENGINE-enabled dnssec-* tools, building them on first use. */
function bindTools(ctx: Mocha.Context): string {
  try {
    return execFileSync(BUILD, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000 }).trim();
  } catch (err) {
    const last = (err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? String(err);
    return unavailable(ctx, `scripts/build-bind-tools.sh failed: ${last}`, err);
  }
}

function engineConf(module: string): string {
  return ['openssl_conf = openssl_init', '[openssl_init]', 'engines = engine_section', '[engine_section]',
    'pkcs11 = pkcs11_section', '[pkcs11_section]', 'engine_id = pkcs11', `dynamic_path = ${ENGINE}`,
    `MODULE_PATH = ${module}`, 'init = 0', ''].join('\n');
}

describe('BIND\'s dnssec-* tools sign with keys in kofn through the libp11 engine', function () {
  this.timeout(600_000);
  let ts: TestTokenService | undefined;
  let bin = '';
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  const svc = (): TestTokenService => {
    if (ts === undefined) throw new Error('the token service is not running');
    return ts;
  };

  before(async function () {
    requireTools(this, ['pkcs11-tool', 'ldns-verify-zone', 'dnssec-verify'],
      'apt-get install opensc ldnsutils bind9-utils libengine-pkcs11-openssl');
    if (!existsSync(ENGINE)) unavailable(this, `no libp11 engine at ${ENGINE}: apt-get install libengine-pkcs11-openssl`);
    bin = bindTools(this);
    ts = await startTokenService({ primePool: '2048:2' });
    dir = join(ts.dir, 'bind');
    mkdirSync(join(dir, 'keys'), { recursive: true });
    writeFileSync(join(dir, 'openssl.cnf'), engineConf(MODULE));
    // No newline: libp11's pin-source reads the whole file as the PIN.
    writeFileSync(join(dir, 'pin'), USER_PIN, { mode: 0o600 });
    env = { ...ts.env, OPENSSL_CONF: join(dir, 'openssl.cnf') };
  });

  after(async () => {
    await ts?.close();
  });

  it('makes a KSK with pkcs11-tool and a ZSK with `kofn token keygen`, both dealt to the nodes', async () => {
    await run('pkcs11-tool', ['--module', MODULE, '--token-label', 'kofn', '--login', '--pin', USER_PIN, '--keypairgen',
      '--key-type', 'rsa:2048', '--label', 'ksk', '--id', '01'], { env });
    const made = await run(process.execPath, [CLI_PATH, 'token', 'keygen', '--socket', svc().socket, '--label', 'zsk',
      '--id', '02', '--bits', '2048', '--pin-file', join(dir, 'pin'), '--json'], { env });
    assert.equal((JSON.parse(made.stdout) as { id: string }).id, '02');
    const keys = (JSON.parse(execFileSync(process.execPath, [CLI_PATH, 'token', 'show', '--dir', svc().dir, '--label',
      'kofn', '--json'], { encoding: 'utf8' })) as { keys: { id: string; cls: string; nodes?: string[] }[] }).keys;
    for (const id of ['01', '02']) {
      assert.equal(keys.find((k) => k.id === id && k.cls === 'private')?.nodes?.length, 5, `key ${id} on five nodes`);
    }
  });

  it('dnssec-keyfromlabel, dnssec-signzone -S -n 2 and dnssec-verify sign and check a 1,000-name zone', async () => {
    // The KSK by label with the PIN in the URI, the ZSK by CKA_ID with the PIN read from a file.
    const ksk = await run(join(bin, 'dnssec-keyfromlabel'), ['-E', 'pkcs11', '-K', 'keys', '-a', 'RSASHA256', '-f', 'KSK',
      '-l', `pkcs11:token=kofn;object=ksk;pin-value=${USER_PIN}`, ZONE], { env, cwd: dir });
    const zsk = await run(join(bin, 'dnssec-keyfromlabel'), ['-E', 'pkcs11', '-K', 'keys', '-a', 'RSASHA256',
      '-l', `pkcs11:token=kofn;id=%02;pin-source=file:${join(dir, 'pin')}`, ZONE], { env, cwd: dir });
    assert.match(ksk.stdout, new RegExp(`^K${ZONE}\\.\\+008\\+\\d{5}$`, 'm'));
    assert.match(zsk.stdout, new RegExp(`^K${ZONE}\\.\\+008\\+\\d{5}$`, 'm'));
    const pub = readFileSync(join(dir, 'keys', `${ksk.stdout.trim()}.key`), 'utf8');
    assert.match(pub, /DNSKEY 257 3 8 AwEAA/);

    writeFileSync(join(dir, 'zone'), generateZone(ZONE, 1000));
    const signed = await run(join(bin, 'dnssec-signzone'), ['-E', 'pkcs11', '-K', 'keys', '-S', '-n', '2', '-t', '-o', ZONE,
      '-f', 'zone.signed', 'zone'], { env, cwd: dir });
    assert.match(signed.stdout + signed.stderr, /Signatures generated:\s+[1-9]\d{3}/);
    const rate = /Signatures per second:\s+([\d.]+)/.exec(signed.stdout + signed.stderr)?.[1];
    process.stdout.write(`      dnssec-signzone -n 2 through kofn 3-of-5: ${rate ?? '?'} signatures/s\n`);
    const verified = await run(join(bin, 'dnssec-verify'), ['-o', ZONE, 'zone.signed'], { env, cwd: dir });
    assert.match(verified.stdout + verified.stderr, /Zone fully signed/);
    // Two verifiers that share no code with the signing path: Debian's packaged BIND and ldns.
    const debian = await run('/usr/bin/dnssec-verify', ['-o', ZONE, 'zone.signed'], { cwd: dir });
    assert.match(debian.stdout + debian.stderr, /KSKs: 1 active.*\n.*ZSKs: 1 active/);
    assert.match((await run('ldns-verify-zone', ['zone.signed'], { cwd: dir })).stdout, /Zone is verified and complete/);
  });

  it('cannot sign once three of five nodes are down: the signatures come from the nodes', async () => {
    for (const id of ['node1', 'node2', 'node3']) await svc().cluster.kill(id);
    try {
      await assert.rejects(run(join(bin, 'dnssec-signzone'), ['-E', 'pkcs11', '-K', 'keys', '-S', '-n', '2', '-o', ZONE,
        '-f', 'zone.down', 'zone'], { env, cwd: dir }));
      assert.equal(existsSync(join(dir, 'zone.down')), false, 'no signed zone was written');
      assert.match(svc().output(), /C_Sign: CKR_DEVICE_ERROR: .*fewer than 3 of 5 nodes/);
    } finally {
      for (const id of ['node1', 'node2', 'node3']) await svc().cluster.start(id);
    }
  });
});
