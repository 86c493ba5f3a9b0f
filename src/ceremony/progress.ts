/**
 * A progress bar for the ceremony's slow steps (safe primes for RSA-4096 take minutes; shipping
 * waits for every node). On a terminal it redraws one line; elsewhere it prints start and end only,
 * so an answers-file run's log stays readable.
 */
const WIDTH = 30;

export interface Progress {
  /** done of total; total 0 means "unknown", drawn as elapsed time. */
  update(done: number, total: number): void;
  finish(note?: string): void;
}

export function progress(label: string, out: NodeJS.WriteStream = process.stderr): Progress {
  const start = Date.now();
  const tty = out.isTTY;
  let last = { done: 0, total: 0 };
  const secs = () => ((Date.now() - start) / 1000).toFixed(1);
  const draw = () => {
    const { done, total } = last;
    const filled = total > 0 ? Math.round((WIDTH * done) / total) : Math.floor(Date.now() / 250) % WIDTH;
    const bar = total > 0
      ? `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`
      : `${'.'.repeat(filled)}#${'.'.repeat(WIDTH - filled - 1)}`;
    const count = total > 0 ? ` ${done}/${total}` : '';
    out.write(`\r[${bar}] ${label}${count} ${secs()} s`);
  };
  const timer = tty ? setInterval(draw, 250) : undefined;
  timer?.unref();
  if (!tty) out.write(`${label}...\n`);
  return {
    update(done, total) {
      last = { done, total };
      if (tty) draw();
    },
    finish(note) {
      if (timer) clearInterval(timer);
      if (tty) {
        draw();
        out.write('\n');
      }
      out.write(`${label}: ${note ?? 'done'} (${secs()} s)\n`);
    },
  };
}
