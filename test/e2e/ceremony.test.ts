/**
 * The key ceremony end to end against a real 3-of-5 cluster and token service: once typed at a real
 * pseudo-terminal (tmux) as an operator would, once from an answers file, once importing a key
 * from SoftHSM2. Each ends with pkcs11-tool signing through libkofn-pkcs11.so with the new key and
 * the signature checked with the public key alone; the transcripts verify and a tampered one does not.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { verifyTranscript } from '../../src/ceremony/transcript.js';
import { loadCluster } from '../../src/cluster/cluster-file.js';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { NodeClient } from '../../src/coordinator/node-client.js';
import { MODULE, startTokenService, type TestTokenService, USER_PIN } from '../helpers/token-service.js';
import { Tmux } from './helpers/tmux.js';
import { requireTools } from './helpers/tools.js';

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';

interface KeyEvent { label: string; ckaId: string; dnskey: string; ds: string; keyTag: number; zone: string }

function events(transcript: string, kind: string): Record<string, unknown>[] {
  return transcript.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> })
    .filter((r) => r.type === 'event' && r.data.kind === kind).map((r) => r.data);
}

/** RFC 3110 DNSKEY public key → a Node public key. */
function keyFromDnskey(dnskey: string) {
  const b = Buffer.from(dnskey.split(' ').slice(7).join(''), 'base64');
  const [elen, off] = b[0] === 0 ? [b.readUInt16BE(1), 3] : [b[0] ?? 0, 1];
  const e = b.subarray(off, off + elen);
  const n = b.subarray(off + elen);
  return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
}

