/**
 * The ceremony summary: a Markdown page made from the transcript alone, printed at the end of the ceremony and
 * signed by hand by everyone in the room. It is a view, not a record: the transcript stays the evidence, and the
 * summary names the transcript's head hash so that the paper and the file vouch for each other.
 *
 * The input contract is loose on purpose, so that steps can add fields without touching this file: lines are read
 * by `type`, events by `data.kind`, and a missing field is left blank. Event kinds read (docs/transcript-format.md):
 *
 *   participants  roles: [{ name, role }]          the people in the room; each gets a sign-off line
 *   fingerprints  <name>: hex SHA-256, …          code, configuration, CA: shown as hex and PGP words
 *   key           keyId, label, ckaId, bits, k, n, nodes, fingerprint, words, dnskey, ds, keyTag
 *   receipt       node, keyId, index, fingerprint or sha256
 *   register      keyId, label, token
 *   import        keyId, source
 *   pool          token, count
 *   wipe          what, node
 *
 * Events of other kinds are listed by kind and time only.
 */
import { readAloud } from './fingerprint.js';
import { type TranscriptEntry, verifyTranscript } from './transcript.js';

const DETAILED_KINDS = ['register', 'import', 'pool', 'wipe'] as const;
const HEX_DIGEST = /^[0-9a-fA-F]{16,}$/;

/** Text from the transcript is the ceremony's input, so it is escaped rather than trusted to be plain. */
function md(value: unknown): string {
  const text = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  return text.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>|#~]/g, '\\$&');
}

