/** Reads every readable mapping of another process (ours to ptrace: a child) and counts a pattern. */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export function countInMemory(pid: number, patterns: readonly Buffer[]): number {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n');
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  let hits = 0;
  const chunk = Buffer.alloc(1 << 22);
  const overlap = Math.max(...patterns.map((p) => p.length));
  try {
    for (const line of maps) {
      const [range, perms, , , , name] = line.split(/\s+/);
      if (!range || !perms?.startsWith('r') || name === '[vvar]' || name === '[vsyscall]') continue;
      const [lo, hi] = range.split('-').map((h) => Number.parseInt(h, 16));
      if (lo === undefined || hi === undefined) continue;
      for (let pos = lo; pos < hi; pos += chunk.length - overlap) {
        const len = Math.min(chunk.length, hi - pos);
        let got = 0;
        try {
          got = readSync(fd, chunk, 0, len, pos);
        } catch {
          break; // unreadable (guard pages, reserved address space)
        }
        const view = chunk.subarray(0, got);
        for (const p of patterns) {
          for (let i = view.indexOf(p); i !== -1; i = view.indexOf(p, i + 1)) {
            if (pos + i + p.length <= pos + len) hits++;
          }
        }
        if (got < len) break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return hits;
}
