/**
 * A program on a real pseudo-terminal, driven by keystrokes: tmux on a private server socket, so
 * the inquirer prompts see a TTY exactly as an operator's terminal, and the test reads the screen.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export class Tmux {
  readonly socket = `kofn-test-${randomBytes(4).toString('hex')}`;
  readonly session = 'ceremony';

  #tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts `argv` in a 200×60 terminal; the pane stays after it exits so its last screen can be read. */
  start(argv: string[], env: NodeJS.ProcessEnv, cwd: string): void {
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const exports = Object.entries(env).filter(([k]) => k.startsWith('KOFN_'))
      .map(([k, v]) => `${k}='${String(v).replace(/'/g, `'\\''`)}'`).join(' ');
    this.#tmux(['new-session', '-d', '-s', this.session, '-x', '200', '-y', '60', '-c', cwd,
      `env ${exports} ${quoted}; echo "[exit $?]"; sleep 3600`]);
  }

  /** The whole scrollback, so that text that scrolled off the screen is still found. */
  screen(): string {
    return this.#tmux(['capture-pane', '-p', '-J', '-S', '-10000', '-t', this.session]);
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      if (/\[exit \d+\]/.test(s) && !pattern.test(s)) {
        throw new Error(`the program ended before ${String(pattern)}:\n${s.trimEnd().split('\n').slice(-40).join('\n')}`);
      }
      if (Date.now() > end) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${s.trimEnd()}`);
      await sleep(100);
    }
  }

  /** Waits for a prompt, then types the answer and Enter (an empty answer takes the default). */
  async answer(prompt: RegExp, text: string, timeoutMs?: number): Promise<void> {
    await this.waitFor(prompt, timeoutMs);
    if (text.length > 0) this.#tmux(['send-keys', '-t', this.session, '-l', text]);
    await sleep(50);
    this.#tmux(['send-keys', '-t', this.session, 'Enter']);
    // Let the prompt redraw as answered before the next wait looks at the screen.
    await sleep(150);
  }

  /** Sends one key by tmux's name for it, e.g. 'C-c'. */
  key(name: string): void {
    this.#tmux(['send-keys', '-t', this.session, name]);
  }

  kill(): void {
    try {
      this.#tmux(['kill-server']);
    } catch {
      // already gone
    }
  }
}
