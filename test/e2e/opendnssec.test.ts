/**
 * OpenDNSSEC 2.1.12 from Debian, unchanged, with kofn as its HSM: a 3-of-5 cluster on loopback, the
 * token service, and libkofn-pkcs11.so named in conf/opendnssec/conf.xml. The steps build on each
 * other (one OpenDNSSEC, one cluster), as an operator's session would.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { MODULE, startTokenService, type TestTokenService } from '../helpers/token-service.js';
import { generateZone, Ods, sha256File } from './helpers/ods.js';
import { requireTools } from './helpers/tools.js';

const run = promisify(execFile);
const NSEC = 'nsec.kofn.test';
const NSEC3 = 'nsec3.kofn.test';
const NAMES = 1000;
const INSTALL = 'apt-get install opendnssec opendnssec-enforcer-sqlite3 opendnssec-signer libhsm-bin ldnsutils bind9-utils';

/** Both validators must accept the signed zone. */
async function verifyZone(zone: string, file: string): Promise<void> {
  const ldns = await run('ldns-verify-zone', [file]);
  assert.match(ldns.stdout, /Zone is verified and complete/);
  const bind = await run('dnssec-verify', ['-o', zone, file]);
  assert.match(bind.stdout + bind.stderr, /Zone fully signed/);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface TokenKey { id: string; cls: string; bits: number; keyId?: string; nodes?: string[] }

function tokenKeys(dir: string): TokenKey[] {
  const out = execFileSync(process.execPath, [CLI_PATH, 'token', 'show', '--dir', dir, '--label', 'kofn', '--json'],
    { encoding: 'utf8' });
  return (JSON.parse(out) as { keys: TokenKey[] }).keys;
}

describe('OpenDNSSEC signs zones through kofn', function () {
  this.timeout(600_000);
  let ts: TestTokenService | undefined;
  let ods: Ods;
  const svc = (): TestTokenService => {
    if (ts === undefined) throw new Error('the token service is not running');
    return ts;
  };

  before(async function () {
    requireTools(this, ['ods-enforcerd', 'ods-signerd', 'ods-signer', 'ods-enforcer', 'ods-hsmutil', 'ods-hsmspeed',
      'ldns-verify-zone', 'dnssec-verify'], INSTALL);
    // Four 2048-bit keys ready: the enforcer's KSK and ZSK for two zones come out of the pool.
    ts = await startTokenService({ primePool: '2048:4' });
    ods = new Ods({ dir: join(ts.dir, 'ods'), module: MODULE, env: ts.env });
    ods.setup();
  });

  after(async () => {
    await ods?.stop();
    await ts?.close();
  });

  it('ods-hsmutil generates, lists, exports, describes and removes an RSA-2048 key in kofn', async () => {
    const gen = await ods.hsmutil('generate', 'kofn', 'rsa', '2048');
    assert.equal(gen.code, 0, gen.stderr);
    const id = /Key generation successful: ([0-9a-f]{32})/.exec(gen.stdout)?.[1];
    assert.ok(id, gen.stdout);
    const listed = await ods.hsmutil('list', 'kofn');
    assert.match(listed.stdout, new RegExp(`kofn\\s+${id}\\s+RSA/2048`));
    const key = tokenKeys(svc().dir).find((k) => k.id === id && k.cls === 'private');
    assert.deepEqual(key?.nodes, ['node1', 'node2', 'node3', 'node4', 'node5'], 'the private key lives on the nodes');

    const dnskey = await ods.hsmutil('dnskey', id, 'example.test', '257', '8');
    assert.equal(dnskey.code, 0, dnskey.stderr);
    assert.match(dnskey.stdout, /^example\.test\.\s+3600\s+IN\s+DNSKEY\s+257 3 8 AwEAA[A-Za-z0-9+/=]{300,}/m);

    const info = await ods.hsmutil('info');
    assert.match(info.stdout, /Token Label:\s+kofn/);
    assert.match(info.stdout, /Model:\s+kofn 3-of-5/);

    assert.equal((await ods.hsmutil('remove', id)).code, 0);
    assert.match((await ods.hsmutil('list', 'kofn')).stdout, /0 keys found/);
    assert.equal(tokenKeys(svc().dir).some((k) => k.id === id), false);
  });

  it('ods-hsmutil test passes for every RSA size kofn offers and names the rest as unsupported', async () => {
    const r = await ods.hsmutil('test', 'kofn');
    const sections = r.stdout.split(/\n\s*\n/).filter((s) => s.startsWith('Generating'));
    const failed = sections.filter((s) => s.includes('Failed')).map((s) => s.split('...')[0]);
    // RSA below 1024 bits is refused by design; DSA, GOST, ECDSA and EdDSA have no threshold scheme here yet.
    assert.deepEqual(failed, ['Generating 512-bit RSA key', 'Generating 768-bit RSA key', 'Generating 512-bit DSA key',
      'Generating 768-bit DSA key', 'Generating 1024-bit DSA key', 'Generating 512-bit GOST key',
      'Generating ECDSA Curve P-256 key', 'Generating ECDSA Curve P-384 key', 'Generating ED25519 key',
      'Generating ED448 key']);
    assert.equal(r.code, failed.length, 'ods-hsmutil counts exactly these failures');
    for (const bits of [1024, 1536, 2048, 4096]) {
      const s = sections.find((x) => x.startsWith(`Generating ${bits}-bit RSA key`));
      assert.ok(s?.includes('Signing (RSA/SHA256) with key... OK') && s.includes('Deleting key... OK'), s);
    }
    assert.match(r.stderr, /generate key pair: CKR_KEY_SIZE_RANGE/);
    assert.match(r.stdout, /Generating 1024 bytes of random data... OK/);
  });

  it('ods-hsmspeed signs 1,000 RRsets on each of 2 threads', async () => {
    const r = await ods.hsmspeed('-r', 'kofn', '-i', '1000', '-s', '2048', '-t', '2');
    assert.equal(r.code, 0, r.stderr);
    const figure = /([\d.]+) sig\/s \(RSA 2048 bits\)/.exec(r.stdout + r.stderr);
    assert.ok(figure, r.stdout + r.stderr);
    process.stdout.write(`      ods-hsmspeed through kofn 3-of-5: ${figure[1]} signatures/s\n`);
  });

  it('the enforcer makes KSK and ZSK in kofn and the signer signs 1,000-name zones with NSEC and NSEC3', async () => {
    await ods.startEnforcer();
    await ods.startSigner();
    await ods.addZone(NSEC, 'kofn-nsec', generateZone(NSEC, NAMES));
    await ods.addZone(NSEC3, 'kofn-nsec3', generateZone(NSEC3, NAMES));
    await ods.waitFor('signings', NSEC, 0);
    await ods.waitFor('signings', NSEC3, 0);

    const list = await ods.enforcer('key', 'list', '--verbose');
    const ids = [...list.matchAll(/\b(KSK|ZSK)\b.*?\b([0-9a-f]{32})\s+kofn\b/g)].map((m) => m[2]);
    assert.equal(ids.length, 4, list);
    const inToken = tokenKeys(svc().dir);
    for (const id of ids) {
      const k = inToken.find((x) => x.id === id && x.cls === 'private');
      assert.equal(k?.bits, 2048, `key ${id} is in kofn`);
      assert.equal(k?.nodes?.length, 5, `key ${id} was dealt to the five nodes`);
    }
    await verifyZone(NSEC, ods.signedPath(NSEC));
    await verifyZone(NSEC3, ods.signedPath(NSEC3));
  });

  it('with two of five nodes down a full re-sign still produces a zone that verifies', async () => {
    await svc().cluster.kill('node1');
    await svc().cluster.kill('node2');
    const before = sha256File(ods.signedPath(NSEC));
    const n = ods.signings(NSEC);
    await ods.resign(NSEC);
    await ods.waitFor('signings', NSEC, n);
    assert.notEqual(sha256File(ods.signedPath(NSEC)), before, 'the zone was written again');
    await verifyZone(NSEC, ods.signedPath(NSEC));
  });

  it('with three down signing fails cleanly, and once they return the zone is signed again without restarting ODS', async () => {
    await svc().cluster.kill('node3');
    const before = sha256File(ods.signedPath(NSEC));
    const failures = ods.failures(NSEC);
    const signings = ods.signings(NSEC);
    await ods.resign(NSEC);
    await ods.waitFor('failures', NSEC, failures);
    assert.match(ods.signerLog, /\[hsm\] sign final: CKR_DEVICE_ERROR/);
    assert.equal(ods.signings(NSEC), signings);
    assert.equal(sha256File(ods.signedPath(NSEC)), before, 'no partly signed zone was written');
    assert.match(svc().output(),
      /C_Sign: CKR_DEVICE_ERROR: .*fewer than 3 of 5 nodes.*node3 \(unreachable: connect ECONNREFUSED/);

    for (const id of ['node1', 'node2', 'node3']) await svc().cluster.start(id);
    // The signer retries by itself after a back-off of a minute; `sign` asks now.
    await ods.signer('sign', NSEC);
    await ods.waitFor('signings', NSEC, signings);
    await verifyZone(NSEC, ods.signedPath(NSEC));
  });

  it('after a token-service restart the signer re-opens the HSM by itself and the next zone verifies', async () => {
    await svc().restart();
    const n = ods.signings(NSEC3);
    await ods.resign(NSEC3);
    await ods.waitFor('signings', NSEC3, n);
    await verifyZone(NSEC3, ods.signedPath(NSEC3));
  });

  it('stopping OpenDNSSEC and kofn leaves no process behind', async () => {
    const pids = [...ods.pids, ...svc().pids()];
    assert.ok(pids.length >= 8, `enforcer, signer, token service and five nodes: ${pids.join(' ')}`);
    await ods.stop();
    await svc().close();
    ts = undefined;
    assert.deepEqual(pids.filter(alive), []);
    assert.equal(existsSync(join(ods.dir, 'enforcer.sock')), false, 'the enforcer removed its socket');
  });
});
