/**
 * A first key ceremony makes the cluster PKI from the nodes' own CSRs: the CA key never touches the
 * disk in the clear, the custodians' Shamir shares rebuild it, every certificate chains to the new
 * CA with the right role, and the transcript is sealed by the ceremony certificate it just issued.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { combineKey } from '../../src/ceremony/custody.js';
import { verifyTranscript } from '../../src/ceremony/transcript.js';
import { loadCluster } from '../../src/cluster/cluster-file.js';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { verifyPeerCertificate } from '../../src/pki/index.js';

describe('A first key ceremony', function () {
  this.timeout(120_000);
  let dir = '';
  const kofn = (...args: string[]) => spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8' });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-pki-'));
    for (const [i, id] of ['n1', 'n2', 'n3'].entries()) {
      const r = kofn('node', 'init', '--dir', join(dir, 'nodes', id), '--id', id, '--listen', `127.0.0.1:${7301 + i}`);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the CA and certificates from the nodes\' CSRs and splits the CA key among custodians', async () => {
    const state = join(dir, 'state');
    const answers = join(dir, 'pki.yaml');
    writeFileSync(answers, stringify({
      'open.ceremony': 'pki-1', 'open.administrator': 'Alice', 'open.officers': 'Bob, Dave, Erin',
      'open.witnesses': 'Carol', 'open.fingerprints-confirmed': true, 'pki.cluster': 'prod-1',
      'pki.nodes': 'n1@127.0.0.1:7301, n2@127.0.0.1:7302, n3@127.0.0.1:7303', 'pki.threshold': '2',
      'pki.csr.n1': join(dir, 'nodes', 'n1', 'node.csr'), 'pki.csr.n2': join(dir, 'nodes', 'n2', 'node.csr'),
      'pki.csr.n3': join(dir, 'nodes', 'n3', 'node.csr'), 'pki.protection': 'shamir',
      'pki.custodians': 'Bob, Dave, Erin', 'pki.custodians-k': '2', 'pki.confirm': true,
    }));
    const r = kofn('ceremony', '--dir', state, '--answers', answers);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /cluster CA: none yet/);
    assert.match(r.stdout, /Cluster CA prod-1 made/);

    assert.equal(existsSync(join(state, 'ca', 'ca.key')), false, 'no clear CA key');
    const caPem = readFileSync(join(state, 'ca', 'ca.crt'), 'utf8');
    const cluster = loadCluster(state);
    assert.deepEqual(cluster.endpoints.map((e) => [e.id, e.address]),
      [['n1', '127.0.0.1:7301'], ['n2', '127.0.0.1:7302'], ['n3', '127.0.0.1:7303']]);
    for (const e of cluster.endpoints) {
      const v = verifyPeerCertificate(e.certPem, caPem);
      assert.ok(v.ok && v.identity === e.id && v.roles.includes('node'), e.id);
      // The certificate certifies the key the node made itself, which never left its directory.
      const nodeKey = createPublicKey(createPrivateKey(readFileSync(join(dir, 'nodes', e.id, 'node.key'))));
      assert.ok(new X509Certificate(e.certPem).publicKey.equals(nodeKey));
    }
    for (const [role, roles] of [['ceremony', ['ceremony']], ['auditor', ['auditor']],
      ['coordinator', ['coordinator', 'dealer']]] as const) {
      const v = verifyPeerCertificate(cluster.tlsFor(role).certPem, caPem);
      assert.ok(v.ok);
      assert.deepEqual(v.roles, roles);
    }

    const files = readdirSync(join(state, 'ca', 'custodians')).sort();
    assert.deepEqual(files, ['Bob.share', 'Dave.share', 'Erin.share']);
    const share = (f: string) => readFileSync(join(state, 'ca', 'custodians', f), 'utf8').trim();
    const key = await combineKey([share('Bob.share'), share('Erin.share')]);
    assert.ok(createPublicKey(key).equals(new X509Certificate(caPem).publicKey), 'two custodians rebuild the CA key');
    await assert.rejects(combineKey([share('Dave.share')]));

    const transcript = readFileSync(join(state, 'ceremonies', 'pki-1.jsonl'), 'utf8');
    const verdict = verifyTranscript(transcript, { caPem });
    assert.ok(verdict.ok, JSON.stringify(verdict.problems));
    assert.equal(verdict.signer?.identity, 'ceremony');
    for (const f of files) assert.ok(!transcript.includes(share(f)), 'no custodian share in the transcript');

    // Enrolling a node later needs k custodians; one is refused with one line.
    assert.equal(kofn('node', 'init', '--dir', join(dir, 'nodes', 'n4'), '--id', 'n4').status, 0);
    const csr = join(dir, 'nodes', 'n4', 'node.csr');
    const out = join(dir, 'n4.crt');
    const custodian = (f: string) => ['--custodian-share', join(state, 'ca', 'custodians', f)];
    const one = kofn('cluster', 'sign-csr', '--ca-dir', join(state, 'ca'), '--csr', csr, '--out', out,
      ...custodian('Dave.share'));
    assert.equal(one.status, 2);
    assert.match(one.stderr, /^kofn cluster sign-csr: .*2/m);
    const two = kofn('cluster', 'sign-csr', '--ca-dir', join(state, 'ca'), '--csr', csr, '--out', out,
      ...custodian('Dave.share'), ...custodian('Bob.share'));
    assert.equal(two.status, 0, two.stderr);
    const v = verifyPeerCertificate(readFileSync(out, 'utf8'), caPem);
    assert.ok(v.ok && v.identity === 'n4');
  });

  it('can protect the CA key with a passphrase instead, which sign-csr then asks for', () => {
    const state = join(dir, 'state-pass');
    const answers = join(dir, 'pass.yaml');
    const passphrase = 'correct horse battery staple';
    writeFileSync(answers, stringify({
      'open.ceremony': 'pki-2', 'open.administrator': 'Alice', 'open.officers': 'Bob', 'open.witnesses': 'Carol',
      'open.fingerprints-confirmed': true, 'pki.cluster': 'prod-2', 'pki.nodes': 'n1@127.0.0.1:7301',
      'pki.threshold': '1', 'pki.csr.n1': join(dir, 'nodes', 'n1', 'node.csr'), 'pki.protection': 'passphrase',
      'pki.passphrase': passphrase, 'pki.confirm': true,
    }), { mode: 0o600 });
    const r = kofn('ceremony', '--dir', state, '--answers', answers);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(!r.stdout.includes(passphrase) && !readFileSync(join(state, 'ceremonies', 'pki-2.jsonl'), 'utf8')
      .includes(passphrase), 'the passphrase is neither echoed nor recorded');
    assert.match(readFileSync(join(state, 'ca', 'ca.key.enc'), 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);

    const csr = join(dir, 'nodes', 'n2', 'node.csr');
    const out = join(dir, 'n2-pass.crt');
    const without = kofn('cluster', 'sign-csr', '--ca-dir', join(state, 'ca'), '--csr', csr, '--out', out);
    assert.equal(without.status, 2);
    assert.match(without.stderr, /is encrypted: give its passphrase/);
    const wrong = join(dir, 'wrong');
    writeFileSync(wrong, 'not the passphrase at all\n');
    assert.equal(kofn('cluster', 'sign-csr', '--ca-dir', join(state, 'ca'), '--csr', csr, '--out', out,
      '--passphrase-file', wrong).status, 2);
    const right = join(dir, 'right');
    writeFileSync(right, `${passphrase}\n`, { mode: 0o600 });
    const ok = kofn('cluster', 'sign-csr', '--ca-dir', join(state, 'ca'), '--csr', csr, '--out', out,
      '--passphrase-file', right);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(verifyPeerCertificate(readFileSync(out, 'utf8'), readFileSync(join(state, 'ca', 'ca.crt'), 'utf8')).ok);
  });
});