function code(value: unknown): string {
  const text = typeof value === 'string' ? value.replace(/[`\r\n]/g, '') : '';
  return text === '' ? '' : `\`${text}\``;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: string[], rows: string[][]): string[] {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function events(entries: TranscriptEntry[], kind: string): TranscriptEntry[] {
  return entries.filter((e) => e.type === 'event' && e.data.kind === kind);
}

function wordsOf(data: Record<string, unknown>, hex: string | undefined): string {
  const given = data.words;
  if (Array.isArray(given) && given.every((w) => typeof w === 'string')) return given.join(' ');
  if (hex === undefined || !HEX_DIGEST.test(hex) || hex.length % 2 !== 0) return '';
  return readAloud(hex).words.join(' ');
}

function grouped(hex: string | undefined): string {
  return hex !== undefined && HEX_DIGEST.test(hex) && hex.length % 2 === 0 ? readAloud(hex).hex : md(hex);
}

interface Person {
  name: string;
  role: string;
}

function participants(entries: TranscriptEntry[]): Person[] {
  const people: Person[] = [];
  for (const e of events(entries, 'participants')) {
    const list: unknown = e.data.roles ?? e.data.participants;
    if (!Array.isArray(list)) continue;
    for (const p of list as unknown[]) {
      if (p === null || typeof p !== 'object') continue;
      const { name, role } = p as Record<string, unknown>;
      if (typeof name === 'string' && name !== '') people.push({ name, role: typeof role === 'string' ? role : '' });
    }
  }
  return people;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function fingerprintSection(entries: TranscriptEntry[]): string[] {
  const rows: string[][] = [];
  for (const e of events(entries, 'fingerprints')) {
    for (const [name, value] of Object.entries(e.data)) {
      if (name === 'kind' || typeof value !== 'string' || !HEX_DIGEST.test(value) || value.length % 2 !== 0) continue;
      rows.push([md(name), code(readAloud(value).hex), md(readAloud(value).words.join(' '))]);
    }
  }
  return rows.length === 0 ? [] : ['## Fingerprints read aloud', '', ...table(['What', 'SHA-256', 'Words'], rows), ''];
}

function keySection(entries: TranscriptEntry[]): string[] {
  const keys = events(entries, 'key');
  if (keys.length === 0) return [];
  const out = ['## Keys made', ''];
  for (const e of keys) {
    const d = e.data;
    const name = str(d.label) ?? str(d.keyId) ?? `key at line ${e.seq}`;
    const fp = str(d.fingerprint);
    const kn = typeof d.k === 'number' && typeof d.n === 'number' ? `${d.k} of ${d.n}` : '';
    const nodes = Array.isArray(d.nodes) ? d.nodes.filter((x) => typeof x === 'string').join(', ') : '';
    out.push(`### ${md(name)}`, '', ...table(['Field', 'Value'], [
      ['Made', md(e.at)],
      ['Key id', code(d.keyId)],
      ['Label', md(d.label)],
      ['CKA_ID', code(d.ckaId)],
      ['Bits', md(d.bits)],
      ['Threshold', kn],
      ['Nodes', md(nodes)],
      ['Public key fingerprint', code(grouped(fp))],
      ['Fingerprint words', md(wordsOf(d, fp))],
      ...(typeof d.keyTag === 'number' ? [['Key tag', md(d.keyTag)]] : []),
    ]), '');
    const records = [str(d.dnskey), str(d.ds)].filter((r) => r !== undefined);
    if (records.length > 0) out.push('```', ...records.map((r) => r.replace(/`/g, '')), '```', '');
  }
  return out;
}

function receiptSection(entries: TranscriptEntry[]): string[] {
  const receipts = events(entries, 'receipt');
  if (receipts.length === 0) return [];
  const byNode = new Map<string, TranscriptEntry[]>();
  for (const e of receipts) {
    const node = str(e.data.node) ?? '(unnamed node)';
    byNode.set(node, [...(byNode.get(node) ?? []), e]);
  }
  const rows = [...byNode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([node, list]) =>
    list.map((e) => [md(node), code(e.data.keyId), md(e.data.index), code(str(e.data.fingerprint) ?? e.data.sha256),
      md(e.at)]));
  return ['## Receipts', '', ...table(['Node', 'Key', 'Share', 'Receipt', 'Received'], rows), ''];
}

function details(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([key, value]) => key !== 'kind' && ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => `${md(key)}: ${md(value)}`)
    .join(', ');
}

function otherEvents(entries: TranscriptEntry[]): string[] {
  const known = new Set(['participants', 'fingerprints', 'key', 'receipt']);
  const rows = entries
    .filter((e) => e.type === 'event' && !known.has(String(e.data.kind)))
    .map((e) => {
      const kind = typeof e.data.kind === 'string' ? e.data.kind : '';
      return [md(e.at), md(kind), (DETAILED_KINDS as readonly string[]).includes(kind) ? details(e.data) : ''];
    });
  return rows.length === 0 ? [] : ['## Other events', '', ...table(['Time', 'Kind', 'Details'], rows), ''];
}

/** Markdown for printing and signing; renders whatever it can of a damaged transcript and says what is wrong. */
export function renderSummary(transcriptText: string | Uint8Array, options: { caPem?: string } = {}): string {
  const v = verifyTranscript(transcriptText, options);
  const { entries } = v;
  const people = participants(entries);
  const seal = !v.sealed
    ? 'NOT SEALED: the ceremony did not finish, or the seal was removed'
    : v.ok
      ? `sealed by ${md(v.signer?.identity)} (certificate ${code(v.signer?.fingerprint.slice(0, 16))}…), signature valid${
        v.signer?.trusted === true ? ', certificate issued by the cluster CA' : ', certificate not checked against a CA'}`
      : 'sealed, but the seal or the transcript does NOT verify (see the problems below)';
  const out: string[] = [
    `# Key ceremony ${md(v.ceremony ?? '(unknown)')}`, '',
    ...table(['', ''], [
      ['Ceremony', md(v.ceremony)],
      ['Mode', md(v.mode)],
      ['Tool', md(v.tool)],
      ['Started', md(v.started)],
      ['Transcript', `${entries.length} lines`],
      ['Head hash', code(v.head === undefined ? '' : readAloud(v.head).hex)],
      ['Head words', md(v.head === undefined ? '' : readAloud(v.head).words.join(' '))],
      ['Seal', seal],
    ]), '',
  ];
  if (people.length > 0) {
    out.push('## Participants', '', ...table(['Name', 'Role'], people.map((p) => [md(p.name), md(p.role)])), '');
  }
  out.push(...fingerprintSection(entries));
  const steps = entries.filter((e) => e.type === 'step');
  if (steps.length > 0) {
    const rows = steps.map((e) => [md(e.data.n), md(e.data.title), md(e.at)]);
    out.push('## Steps', '', ...table(['Step', 'Title', 'Started'], rows), '');
  }
  out.push(...keySection(entries), ...receiptSection(entries), ...otherEvents(entries));
  const warnings = entries.filter((e) => e.type === 'warning');
  if (warnings.length > 0) out.push('## Warnings', '', ...warnings.map((e) => `- ${md(e.at)}: ${md(e.data.message)}`), '');
  if (v.problems.length > 0) {
    out.push('## Transcript problems', '', ...v.problems.map((p) => `- line ${p.seq}: ${md(p.reason)}`), '');
  }
  const signers = people.length > 0
    ? people.map((p) => `${md(capitalised(p.role || 'participant'))}, ${md(p.name)}`)
    : ['Ceremony administrator', 'Witness', 'Witness'];
  out.push('## Sign-off', '', 'We were present and this summary matches what we saw.', '',
    ...signers.map((s) => `${s}: ______________________________ Date: ______________`).flatMap((l) => [l, '']));
  return `${out.join('\n').trimEnd()}\n`;
}
