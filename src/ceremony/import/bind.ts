/**
 * Reads a BIND key pair as dnssec-keygen writes it: `K<zone>+<alg>+<tag>.private` ("Private-key-
 * format: v1.x", one "Field: base64" line per RSA component) and, beside it if present, the `.key`
 * file with the DNSKEY record, which gives the flags and the zone. The file is parsed as bytes and
 * the primes are decoded from base64 straight into Buffers, so they never become strings; the
 * file's bytes are zeroed before returning.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fqdn, keyTag, RSA_ALGORITHMS, rsaPublicKeyRdata } from '../dnssec.js';
import { ImportError, importedKey, readKeyFile } from './key.js';
import type { ImportedRsaKey } from './types.js';

/** Fields whose values are public and may be read as text. */
const PUBLIC_FIELDS = new Set(['Private-key-format', 'Algorithm', 'Modulus', 'PublicExponent', 'Label', 'Engine']);

interface Field {
  start: number;
  end: number;
}

type Fields = Map<string, Field>;

/** "Name: value" lines, as byte ranges of the values. */
function fields(data: Buffer): Fields {
  const out = new Map<string, Field>();
  let pos = 0;
  while (pos < data.length) {
    let eol = data.indexOf(0x0a, pos);
    if (eol < 0) eol = data.length;
    const colon = data.indexOf(0x3a, pos);
    if (colon > pos && colon < eol) {
      let start = colon + 1;
      let end = eol;
      while (start < end && (data[start] === 0x20 || data[start] === 0x09)) start++;
      while (end > start && (data[end - 1] === 0x0d || data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
      out.set(data.subarray(pos, colon).toString('latin1').trim(), { start, end });
    }
    pos = eol + 1;
  }
  return out;
}

const SIXBITS = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) {
  SIXBITS[c.charCodeAt(0)] = i;
}

/** Base64 from bytes to bytes (Buffer.from(s, 'base64') would need the secret as a string first). */
function base64Bytes(data: Buffer, f: Field, what: string): Buffer {
  const out = Buffer.alloc(Math.floor(((f.end - f.start) * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = f.start; i < f.end; i++) {
    const c = data[i] ?? 0;
    if (c === 0x3d) break;
    const v = SIXBITS[c] ?? -1;
    if (v < 0) {
      out.fill(0);
      throw new ImportError(`${what} is not base64`);
    }
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

function text(data: Buffer, f: Fields, name: string): string | undefined {
  if (!PUBLIC_FIELDS.has(name)) throw new Error(`${name} is secret and is never read as text`);
  const at = f.get(name);
  return at === undefined ? undefined : data.subarray(at.start, at.end).toString('latin1');
}

function publicInteger(data: Buffer, f: Fields, path: string, what: string): bigint {
  const b64 = text(data, f, what);
  if (b64 === undefined || b64 === '') throw new ImportError(`${path} has no ${what}`);
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length === 0) throw new ImportError(`${path}: ${what} is not base64`);
  return BigInt(`0x${bytes.toString('hex')}`);
}

interface Dnskey {
  owner: string;
  flags: number;
  algorithm: number;
  publicKey: Buffer;
}

/** The first DNSKEY record of a `.key` file, written on one line as dnssec-keygen does. */
function parseDnskey(keyPath: string, content: string): Dnskey {
  for (const raw of content.split('\n')) {
    const line = raw.replace(/;.*/, '').trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    const at = words.findIndex((w) => w.toUpperCase() === 'DNSKEY');
    const [owner] = words;
    const [flags, protocol, algorithm] = words.slice(at + 1, at + 4).map(Number);
    if (at < 1 || owner === undefined || flags === undefined || protocol !== 3 || algorithm === undefined) continue;
    return { owner, flags, algorithm, publicKey: Buffer.from(words.slice(at + 4).join(''), 'base64') };
  }
  throw new ImportError(`${keyPath} holds no DNSKEY record`);
}

async function companion(path: string): Promise<{ keyPath: string; content: string } | undefined> {
  if (!path.endsWith('.private')) return undefined;
  const keyPath = `${path.slice(0, -'.private'.length)}.key`;
  try {
    return { keyPath, content: await readFile(keyPath, 'utf8') };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw new ImportError(`cannot read ${keyPath}: ${(err as Error).message}`, { cause: err });
  }
}

/** Zone of a `K<zone>+<alg>+<tag>.private` file name, for when there is no `.key` file. */
function zoneFromName(path: string): string | undefined {
  const m = /^K(.+)\+\d{3}\+\d{5}\.private$/.exec(basename(path));
  return m?.[1] === undefined ? undefined : fqdn(m[1]);
}

function readFields(path: string, data: Buffer) {
  const f = fields(data);
  const format = text(data, f, 'Private-key-format');
  if (format === undefined || !/^v1\.\d+$/.test(format)) {
    throw new ImportError(`${path} is not a BIND private key file (no "Private-key-format: v1.x" line)`);
  }
  const where = text(data, f, 'Label') ?? text(data, f, 'Engine');
  if (where !== undefined) {
    throw new ImportError(
      `${path} only points at a key that lives in an HSM (${where}): its private key is not in the file; ` +
      'import it from that HSM (the PKCS#11 source) instead',
    );
  }
  const algLine = text(data, f, 'Algorithm') ?? '';
  const algorithm = Number(/^\d+/.exec(algLine)?.[0] ?? NaN);
  if (!Number.isInteger(algorithm)) throw new ImportError(`${path} has no Algorithm line`);
  if (RSA_ALGORITHMS[algorithm] === undefined) {
    throw new ImportError(
      `${path} is a DNSSEC algorithm ${algLine} key, not RSA: kofn shares RSA keys only (algorithms 5, 7, 8, 10)`,
    );
  }
  return { f, algorithm };
}

/** Reads the RSA key in the BIND `.private` file `path` (and its `.key` file, if beside it). */
export async function readBindPrivate(path: string): Promise<ImportedRsaKey> {
  const data = await readKeyFile(path);
  let p: Buffer | undefined;
  let q: Buffer | undefined;
  try {
    const { f, algorithm } = readFields(path, data);
    const n = publicInteger(data, f, path, 'Modulus');
    const e = publicInteger(data, f, path, 'PublicExponent');
    const f1 = f.get('Prime1');
    const f2 = f.get('Prime2');
    if (f1 === undefined || f2 === undefined) throw new ImportError(`${path} has no Prime1 and Prime2`);
    p = base64Bytes(data, f1, `${path}: Prime1`);
    q = base64Bytes(data, f2, `${path}: Prime2`);

    const pub = await companion(path);
    let zone = zoneFromName(path);
    let flags: number | undefined;
    let tag: number | undefined;
    if (pub !== undefined) {
      const dnskey = parseDnskey(pub.keyPath, pub.content);
      if (dnskey.algorithm !== algorithm || !dnskey.publicKey.equals(rsaPublicKeyRdata(n, e))) {
        throw new ImportError(`${pub.keyPath} is not the public half of ${path}: its DNSKEY differs`);
      }
      zone = fqdn(dnskey.owner);
      flags = dnskey.flags;
      const head = Buffer.from([flags >> 8, flags & 0xff, 3, algorithm]);
      tag = keyTag(Buffer.concat([head, dnskey.publicKey]));
    }
    const key = importedKey({
      n, e, p, q, source: `BIND key file ${path}`, dnssecAlgorithm: algorithm,
      ...(zone === undefined ? {} : { zone }),
      ...(flags === undefined ? {} : { flags }),
      ...(tag === undefined ? {} : { keyTag: tag }),
    });
    p = q = undefined;
    return key;
  } finally {
    data.fill(0);
    p?.fill(0);
    q?.fill(0);
  }
}
