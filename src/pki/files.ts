/** Private keys on disk: written owner-only, and refused when anyone else could read them. */
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { PkiError } from './errors.js';

/** Writes `contents` to `path` with mode 0600, also when the file already existed with a wider mode. */
export function writePrivateFile(path: string, contents: string | Uint8Array): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    // The mode of open() applies only to new files (and passes through umask); narrow it before writing a byte.
    fchmodSync(fd, 0o600);
    writeFileSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a private file, refusing it if group or others have any access: a key that others could read must be
 * treated as leaked, and silently using it would hide that.
 */
export function readPrivateFile(path: string): Buffer;
export function readPrivateFile(path: string, encoding: BufferEncoding): string;
export function readPrivateFile(path: string, encoding?: BufferEncoding): Buffer | string {
  // Mode and contents come from the same open file, so a swap between the check and the read cannot slip in.
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new PkiError(`${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new PkiError(`${path} must not be readable by group or others (mode ${mode}): chmod 600 ${path}`);
    }
    const contents = readFileSync(fd);
    return encoding === undefined ? contents : contents.toString(encoding);
  } finally {
    closeSync(fd);
  }
}
