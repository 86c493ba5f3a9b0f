/**
 * Coalesces repeated log lines. When a cluster loses its quorum, ods-signerd keeps signing every RRset
 * of a zone and each C_Sign fails the same way: thousands of identical lines a minute would bury the
 * one line an operator needs. The first occurrence is written at once; repeats within the window are
 * counted and summarised in one line when the window closes.
 */
export class RepeatLimiter {
  readonly #out: (line: string) => void;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #seen = new Map<string, { repeats: number; timer: NodeJS.Timeout }>();

  constructor(out: (line: string) => void, opts: { windowMs?: number; maxTracked?: number } = {}) {
    this.#out = out;
    this.#windowMs = opts.windowMs ?? 10_000;
    this.#maxTracked = opts.maxTracked ?? 1000;
  }

  log(line: string): void {
    const seen = this.#seen.get(line);
    if (seen !== undefined) {
      seen.repeats++;
      return;
    }
    this.#out(line);
    // Past the cap nothing is tracked: many distinct lines are not the flood this class is for.
    if (this.#seen.size >= this.#maxTracked) return;
    const entry = { repeats: 0, timer: setTimeout(() => this.#close(line), this.#windowMs) };
    entry.timer.unref();
    this.#seen.set(line, entry);
  }

  /** Writes the pending summaries now (on shutdown). */
  flush(): void {
    for (const line of [...this.#seen.keys()]) this.#close(line);
  }

  #close(line: string): void {
    const entry = this.#seen.get(line);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#seen.delete(line);
    if (entry.repeats > 0) {
      this.#out(`${line} [repeated ${entry.repeats} more time${entry.repeats === 1 ? '' : 's'} in ${this.#windowMs / 1000} s]`);
    }
  }
}
