import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CertAndKey, createCa, issueCertificate } from '../../../src/pki/index.js';
import {
  redacted,
  TranscriptError,
  type TranscriptVerdict,
  TranscriptWriter,
  verifyTranscript,
} from '../../../src/ceremony/transcript.js';

const PIN = '493817';
const PASSPHRASE = 'tr0ub4dor&3-horse-staple';

describe('Ceremony transcript', () => {
  let dir: string;
  let ca: CertAndKey;
  let otherCa: CertAndKey;
  let ceremony: CertAndKey;
  let auditor: CertAndKey;

  before(async () => {
    ca = await createCa({ clusterId: 'test' });
    otherCa = await createCa({ clusterId: 'test' });
    ceremony = await issueCertificate({ ca, identity: 'ceremony', roles: ['ceremony'] });
    auditor = await issueCertificate({ ca, identity: 'auditor', roles: ['auditor'] });
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kofn-transcript-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Header, 6 records, seal: 8 lines, seq 0 … 7. */
  function writeCeremony(name = 't.jsonl', seal: CertAndKey | null = ceremony): string {
    const path = join(dir, name);
    const t = TranscriptWriter.create(path, { ceremony: 'ksk-2025', mode: 'interactive', tool: 'kofn test' });
    t.append('step', { n: 1, title: 'Open' });
    t.append('prompt', { id: 'open.pin', message: 'Token PIN:' });
    t.append('answer', { id: 'open.pin', value: redacted(PIN) });
    t.append('event', { kind: 'participants', roles: [{ name: 'Alice', role: 'ceremony administrator' }] });
    t.append('answer', { id: 'custody.passphrase', value: redacted(PASSPHRASE, { digest: true }) });
    t.append('warning', { message: 'node n3 answered slowly' });
    if (seal === null) t.close();
    else t.seal(seal.keyPem, seal.certPem);
    return path;
  }

  function lines(path: string): string[] {
    return readFileSync(path, 'utf8').split('\n').slice(0, -1);
  }

  const joined = (ls: string[]) => `${ls.join('\n')}\n`;
  const problemSeqs = (v: TranscriptVerdict) => v.problems.map((p) => p.seq);

  it('verifies a written and sealed transcript against the cluster CA and names its signer', () => {
    const v = verifyTranscript(readFileSync(writeCeremony()), { caPem: ca.certPem });
    assert.deepEqual(v.problems, []);
    assert.equal(v.ok, true);
    assert.equal(v.sealed, true);
    assert.equal(v.intact, true);
    assert.equal(v.ceremony, 'ksk-2025');
    assert.equal(v.mode, 'interactive');
    assert.equal(v.entries.length, 8);
    assert.deepEqual(v.entries.map((e) => e.type), ['header', 'step', 'prompt', 'answer', 'event', 'answer', 'warning',
      'seal']);
    assert.equal(v.signer?.identity, 'ceremony');
    assert.deepEqual(v.signer?.roles, ['ceremony']);
    assert.equal(v.signer?.trusted, true);
    assert.equal(v.head, v.entries[6]?.hash);
  });

  it('writes the file owner-only, one JSON object per line, chained from 64 zeros', () => {
    const path = writeCeremony();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const ls = lines(path);
    const header = JSON.parse(ls[0] ?? '') as Record<string, unknown>;
    assert.equal(header.v, 1);
    assert.equal(header.type, 'header');
    assert.equal(header.prev, '0'.repeat(64));
    assert.match(String(header.at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    ls.forEach((l, i) => assert.equal((JSON.parse(l) as { seq: number }).seq, i));
  });

  it('accepts the seal without a CA too, but does not call the signer trusted', () => {
    const v = verifyTranscript(readFileSync(writeCeremony(), 'utf8'));
    assert.equal(v.ok, true);
    assert.equal(v.signer?.trusted, false);
  });

  it('reports a character changed in a middle line at that line\'s seq', () => {
    const ls = lines(writeCeremony());
    ls[4] = (ls[4] ?? '').replace('Alice', 'Alicf');
    const v = verifyTranscript(joined(ls), { caPem: ca.certPem });
    assert.equal(v.ok, false);
    assert.equal(v.intact, false);
    assert.deepEqual(problemSeqs(v), [4]);
  });

  it('reports a deleted line where the numbering and the chain break', () => {
    const ls = lines(writeCeremony());
    ls.splice(3, 1);
    const v = verifyTranscript(joined(ls), { caPem: ca.certPem });
    assert.equal(v.ok, false);
    assert.ok(problemSeqs(v).includes(3), JSON.stringify(v.problems));
    assert.ok(v.problems.some((p) => /removed, inserted or moved/.test(p.reason)));
  });

  it('reports two swapped lines', () => {
    const ls = lines(writeCeremony());
    [ls[2], ls[3]] = [ls[3] ?? '', ls[2] ?? ''];
    const v = verifyTranscript(joined(ls), { caPem: ca.certPem });
    assert.equal(v.ok, false);
    assert.ok(problemSeqs(v).includes(2) && problemSeqs(v).includes(3), JSON.stringify(v.problems));
  });

  /** Replaces the seal of a written transcript with one made by `keyPem` and naming `certPem`. */
  function reseal(ls: string[], keyPem: string, certPem: string): string {
    const seal = JSON.parse(ls[7] ?? '') as { data: { head: string; signer: string; signature: string } };
    const message = Buffer.from(`kofn/transcript-seal/v1\0${seal.data.head}ksk-2025`);
    seal.data.signer = certPem;
    seal.data.signature = sign('sha256', message, { key: keyPem, dsaEncoding: 'der' }).toString('base64');
    return joined([...ls.slice(0, 7), JSON.stringify(seal)]);
  }

  it('accepts a seal rebuilt by hand the way the format describes it', () => {
    const text = reseal(lines(writeCeremony()), ceremony.keyPem, ceremony.certPem);
    const v = verifyTranscript(text, { caPem: ca.certPem });
    assert.deepEqual(v.problems, []);
    assert.equal(v.ok, true);
  });

  it('refuses a seal forged with another key under the genuine certificate', async () => {
    const forger = await issueCertificate({ ca: otherCa, identity: 'ceremony', roles: ['ceremony'] });
    const v = verifyTranscript(reseal(lines(writeCeremony()), forger.keyPem, ceremony.certPem), { caPem: ca.certPem });
    assert.equal(v.ok, false);
    assert.deepEqual(problemSeqs(v), [7]);
    assert.match(v.problems[0]?.reason ?? '', /signature does not verify/);
  });

  it('refuses a seal by a ceremony certificate of another CA', async () => {
    const stranger = await issueCertificate({ ca: otherCa, identity: 'ceremony', roles: ['ceremony'] });
    const v = verifyTranscript(readFileSync(writeCeremony('t.jsonl', stranger)), { caPem: ca.certPem });
    assert.equal(v.ok, false);
    assert.equal(v.signer?.trusted, false);
    assert.deepEqual(problemSeqs(v), [7]);
    assert.match(v.problems[0]?.reason ?? '', /not signed by the cluster CA/);
  });

  it('refuses to seal with a certificate that lacks the ceremony role', () => {
    const path = join(dir, 't.jsonl');
    const t = TranscriptWriter.create(path, { ceremony: 'ksk-2025', mode: 'answers', tool: 'kofn test' });
    assert.throws(() => t.seal(auditor.keyPem, auditor.certPem), /ceremony role/);
    t.close();
  });

  it('reports a seal by a CA-issued certificate without the ceremony role', () => {
    const v = verifyTranscript(reseal(lines(writeCeremony()), auditor.keyPem, auditor.certPem), { caPem: ca.certPem });
    assert.equal(v.ok, false);
    assert.equal(v.signer?.trusted, false);
    assert.deepEqual(problemSeqs(v), [7]);
    assert.match(v.problems[0]?.reason ?? '', /does not hold the ceremony role/);
  });

  it('calls an unsealed transcript not ok and not sealed, with its chain intact', () => {
    const v = verifyTranscript(readFileSync(writeCeremony('t.jsonl', null)), { caPem: ca.certPem });
    assert.equal(v.ok, false);
    assert.equal(v.sealed, false);
    assert.equal(v.intact, true);
    assert.deepEqual(v.problems, []);
    assert.equal(v.entries.length, 7);
    assert.equal(v.head, v.entries[6]?.hash);
  });

  it('reports a last line cut short by a crash, and keeps the prefix before it', () => {
    const text = readFileSync(writeCeremony('t.jsonl', null), 'utf8');
    const cut = text.slice(0, text.length - 20);
    const v = verifyTranscript(cut);
    assert.equal(v.sealed, false);
    assert.deepEqual([...new Set(problemSeqs(v))], [6]);
    assert.equal(v.entries.length, 6);
  });

  it('reports lines added after the seal', () => {
    const ls = lines(writeCeremony());
    const extra = { seq: 8, at: new Date().toISOString(), type: 'event', data: { kind: 'late' }, prev: '0'.repeat(64) };
    const v = verifyTranscript(joined([...ls, JSON.stringify(extra)]));
    assert.equal(v.ok, false);
    assert.equal(v.sealed, false);
    assert.ok(v.problems.some((p) => p.seq === 7 && /seal anywhere but the last line/.test(p.reason)));
  });

  it('reports a change to the last line before the seal at that line', () => {
    const ls = lines(writeCeremony());
    ls[6] = (ls[6] ?? '').replace('slowly', 'quickly');
    const v = verifyTranscript(joined(ls), { caPem: ca.certPem });
    assert.ok(problemSeqs(v).includes(6), JSON.stringify(v.problems));
    assert.equal(v.ok, false);
  });

  it('never writes a redacted secret, and refuses a value still flagged secret', () => {
    const path = writeCeremony();
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes(PIN));
    assert.ok(!text.includes(PASSPHRASE));
    assert.deepEqual(redacted(PIN), { redacted: true });
    assert.equal(JSON.stringify(redacted(PASSPHRASE, { digest: true })).includes(PASSPHRASE), false);
    const t = TranscriptWriter.create(join(dir, 'x.jsonl'), { ceremony: 'c', mode: 'interactive', tool: 'kofn test' });
    assert.throws(() => t.append('answer', { value: { secret: true, value: PIN } }), TranscriptError);
    assert.throws(() => t.append('answer', { value: { redacted: true, value: PIN } }), TranscriptError);
    assert.throws(() => t.append('event', { share: Buffer.from(PIN) }), TranscriptError);
    t.close();
    assert.ok(!readFileSync(join(dir, 'x.jsonl'), 'utf8').includes(PIN));
  });

  it('refuses to overwrite an existing file', () => {
    const path = join(dir, 't.jsonl');
    writeFileSync(path, 'earlier ceremony\n');
    assert.throws(() => TranscriptWriter.create(path, { ceremony: 'c', mode: 'interactive', tool: 'kofn test' }),
      /never overwritten/);
    assert.equal(readFileSync(path, 'utf8'), 'earlier ceremony\n');
  });

  it('refuses to append after sealing', () => {
    const path = join(dir, 't.jsonl');
    const t = TranscriptWriter.create(path, { ceremony: 'c', mode: 'interactive', tool: 'kofn test' });
    t.seal(ceremony.keyPem, ceremony.certPem);
    assert.throws(() => t.append('event', { kind: 'late' }), /closed/);
  });

  it('refuses to seal with a key that is not the certificate\'s', () => {
    const t = TranscriptWriter.create(join(dir, 't.jsonl'), { ceremony: 'c', mode: 'interactive', tool: 'kofn test' });
    assert.throws(() => t.seal(auditor.keyPem, ceremony.certPem), /P-256 key of the sealing certificate/);
    t.close();
  });
});
