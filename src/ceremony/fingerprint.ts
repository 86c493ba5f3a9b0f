/**
 * Fingerprints the ceremony reads aloud before anything else happens: of kofn's own installed code, of the
 * configuration and of the cluster CA certificate. The witnesses compare them with values published beforehand,
 * as at the root KSK ceremonies, so a tampered tool or a swapped CA is caught in the room.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fingerprint } from '../pki/index.js';
import { pgpWords } from './words.js';

export interface FileFingerprint {
  /** As given (with `/` separators), or relative to the root: so equal trees digest equal anywhere on disk. */
  path: string;
  sha256: string;
}

export interface FilesFingerprint {
  /** SHA-256 over one line "path\0sha256\n" per file, in byte order of path. */
  sha256: string;
  files: FileFingerprint[];
}

export interface ReadAloud {
  /** The whole digest in lower-case hex, in groups of four. */
  hex: string;
  /** The first 8 bytes as PGP words: enough to catch a swap, short enough to read out for every value. */
  words: string[];
}

const HEX_DIGEST = /^(?:[0-9a-f]{2})+$/;
const WORD_BYTES = 8;

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function byBytes(a: string, b: string): number {
  // Not localeCompare: the order must not depend on the locale of the machine that computes it.
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

/**
 * Digests a set of files. Paths are recorded as given (relative to `root` when one is passed, which is
 * what makes the digest independent of where the files are installed); duplicates count once. A missing
 * file throws: a fingerprint that silently left a file out would vouch for less than it claims.
 */
export function fingerprintFiles(paths: readonly string[], options: { root?: string } = {}): FilesFingerprint {
  const names = [...new Set(paths.map((p) => p.split(sep).join('/')))].sort(byBytes);
  const files = names.map((path) => ({
    path,
    sha256: sha256File(options.root === undefined ? path : resolve(options.root, path)),
  }));
  const digest = createHash('sha256');
  for (const f of files) digest.update(`${f.path}\0${f.sha256}\n`, 'utf8');
  return { sha256: digest.digest('hex'), files };
}

/** Files under `dir` whose name passes `keep`, relative to `root`; symlinked directories are not followed. */
function filesUnder(root: string, dir: string, keep: (name: string) => boolean, recursive: boolean): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs) || !lstatSync(abs).isDirectory()) return [];
  const found: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (recursive) found.push(...filesUnder(root, rel, keep, recursive));
    } else if ((entry.isFile() || entry.isSymbolicLink()) && keep(entry.name)) {
      found.push(rel);
    }
  }
  return found;
}

/**
 * kofn's code as installed under `root` (the package directory): the compiled JavaScript, the native addons and
 * the lock file that pins every dependency. Parts that are absent (no native build, say) are skipped rather than
 * refused; the file list in the result shows what was covered.
 */
export function codeFingerprint(root: string): FilesFingerprint {
  const paths = [
    ...filesUnder(root, 'dist/src', (name) => name.endsWith('.js'), true),
    ...filesUnder(root, 'native/build/Release', (name) => name.endsWith('.node') || name.endsWith('.so'), false),
  ];
  if (existsSync(join(root, 'package-lock.json'))) paths.push('package-lock.json');
  return fingerprintFiles(paths, { root });
}

/** SHA-256 of the certificate's DER, lower-case hex: the same value `openssl x509 -fingerprint -sha256` shows. */
export function certFingerprint(pem: string): string {
  return fingerprint(pem);
}

/** A hex digest laid out for reading aloud; accepts upper case and `:` or space separators. */
export function readAloud(hex: string): ReadAloud {
  const clean = hex.replace(/[\s:]/g, '').toLowerCase();
  if (!HEX_DIGEST.test(clean)) throw new Error(`not a hex digest: ${JSON.stringify(hex)}`);
  return {
    hex: clean.match(/.{1,4}/g)?.join(' ') ?? '',
    words: pgpWords(Buffer.from(clean.slice(0, 2 * WORD_BYTES), 'hex')),
  };
}
