/**
 * The ceremony transcript, format kofn-transcript v1 (docs/transcript-format.md): JSON Lines, each line chained to
 * the one before by its SHA-256, the whole sealed at the end by the ceremony certificate's key. Written so that a
 * crash leaves a valid unsealed prefix, and checked so that any change after the fact is named by line.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { fingerprint, parseIdentity, type Role, verifyPeerCertificate } from '../pki/index.js';

export class TranscriptError extends Error {
  override readonly name = 'TranscriptError';
}

export const TRANSCRIPT_VERSION = 1;
export const SEAL_LABEL = 'kofn/transcript-seal/v1';
export const GENESIS = '0'.repeat(64);
export const CEREMONY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const MODES = ['interactive', 'answers'] as const;
export type TranscriptMode = (typeof MODES)[number];

export const ENTRY_TYPES = ['header', 'step', 'prompt', 'answer', 'event', 'warning', 'seal'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];
/** What a caller may append; the header and the seal are written by create() and seal(). */
export const RECORD_TYPES = ['step', 'prompt', 'answer', 'event', 'warning'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export interface TranscriptHeader {
  ceremony: string;
  /** 'interactive' or 'answers'; a string so that callers holding a prompter's mode need no cast. */
  mode: string;
  /** Program and version, e.g. "kofn 0.1.0". */
  tool: string;
  /** When the ceremony started, if before the file could be created; default now. */
  started?: string | Date;
}

/** A secret as the transcript records it: that there was one, and for high-entropy values its digest. */
export interface Redacted {
  redacted: true;
  sha256?: string;
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
const MAX_DEPTH = 32;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The form in which a secret may enter the transcript. `digest` adds its SHA-256, for values with enough entropy
 * that the digest reveals nothing (a 256-bit share); never for a PIN or a passphrase, whose digest is found by
 * trying them all.
 */
export function redacted(value: unknown, options: { digest?: boolean } = {}): Redacted {
  if (options.digest !== true) return { redacted: true };
  const bytes = typeof value === 'string'
    ? Buffer.from(value, 'utf8')
    : value instanceof Uint8Array
      ? value
      : Buffer.from(JSON.stringify(value) ?? '', 'utf8');
  return { redacted: true, sha256: sha256(bytes) };
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Refuses what could carry a secret by accident or lose information in JSON: anything but plain data, a value
 * flagged `secret: true`, and a redaction marker with more in it than the marker.
 */
function checkData(value: unknown, where: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new TranscriptError(`${where}: nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TranscriptError(`${where}: ${value} has no JSON form`);
    return;
  }
  if (typeof value !== 'object') throw new TranscriptError(`${where}: a ${typeof value} has no JSON form`);
  if (value instanceof Uint8Array) {
    throw new TranscriptError(`${where}: bytes must be written as hex or base64 on purpose (or redacted() if secret)`);
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => checkData(item, `${where}[${i}]`, depth + 1));
    return;
  }
  if (!isPlainObject(value)) {
    throw new TranscriptError(`${where}: a ${value.constructor.name} is not plain data; convert it to text on purpose`);
  }
  const obj = value as Record<string, unknown>;
  if (obj.secret === true) {
    throw new TranscriptError(`${where}: a value flagged secret must go through redacted() before the transcript`);
  }
  if (obj.redacted === true) {
    const extra = Object.keys(obj).filter((key) => key !== 'redacted' && key !== 'sha256');
    if (extra.length > 0 || (obj.sha256 !== undefined && (typeof obj.sha256 !== 'string' || !HEX64.test(obj.sha256)))) {
      throw new TranscriptError(`${where}: a redaction marker holds only "redacted" and a hex "sha256"`);
    }
  }
  for (const [key, item] of Object.entries(obj)) {
    // JSON drops an undefined property, which is what an optional field left out means anyway.
    if (item !== undefined) checkData(item, `${where}.${key}`, depth + 1);
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
}

function syncDirectory(path: string): void {
  // The new file's directory entry must survive a power cut too, or the whole transcript could vanish with it.
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function sealMessage(head: string, ceremony: string): Buffer {
  return Buffer.concat([Buffer.from(SEAL_LABEL, 'ascii'), Buffer.from([0]), Buffer.from(head + ceremony, 'utf8')]);
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** Appends lines to a new transcript file, each on disk before append() returns. */
export class TranscriptWriter {
  #fd: number | undefined;
  #seq = 0;
  #head = GENESIS;
  readonly #ceremony: string;

  private constructor(readonly path: string, fd: number, ceremony: string) {
    this.#fd = fd;
    this.#ceremony = ceremony;
  }

  /** Creates the file (never over an existing one) and writes the header line. */
  static create(path: string, header: TranscriptHeader): TranscriptWriter {
    const { ceremony, mode, tool } = header;
    if (!CEREMONY_ID.test(ceremony)) {
      throw new TranscriptError(`ceremony id ${JSON.stringify(ceremony)} must match ${String(CEREMONY_ID)}`);
    }
    if (!(MODES as readonly string[]).includes(mode)) {
      throw new TranscriptError(`mode must be one of ${MODES.join(', ')}`);
    }
    if (typeof tool !== 'string' || tool === '') throw new TranscriptError('the tool name and version are required');
    const started = header.started === undefined ? new Date() : new Date(header.started);
    if (Number.isNaN(started.getTime())) {
      throw new TranscriptError(`start time ${String(header.started)} is not a date`);
    }
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new TranscriptError(`${path} exists: a transcript is never overwritten`);
      throw new TranscriptError(`${path} cannot be created: ${(err as Error).message}`);
    }
    const writer = new TranscriptWriter(path, fd, ceremony);
    try {
      // open()'s mode passes through the umask; a transcript names the participants, so make it owner-only anyway.
      fchmodSync(fd, 0o600);
      writer.#write({
        v: TRANSCRIPT_VERSION, seq: 0, at: new Date().toISOString(), type: 'header', ceremony, mode, tool,
        started: started.toISOString(), data: {},
      });
      syncDirectory(path);
    } catch (err) {
      writer.close();
      throw err;
    }
    return writer;
  }

  /** Hex SHA-256 of the last line written. */
  get head(): string {
    return this.#head;
  }

  /** The number of lines written so far. */
  get lines(): number {
    return this.#seq;
  }

  get closed(): boolean {
    return this.#fd === undefined;
  }

  append(type: RecordType, data: Record<string, unknown> = {}): void {
    if (!(RECORD_TYPES as readonly string[]).includes(type)) {
      throw new TranscriptError(`${String(type)} is not a record type`);
    }
    checkData(data, 'data', 0);
    this.#write({ seq: this.#seq, at: new Date().toISOString(), type, data });
  }

  /**
   * Signs the transcript with the ceremony certificate's key and closes it. The key must be the certificate's
   * and the certificate must carry the ceremony role: a seal the verifier would refuse is not written. Returns the
   * head the seal covers, for reading aloud.
   */
  seal(keyPem: string, certPem: string): string {
    let key: KeyObject;
    let cert: X509Certificate;
    try {
      key = createPrivateKey(keyPem);
      cert = new X509Certificate(certPem);
    } catch {
      throw new TranscriptError('the sealing key or certificate cannot be read');
    }
    const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
    if (!isP256(key) || !spki(createPublicKey(key)).equals(spki(cert.publicKey))) {
      throw new TranscriptError('the sealing key must be the P-256 key of the sealing certificate');
    }
    if (!parseIdentity(certPem).roles.includes('ceremony')) {
      throw new TranscriptError('the sealing certificate does not carry the ceremony role');
    }
    const head = this.#head;
    const signature = sign('sha256', sealMessage(head, this.#ceremony), { key, dsaEncoding: 'der' });
    this.#write({
      seq: this.#seq, at: new Date().toISOString(), type: 'seal',
      data: { head, signer: cert.toString(), signature: signature.toString('base64') },
    });
    this.close();
    return head;
  }

  /** The transcript as written so far, read back from the file: what the summary and a verifier see. */
  text(): string {
    return readFileSync(this.path, 'utf8');
  }

  /** Closes without a seal (a ceremony that stopped); what was written stays a valid unsealed transcript. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }

  #write(fields: Record<string, unknown>): void {
    const fd = this.#fd;
    if (fd === undefined) throw new TranscriptError(`${this.path} is closed (sealed or abandoned)`);
    const line = Buffer.from(JSON.stringify({ ...fields, prev: this.#head }), 'utf8');
    try {
      writeAll(fd, Buffer.concat([line, Buffer.from('\n')]));
      fsyncSync(fd);
    } catch (err) {
      // Part of the line may be on disk; another line after it would hide where the break is.
      this.close();
      throw new TranscriptError(`${this.path}: write failed, the transcript ends here: ${(err as Error).message}`);
    }
    this.#head = sha256(line);
    this.#seq++;
  }
}

export interface TranscriptEntry {
  seq: number;
  at: string;
  type: EntryType;
  data: Record<string, unknown>;
  prev: string;
  /** Hex SHA-256 of this line's bytes. */
  hash: string;
}

export interface TranscriptProblem {
  /** The position of the line concerned, which is also the seq it should have. */
  seq: number;
  reason: string;
}

export interface TranscriptSigner {
  identity: string;
  roles: Role[];
  /** SHA-256 of the certificate's DER, hex. */
  fingerprint: string;
  /** True only when a CA was given and the certificate is a leaf it issued, valid when the transcript was sealed. */
  trusted: boolean;
}

export interface TranscriptVerdict {
  /** Sealed, the seal verified, and no problems. */
  ok: boolean;
  /** The last line is a seal (whether or not it verified). */
  sealed: boolean;
  /** Every line parses, is numbered in order and chains to the one before. */
  intact: boolean;
  /** The lines that parse, in file order. */
  entries: TranscriptEntry[];
  ceremony?: string;
  mode?: string;
  tool?: string;
  started?: string;
  /** Hash of the last line before the seal (of the last line, if unsealed): what a seal covers. */
  head?: string;
  signer?: TranscriptSigner;
  problems: TranscriptProblem[];
}

interface RawLine {
  bytes: Buffer;
  terminated: boolean;
}

function splitLines(bytes: Buffer): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a, start); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
    lines.push({ bytes: bytes.subarray(start, nl), terminated: true });
    start = nl + 1;
  }
  if (start < bytes.length) lines.push({ bytes: bytes.subarray(start), terminated: false });
  return lines;
}

function parseLine(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported by the caller
  }
  return undefined;
}

/**
 * Checks a transcript (docs/transcript-format.md, "Verifying"). Never throws on bad input: every defect is a
 * problem naming the line it concerns. Pass the file's bytes where possible: a string cannot carry invalid UTF-8.
 */
export function verifyTranscript(text: string | Uint8Array, opts: { caPem?: string } = {}): TranscriptVerdict {
  const bytes = typeof text === 'string'
    ? Buffer.from(text, 'utf8')
    : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const problems: TranscriptProblem[] = [];
  const entries: TranscriptEntry[] = [];
  const verdict: TranscriptVerdict = { ok: false, sealed: false, intact: false, entries, problems };
  const problem = (seq: number, reason: string) => problems.push({ seq, reason });
  const lines = splitLines(bytes);
  if (lines.length === 0) {
    problem(0, 'the transcript is empty');
    return verdict;
  }
  const hashes = lines.map((l) => sha256(l.bytes));
  const last = lines.length - 1;
  let seal: TranscriptEntry | undefined;

  lines.forEach((line, i) => {
    if (!line.terminated) problem(i, 'the last line is not ended by a newline: its write was cut short');
    const obj = parseLine(line.bytes);
    if (obj === undefined) {
      problem(i, line.bytes.length === 0 ? 'empty line' : 'not a JSON object');
      return;
    }
    const { seq, at, type, data, prev } = obj;
    if (seq !== i) {
      problem(i, `numbered ${JSON.stringify(seq)} where ${i} belongs: a line was removed, inserted or moved`);
    }
    if (typeof at !== 'string' || !ISO_MS.test(at) || Number.isNaN(Date.parse(at))) {
      problem(i, '"at" is not an ISO 8601 UTC time with milliseconds');
    }
    if (typeof type !== 'string' || !(ENTRY_TYPES as readonly string[]).includes(type)) {
      problem(i, `unknown type ${JSON.stringify(type)}`);
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) problem(i, '"data" is not an object');
    const expected = i === 0 ? GENESIS : hashes[i - 1];
    if (typeof prev !== 'string' || !HEX64.test(prev)) {
      problem(i, '"prev" is not a hex SHA-256');
    } else if (prev !== expected) {
      if (i === 0) problem(0, 'the header\'s "prev" is not the genesis value (64 zeros)');
      else {
        const changed = `line ${i - 1} was changed after it was written, or a line was removed or inserted after it`;
        problem(i - 1, `its hash is not the "prev" of line ${i}: ${changed}`);
      }
    }
    if (type === 'header') {
      if (i !== 0) problem(i, 'a header anywhere but line 0');
      else checkHeader(obj, verdict, problem);
    } else if (i === 0) {
      problem(0, 'line 0 is not the header');
    }
    if (type === 'seal' && i !== last) problem(i, 'a seal anywhere but the last line: lines were added after sealing');
    const entry: TranscriptEntry = {
      seq: i,
      at: typeof at === 'string' ? at : '',
      type: (ENTRY_TYPES as readonly string[]).includes(type as string) ? type as EntryType : 'event',
      data: data !== null && typeof data === 'object' && !Array.isArray(data) ? data as Record<string, unknown> : {},
      prev: typeof prev === 'string' ? prev : '',
      hash: hashes[i] ?? '',
    };
    entries.push(entry);
    if (type === 'seal' && i === last) seal = entry;
  });

  verdict.intact = problems.length === 0;
  verdict.sealed = seal !== undefined;
  const head = seal === undefined ? hashes[last] : hashes[last - 1];
  if (head !== undefined) verdict.head = head;
  if (seal !== undefined) checkSeal(seal, entries, verdict, opts.caPem, problem);
  verdict.ok = verdict.sealed && problems.length === 0;
  // A line's own defects and the chain's verdict on it are found while reading different lines; list them together.
  problems.sort((a, b) => a.seq - b.seq);
  return verdict;
}

function checkHeader(
  obj: Record<string, unknown>, verdict: TranscriptVerdict, problem: (seq: number, reason: string) => void,
): void {
  const { v, ceremony, mode, tool, started } = obj;
  if (v !== TRANSCRIPT_VERSION) problem(0, `format version ${JSON.stringify(v)} is not ${TRANSCRIPT_VERSION}`);
  if (typeof ceremony === 'string' && CEREMONY_ID.test(ceremony)) verdict.ceremony = ceremony;
  else problem(0, 'the header names no valid ceremony id');
  if (typeof mode === 'string' && (MODES as readonly string[]).includes(mode)) verdict.mode = mode;
  else problem(0, `the header's mode is not one of ${MODES.join(', ')}`);
  if (typeof tool === 'string') verdict.tool = tool;
  else problem(0, 'the header names no tool');
  if (typeof started === 'string' && !Number.isNaN(Date.parse(started))) verdict.started = started;
  else problem(0, 'the header\'s start time is not a date');
}

function checkSeal(
  seal: TranscriptEntry,
  entries: TranscriptEntry[],
  verdict: TranscriptVerdict,
  caPem: string | undefined,
  problem: (seq: number, reason: string) => void,
): void {
  const { head, signer, signature } = seal.data;
  const at = seal.seq;
  if (typeof head !== 'string' || head !== verdict.head) {
    problem(at, 'the seal\'s head is not the hash of the line before it');
    return;
  }
  if (verdict.ceremony === undefined) {
    problem(at, 'without a valid header there is no ceremony id to check the seal against');
    return;
  }
  if (typeof signer !== 'string' || typeof signature !== 'string') {
    problem(at, 'the seal lacks its signer certificate or signature');
    return;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(signer);
  } catch {
    problem(at, 'the signer is not a readable X.509 certificate');
    return;
  }
  if (!isP256(cert.publicKey)) {
    problem(at, 'the signer certificate does not hold a P-256 key');
    return;
  }
  let valid: boolean;
  try {
    valid = verify('sha256', sealMessage(head, verdict.ceremony), { key: cert.publicKey, dsaEncoding: 'der' },
      Buffer.from(signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) problem(at, 'the seal\'s signature does not verify with the signer certificate\'s key');
  let identity: { identity: string; roles: Role[] };
  try {
    identity = parseIdentity(signer);
  } catch (err) {
    problem(at, `the signer certificate names no kofn identity: ${(err as Error).message}`);
    return;
  }
  const signerInfo: TranscriptSigner = { ...identity, fingerprint: fingerprint(signer), trusted: false };
  verdict.signer = signerInfo;
  const hasRole = identity.roles.includes('ceremony');
  if (!hasRole) problem(at, `the signer ${identity.identity} does not hold the ceremony role`);
  if (caPem === undefined) return;
  // The time vouched for is that of the last signed line; the seal's own "at" is outside the signature.
  const signedAt = new Date(entries.find((e) => e.seq === at - 1)?.at ?? seal.at);
  const peer = verifyPeerCertificate(signer, caPem, Number.isNaN(signedAt.getTime()) ? new Date() : signedAt);
  if (!peer.ok) problem(at, `the signer certificate is not trusted: ${peer.message}`);
  signerInfo.trusted = peer.ok && hasRole && valid;
}
