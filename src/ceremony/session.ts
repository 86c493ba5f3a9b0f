/**
 * What every step uses: ask (recorded as a prompt and an answer), say (printed), note an event, and
 * open a numbered step. Until the ceremony id is known the transcript file cannot be named, so the
 * first records wait in memory and are written, in order, when the file is created.
 */
import { TranscriptWriter, redacted } from './transcript.js';
import type { Answer, Prompter, Question } from './prompter.js';

type Pending = { type: 'step' | 'prompt' | 'answer' | 'event' | 'warning'; data: Record<string, unknown> };

export class Session {
  #writer: TranscriptWriter | undefined;
  readonly #pending: Pending[] = [];

  constructor(readonly prompter: Prompter, readonly out: (line: string) => void) {}

  get mode(): 'interactive' | 'answers' {
    return this.prompter.mode;
  }

  get transcript(): TranscriptWriter | undefined {
    return this.#writer;
  }

  startTranscript(path: string, header: { ceremony: string; mode: string; tool: string; started: string }): void {
    this.#writer = TranscriptWriter.create(path, header);
    for (const p of this.#pending.splice(0)) this.#writer.append(p.type, p.data);
  }

  #record(type: Pending['type'], data: Record<string, unknown>): void {
    if (this.#writer) this.#writer.append(type, data);
    else this.#pending.push({ type, data });
  }

  async ask(q: Question, opts: { secret?: boolean } = {}): Promise<Answer> {
    this.#record('prompt', { id: q.id, message: q.message });
    const a = await this.prompter.ask(q);
    this.#record('answer', { id: q.id, value: opts.secret === true ? redacted(a) : a });
    return a;
  }

  async askText(q: Omit<Question, 'kind'>, opts: { secret?: boolean } = {}): Promise<string> {
    return String(await this.ask({ ...q, kind: opts.secret === true ? 'password' : 'input' }, opts));
  }

  async confirm(id: string, message: string, dflt = false): Promise<boolean> {
    return (await this.ask({ id, kind: 'confirm', message, default: dflt })) === true;
  }

  async select(id: string, message: string, choices: readonly { name: string; value: string }[], dflt?: string):
  Promise<string> {
    return String(await this.ask({ id, kind: 'select', message, choices, ...(dflt === undefined ? {} : { default: dflt }) }));
  }

  say(...lines: string[]): void {
    for (const l of lines) this.out(l);
  }

  event(kind: string, data: Record<string, unknown>): void {
    this.#record('event', { kind, ...data });
  }

  warn(message: string): void {
    this.out(`WARNING: ${message}`);
    this.#record('warning', { message });
  }

  step(n: number, title: string): void {
    this.out('');
    this.out(`== Step ${n}: ${title} ${'='.repeat(Math.max(3, 60 - title.length))}`);
    this.#record('step', { n, title });
  }
}
