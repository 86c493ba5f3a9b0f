/** Assembles an ImportedRsaKey once a reader has the parts, checking that they belong together. */
import { readFile } from 'node:fs/promises';
import { native } from '../../threshold/native.js';
import type { ImportedRsaKey } from './types.js';

export class ImportError extends Error {
  override readonly name = 'ImportError';
}

export type ImportedParts = Omit<ImportedRsaKey, 'wipe'>;

/**
 * Takes over p and q: on failure they are zeroed before the error leaves. The check p·q = n runs in
 * native code so that the primes never become BigInts (which cannot be wiped).
 */
export function importedKey(parts: ImportedParts): ImportedRsaKey {
  const { p, q } = parts;
  const wipe = () => {
    p.fill(0);
    q.fill(0);
  };
  try {
    if (p.length === 0 || q.length === 0) throw new ImportError(`${parts.source}: a prime is missing`);
    if (!native.rsaFactorsMatch(parts.n, p, q)) {
      throw new ImportError(`${parts.source}: the primes do not multiply to the modulus; the key is damaged`);
    }
  } catch (err) {
    wipe();
    throw err;
  }
  return { ...parts, wipe };
}

/** The bytes of a key file, or an ImportError naming it. */
export async function readKeyFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ImportError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