describe('The key ceremony', function () {
  this.timeout(600_000);
  let ts: TestTokenService | undefined;
  const svc = (): TestTokenService => {
    if (ts === undefined) throw new Error('the token service is not running');
    return ts;
  };
  const kofn = (args: string[]) => spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8', env: svc().env });

  /**
   * pkcs11-tool signs through kofn with the key of CKA_ID `id`; the DNSKEY's key verifies it.
   * (OpenSC 0.23's --sign picks its key by --id only; with --label it takes the first private key.)
   */
  function signsWithKofn(id: string, dnskey: string): void {
    const dir = join(svc().dir, 'sign');
    mkdirSync(dir, { recursive: true });
    const data = join(dir, 'data');
    writeFileSync(data, `signed by ${id} after the ceremony`);
    execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'kofn', '--login', '--pin', USER_PIN, '--sign',
      '--mechanism', 'SHA256-RSA-PKCS', '--id', id, '-i', data, '-o', join(dir, 'sig')],
    { env: svc().env, stdio: 'pipe' });
    assert.ok(verify('sha256', readFileSync(data), keyFromDnskey(dnskey), readFileSync(join(dir, 'sig'))),
      'the signature verifies with the public key from the DNSKEY');
  }

  /** The DS kofn printed equals BIND's dnssec-dsfromkey on the same DNSKEY. */
  function dsAgreesWithBind(k: KeyEvent): void {
    const file = join(svc().dir, `${k.label}.dnskey`);
    writeFileSync(file, `${k.dnskey}\n`);
    const ds = execFileSync('dnssec-dsfromkey', ['-2', '-f', file, k.zone], { encoding: 'utf8' }).trim();
    const norm = (s: string) => s.replace(/\s+/g, ' ').split(' ').slice(-4).join(' ').toUpperCase();
    assert.equal(norm(ds), norm(k.ds));
  }

  before(async function () {
    requireTools(this, ['tmux', 'pkcs11-tool', 'dnssec-dsfromkey', 'softhsm2-util'],
      'apt-get install tmux opensc bind9-utils softhsm2');
    ts = await startTokenService({ primePool: '2048:2' });
  });

  after(async () => {
    await ts?.close();
  });

  it('typed at a terminal, makes a KSK that pkcs11-tool then signs with', async () => {
    const tmux = new Tmux();
    try {
      tmux.start([process.execPath, CLI_PATH, 'ceremony', '--dir', svc().dir], svc().env, svc().dir);
      await tmux.answer(/Ceremony id:/, 'ksk-pty-1');
      await tmux.answer(/Ceremony administrator/, 'Alice');
      await tmux.answer(/Crypto officers present/, 'Bob, Dave');
      await tmux.answer(/Witnesses/, 'Carol');
      await tmux.answer(/confirmed by the witnesses\?/, 'y');
      await tmux.answer(/Token that will use the key:/, '');
      await tmux.answer(/What will this ceremony make\?/, '');
      await tmux.answer(/Nodes that will hold a share/, '');
      await tmux.answer(/Shares needed to sign/, '');
      await tmux.answer(/Modulus size:/, '');
      await tmux.answer(/Zone \(owner name/, 'pty.kofn.test');
      await tmux.answer(/DNSSEC algorithm:/, '');
      await tmux.answer(/Key role:/, '');
      await tmux.answer(/CKA_LABEL/, '');
      await tmux.answer(/CKA_ID in hex:/, '');
      await tmux.answer(/Deal the key now\?/, '', 180_000);
      await tmux.answer(/Ship the shares now\?/, '', 180_000);
      const screen = await tmux.waitFor(/\[exit \d+\]/, 120_000);
      assert.match(screen, /\[exit 0\]/, screen);
      assert.match(screen, /5 of 5 receipts/);
      assert.match(screen, /pty\.kofn\.test\. 3600 IN DS \d+ 8 2 [0-9A-F]{64}/);
    } finally {
      tmux.kill();
    }
    const transcriptPath = join(svc().dir, 'ceremonies', 'ksk-pty-1.jsonl');
    const transcript = readFileSync(transcriptPath, 'utf8');
    assert.equal((JSON.parse(transcript.split('\n')[0] ?? '{}') as { mode: string }).mode, 'interactive');
    const key = events(transcript, 'key')[0] as unknown as KeyEvent;
    assert.equal(key.label, 'pty.kofn.test-ksk');
    assert.equal(events(transcript, 'receipt').length, 5);
    dsAgreesWithBind(key);
    signsWithKofn(key.ckaId, key.dnskey);
    const r = kofn(['audit', 'transcript', transcriptPath, '--dir', svc().dir]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /transcript OK: \d+ entries, sealed by ceremony, chains to the CA/);
  });

  it('interrupted with Ctrl-C at a prompt, stops in one line and still seals its transcript', async () => {
    const tmux = new Tmux();
    try {
      tmux.start([process.execPath, CLI_PATH, 'ceremony', '--dir', svc().dir], svc().env, svc().dir);
      await tmux.answer(/Ceremony id:/, 'interrupted-1');
      await tmux.waitFor(/Ceremony administrator/);
      tmux.key('C-c');
      const screen = await tmux.waitFor(/\[exit \d+\]/);
      assert.match(screen, /kofn ceremony: interrupted at a prompt: the ceremony was aborted\s+\[exit 2\]/);
    } finally {
      tmux.kill();
    }
    const transcript = readFileSync(join(svc().dir, 'ceremonies', 'interrupted-1.jsonl'), 'utf8');
    assert.equal(events(transcript, 'abort').length, 1);
    const verdict = verifyTranscript(transcript);
    assert.ok(verdict.ok && verdict.sealed, JSON.stringify(verdict.problems));
  });

  it('from an answers file, runs the same steps, and a tampered transcript line is detected', () => {
    const answers = join(svc().dir, 'zsk.yaml');
    writeFileSync(answers, stringify({
      'open.ceremony': 'zsk-answers-1', 'open.administrator': 'Alice', 'open.officers': 'Bob', 'open.witnesses': 'Carol',
      'open.fingerprints-confirmed': true, 'keygen.token': 'kofn', 'keygen.source': 'generate',
      'keygen.nodes': ['node1', 'node2', 'node3', 'node4', 'node5'], 'keygen.threshold': '3', 'keygen.bits': '2048',
      'keygen.zone': 'answers.kofn.test', 'keygen.algorithm': '8', 'keygen.role': 'ZSK', 'keygen.label': 'answers-zsk',
      'keygen.id': 'a1b2c3d4', 'keygen.confirm': true, 'ship.confirm': true,
    }));
    const r = kofn(['ceremony', '--dir', svc().dir, '--answers', answers]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\? CKA_LABEL .* answers-zsk/);
    const path = join(svc().dir, 'ceremonies', 'zsk-answers-1.jsonl');
    const transcript = readFileSync(path, 'utf8');
    assert.equal((JSON.parse(transcript.split('\n')[0] ?? '{}') as { mode: string }).mode, 'answers');
    const key = events(transcript, 'key')[0] as unknown as KeyEvent;
    assert.equal(key.ckaId, 'a1b2c3d4');
    assert.match(key.dnskey, /^answers\.kofn\.test\. 3600 IN DNSKEY 256 3 8 /);
    signsWithKofn('a1b2c3d4', key.dnskey);
    assert.match(readFileSync(path.replace(/\.jsonl$/, '.md'), 'utf8'), /answers-zsk/);

    const lines = transcript.split('\n');
    const i = lines.findIndex((l) => l.includes('"kind":"key"'));
    lines[i] = (lines[i] ?? '').replace('answers-zsk', 'answers-zsK');
    const tampered = join(svc().dir, 'tampered.jsonl');
    writeFileSync(tampered, lines.join('\n'));
    const bad = kofn(['audit', 'transcript', tampered, '--dir', svc().dir]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, new RegExp(`PROBLEM at line ${i + 1}|PROBLEM at line ${i}`));
  });

  const base = (id: string) => ({
    'open.ceremony': id, 'open.administrator': 'Alice', 'open.officers': 'Bob', 'open.witnesses': 'Carol',
    'open.fingerprints-confirmed': true, 'keygen.token': 'kofn', 'keygen.nodes': 'node1,node2,node3,node4,node5',
    'keygen.threshold': '3', 'keygen.confirm': true, 'ship.confirm': true,
  });

  it('with a node down, stops before dealing unless told to go on, then reports the receipt missing, retries that node alone, takes the shipped shares back and registers nothing', async () => {
    await svc().cluster.kill('node5');
    try {
      const early = join(svc().dir, 'early.yaml');
      writeFileSync(early, stringify({
        ...base('early-1'), 'keygen.source': 'generate', 'keygen.bits': '2048', 'keygen.zone': 'early.kofn.test',
      }));
      const stopped = kofn(['ceremony', '--dir', svc().dir, '--answers', early]);
      assert.equal(stopped.status, 2);
      assert.match(stopped.stderr, /node5 unreachable: stopped before key generation/);
      assert.equal(events(readFileSync(join(svc().dir, 'ceremonies', 'early-1.jsonl'), 'utf8'), 'key').length, 0);

      const answers = join(svc().dir, 'lost.yaml');
      writeFileSync(answers, stringify({
        ...base('lost-1'), 'keygen.source': 'generate', 'keygen.bits': '2048', 'keygen.zone': 'lost.kofn.test',
        'keygen.role': 'KSK', 'keygen.label': 'lost-ksk', 'keygen.id': 'dead01',
        'keygen.proceed-with-unreachable': true, 'ship.missing.1': 'retry',
      }));
      const r = kofn(['ceremony', '--dir', svc().dir, '--answers', answers]);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /WARNING: node5 does not answer now/);
      assert.match(r.stdout, /WARNING: no valid receipt from node5/);
      assert.match(r.stderr, /receipts missing from node5: the ceremony was aborted/);
      const transcript = readFileSync(join(svc().dir, 'ceremonies', 'lost-1.jsonl'), 'utf8');
      const keyId = String(events(transcript, 'key')[0]?.keyId);
      assert.deepEqual(events(transcript, 'unship').map((e) => e.failed), [['node5']]);
      // The retry asked node5 alone: four receipts in all, and node5 missed twice.
      assert.deepEqual(events(transcript, 'receipt').map((e) => String(e.node)).sort(), ['node1', 'node2', 'node3', 'node4']);
      assert.equal(r.stdout.match(/WARNING: no valid receipt from node5/g)?.length, 2);
      assert.match(r.stdout, /the token service deletes it there once the node is back/);
      assert.equal(events(transcript, 'abort').length, 1);
      assert.ok(verifyTranscript(transcript).ok, 'an aborted ceremony\'s transcript is sealed too');
      const keys = kofn(['audit', 'keys', '--dir', svc().dir, '--json']);
      assert.ok(!keys.stdout.includes('lost-ksk'));
      const cluster = loadCluster(svc().dir);
      for (const ep of cluster.endpoints.filter((e) => e.id !== 'node5')) {
        const c = new NodeClient(ep, cluster.tlsFor('auditor'));
        try {
          const listed = await c.listShares(5000);
          assert.ok(!listed.shares.some((x) => x.key_id === keyId), `${ep.id} gave its share back`);
        } finally {
          c.close();
        }
      }
    } finally {
      await svc().cluster.start('node5');
    }
  });

  it('deals keys into the pool, and C_GenerateKeyPair under the pool policy hands one out', () => {
    const answers = join(svc().dir, 'pool.yaml');
    writeFileSync(answers, stringify({
      ...base('pool-1'), 'keygen.source': 'pool', 'pool.count': '2', 'pool.bits': '2048', 'pool.policy': true,
    }));
    const r = kofn(['ceremony', '--dir', svc().dir, '--answers', answers]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /pool now holds 2 × RSA-2048; key generation policy pool/);

    const pin = join(svc().dir, 'pin');
    writeFileSync(pin, `${USER_PIN}\n`, { mode: 0o600 });
    try {
      const made = kofn(['token', 'keygen', '--socket', svc().socket, '--label', 'from-pool', '--id', 'beef01',
        '--pin-file', pin]);
      assert.equal(made.status, 0, made.stderr);
      const keys = JSON.parse(kofn(['audit', 'keys', '--dir', svc().dir, '--json']).stdout) as
        { keys: { label: string; ceremony: string }[]; pools: { pool: { count: number }[] }[] };
      assert.equal(keys.keys.find((k) => k.label === 'from-pool')?.ceremony, 'pool-1');
      assert.equal(keys.pools[0]?.pool[0]?.count, 1);

      const data = join(svc().dir, 'pool-data');
      writeFileSync(data, 'signed with a key from the pre-dealt pool');
      execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'kofn', '--login', '--pin', USER_PIN, '--sign',
        '--mechanism', 'SHA256-RSA-PKCS', '--id', 'beef01', '-i', data, '-o', `${data}.sig`], { env: svc().env, stdio: 'pipe' });
      const spki = execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'kofn', '--read-object', '--type',
        'pubkey', '--id', 'beef01'], { env: svc().env });
      assert.ok(verify('sha256', readFileSync(data), createPublicKey({ key: spki, format: 'der', type: 'spki' }),
        readFileSync(`${data}.sig`)));
    } finally {
      assert.equal(kofn(['token', 'policy', '--dir', svc().dir, '--label', 'kofn', '--keygen', 'dealer']).status, 0);
    }
  });

  it('imports an extractable SoftHSM2 key under the same label and CKA_ID, and kofn\'s signatures verify with the original public key', () => {
    const dir = join(svc().dir, 'softhsm');
    mkdirSync(join(dir, 'tokens'), { recursive: true });
    writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\n`);
    const env = { ...process.env, SOFTHSM2_CONF: join(dir, 'softhsm2.conf') };
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'ods', '--so-pin', '12345678', '--pin', '1234'],
      { env, stdio: 'pipe' });
    // OpenDNSSEC's keys are not extractable; an operator who planned migration made this one so.
    execFileSync('pkcs11-tool', ['--module', SOFTHSM, '--token-label', 'ods', '--login', '--pin', '1234', '--keypairgen',
      '--key-type', 'rsa:2048', '--id', 'c0ffee01', '--label', 'migrated-ksk', '--extractable'], { env, stdio: 'pipe' });
    const spki = execFileSync('pkcs11-tool', ['--module', SOFTHSM, '--token-label', 'ods', '--read-object', '--type',
      'pubkey', '--id', 'c0ffee01'], { env });
    const original = createPublicKey({ key: spki, format: 'der', type: 'spki' });

    const answers = join(dir, 'import.yaml');
    writeFileSync(answers, stringify({
      'open.ceremony': 'import-softhsm-1', 'open.administrator': 'Alice', 'open.officers': 'Bob',
      'open.witnesses': 'Carol', 'open.fingerprints-confirmed': true, 'keygen.token': 'kofn',
      'keygen.source': 'import-pkcs11', 'keygen.nodes': 'node1,node2,node3,node4,node5', 'keygen.threshold': '3',
      'import.module': SOFTHSM, 'import.token': 'ods', 'import.pin': '1234', 'import.key-id': 'c0ffee01',
      'keygen.zone': 'migrated.kofn.test', 'keygen.algorithm': '8', 'keygen.role': 'KSK',
      'keygen.label': 'migrated-ksk', 'keygen.id': 'c0ffee01', 'keygen.confirm': true, 'ship.confirm': true,
    }), { mode: 0o644 });
    const loose = spawnSync(process.execPath, [CLI_PATH, 'ceremony', '--dir', svc().dir, '--answers', answers],
      { encoding: 'utf8', env: svc().env });
    assert.equal(loose.status, 2);
    assert.match(loose.stderr, /holds a secret \(import\.pin\) and others can read it: chmod 600/);
    chmodSync(answers, 0o600);
    const r = spawnSync(process.execPath, [CLI_PATH, 'ceremony', '--dir', svc().dir, '--answers', answers],
      { encoding: 'utf8', env: { ...svc().env, SOFTHSM2_CONF: env.SOFTHSM2_CONF } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /NOT deleted/);
    assert.ok(!(r.stdout + r.stderr).includes('1234\n'), 'the SoftHSM2 PIN is not echoed');
    const transcript = readFileSync(join(svc().dir, 'ceremonies', 'import-softhsm-1.jsonl'), 'utf8');
    assert.ok(!transcript.includes('"1234"'), 'the PIN is not in the transcript');

    const data = join(dir, 'data');
    writeFileSync(data, 'signed by kofn with a key born in SoftHSM2');
    execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'kofn', '--login', '--pin', USER_PIN, '--sign',
      '--mechanism', 'SHA256-RSA-PKCS', '--id', 'c0ffee01', '-i', data, '-o', join(dir, 'sig')],
    { env: svc().env, stdio: 'pipe' });
    assert.ok(verify('sha256', readFileSync(data), original, readFileSync(join(dir, 'sig'))));
    // PKCS#1 v1.5 is deterministic: SoftHSM2 makes the very same signature.
    execFileSync('pkcs11-tool', ['--module', SOFTHSM, '--token-label', 'ods', '--login', '--pin', '1234', '--sign',
      '--mechanism', 'SHA256-RSA-PKCS', '--id', 'c0ffee01', '-i', data, '-o', join(dir, 'sig-softhsm')], { env, stdio: 'pipe' });
    assert.deepEqual(readFileSync(join(dir, 'sig')), readFileSync(join(dir, 'sig-softhsm')));
  });
});
