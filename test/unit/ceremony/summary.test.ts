import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAloud } from '../../../src/ceremony/fingerprint.js';
import { renderSummary } from '../../../src/ceremony/summary.js';
import { TranscriptWriter, verifyTranscript } from '../../../src/ceremony/transcript.js';
import { type CertAndKey, createCa, issueCertificate } from '../../../src/pki/index.js';

const KEY_FP = 'e58294f2e9a227486e8b061b31cc528fd7fa3f19e58294f2e9a227486e8b061b';
const CODE_FP = '41559711308f2a21b9d5072d621958afcb50b5f941559711308f2a21b9d5072d';
const DNSKEY = 'example. 3600 IN DNSKEY 257 3 8 AwEAAc…';
const DS = 'example. 3600 IN DS 12345 8 2 ABCDEF';

describe('Ceremony summary', () => {
  let dir: string;
  let ca: CertAndKey;
  let ceremony: CertAndKey;

  before(async () => {
    ca = await createCa({ clusterId: 'test' });
    ceremony = await issueCertificate({ ca, identity: 'ceremony', roles: ['ceremony'] });
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-summary-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function transcript(seal: boolean): string {
    const path = join(dir, 't.jsonl');
    const t = TranscriptWriter.create(path, { ceremony: 'ksk-2025', mode: 'answers', tool: 'kofn 0.1.0' });
    t.append('step', { n: 1, title: 'Open' });
    t.append('event', {
      kind: 'participants',
      roles: [
        { name: 'Alice', role: 'ceremony administrator' },
        { name: 'Bob', role: 'crypto officer' },
        { name: 'Carol | Mallory', role: 'witness' },
      ],
    });
    t.append('event', { kind: 'fingerprints', code: CODE_FP, codeFiles: 120, cluster: 'test' });
    t.append('step', { n: 3, title: 'Key generation and slicing' });
    t.append('event', {
      kind: 'key', keyId: 'k-1', label: 'example-ksk', ckaId: '0a0b', bits: 2048, k: 2, n: 3,
      nodes: ['n1', 'n2', 'n3'], fingerprint: KEY_FP, dnskey: DNSKEY, ds: DS, keyTag: 12345,
    });
    t.append('event', { kind: 'check', keyId: 'k-1', proven: [1, 2, 3] });
    t.append('step', { n: 4, title: 'Ship' });
    for (const node of ['n2', 'n1', 'n3']) {
      t.append('event', { kind: 'receipt', node, keyId: 'k-1', index: Number(node.slice(1)), sha256: KEY_FP });
    }
    t.append('event', { kind: 'register', keyId: 'k-1', label: 'example-ksk', token: 'kofn' });
    t.append('event', { kind: 'wipe', what: 'dealt key', node: 'ceremony' });
    t.append('warning', { message: 'node n3 answered slowly' });
    if (seal) t.seal(ceremony.keyPem, ceremony.certPem);
    else t.close();
    return readFileSync(path, 'utf8');
  }

  it('names the ceremony, its mode, the head hash and a valid seal checked against the CA', () => {
    const text = transcript(true);
    const md = renderSummary(text, { caPem: ca.certPem });
    const head = verifyTranscript(text).head ?? '';
    assert.match(md, /^# Key ceremony ksk-2025\n/);
    assert.match(md, /\| Mode \| answers \|/);
    assert.ok(md.includes(readAloud(head).hex), 'the head hash, grouped for reading aloud');
    assert.match(md, /\| Seal \| sealed by ceremony .*signature valid, certificate issued by the cluster CA \|/);
  });

  it('lists the participants and the steps with their times', () => {
    const md = renderSummary(transcript(true));
    assert.match(md, /\| Alice \| ceremony administrator \|/);
    assert.match(md, /\| Carol \\\| Mallory \| witness \|/);
    assert.match(md, /\| 3 \| Key generation and slicing \| \d{4}-\d\d-\d\dT[\d:.]+Z \|/);
  });

  it('shows each key with its CKA_ID, size, threshold, fingerprint in hex and words, DNSKEY and DS', () => {
    const md = renderSummary(transcript(true));
    assert.match(md, /### example-ksk/);
    assert.match(md, /\| CKA_ID \| `0a0b` \|/);
    assert.match(md, /\| Bits \| 2048 \|/);
    assert.match(md, /\| Threshold \| 2 of 3 \|/);
    assert.ok(md.includes(`\`${readAloud(KEY_FP).hex}\``));
    assert.match(md, /\| Fingerprint words \| topmost Istanbul Pluto vagabond treadmill Pacific brackish dictator \|/);
    assert.ok(md.includes(`\`\`\`\n${DNSKEY}\n${DS}\n\`\`\``));
  });

  it('shows the fingerprints read aloud, the receipts by node, other events and warnings', () => {
    const md = renderSummary(transcript(true));
    const words = 'cranky equipment preshrunk Babylon chairlift midsummer brickyard Camelot';
    assert.ok(md.includes(`| code | \`${readAloud(CODE_FP).hex}\` | ${words} |`));
    const receipts = [...md.matchAll(/^\| (n\d) \| `k-1` \| \d \|/gm)].map((m) => m[1]);
    assert.deepEqual(receipts, ['n1', 'n2', 'n3']);
    assert.match(md, /\| register \| keyId: k-1, label: example-ksk, token: kofn \|/);
    assert.match(md, /\| wipe \| what: dealt key, node: ceremony \|/);
    assert.match(md, /\| check \| +\|/);
    assert.match(md, /- .*: node n3 answered slowly/);
  });

  it('ends with a sign-off line for every participant, witnesses included', () => {
    const md = renderSummary(transcript(true));
    const signOff = md.slice(md.indexOf('## Sign-off'));
    for (const who of ['Ceremony administrator, Alice', 'Crypto officer, Bob', 'Witness, Carol \\| Mallory']) {
      assert.ok(signOff.includes(`${who}: ______________________________ Date: ______________`), who);
    }
  });

  it('says plainly when the transcript is not sealed', () => {
    const md = renderSummary(transcript(false));
    assert.match(md, /\| Seal \| NOT SEALED/);
    assert.ok(!md.includes('## Transcript problems'));
  });

  it('lists the problems of a tampered transcript', () => {
    const lines = transcript(true).split('\n');
    lines[2] = (lines[2] ?? '').replace('Bob', 'Rob');
    const md = renderSummary(lines.join('\n'));
    assert.match(md, /does NOT verify/);
    assert.match(md, /## Transcript problems\n\n- line 2: /);
  });
});
