/**
 * Where the ceremony's answers come from: a person at a terminal (inquirer) or an answers file for
 * rehearsals and tests. Both ask the same questions by the same ids, and both go through
 * `Recorder`, so the transcript holds every prompt and answer whichever mode ran.
 */
import { checkbox, confirm, input, password, select } from '@inquirer/prompts';
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { UserError } from '../cli/errors.js';

export type Answer = string | boolean | string[];

export interface Question {
  /** Stable id, also the answers file's key, e.g. 'keygen.bits'. */
  id: string;
  kind: 'input' | 'confirm' | 'select' | 'checkbox' | 'password';
  message: string;
  choices?: readonly { name: string; value: string }[];
  default?: string | boolean | readonly string[];
  /** Returns an error message, or undefined when the answer is acceptable. */
  check?: (answer: Answer) => string | undefined;
}

export interface Prompter {
  readonly mode: 'interactive' | 'answers';
  ask(q: Question): Promise<Answer>;
}

export class InteractivePrompter implements Prompter {
  readonly mode = 'interactive';

  async ask(q: Question): Promise<Answer> {
    const validate = (v: Answer) => q.check?.(v) ?? true;
    switch (q.kind) {
      case 'confirm':
        return confirm({ message: q.message, default: typeof q.default === 'boolean' ? q.default : false });
      case 'password':
        return password({ message: q.message, mask: '*', validate });
      case 'select':
        return select({
          message: q.message, choices: [...(q.choices ?? [])],
          ...(typeof q.default === 'string' ? { default: q.default } : {}),
        });
      case 'checkbox': {
        const on = Array.isArray(q.default) ? q.default : [];
        return checkbox({
          message: q.message, validate: (v) => validate(v.map((c) => c.value)),
          choices: (q.choices ?? []).map((c) => ({ ...c, checked: on.includes(c.value) })),
        });
      }
      default:
        return input({ message: q.message, validate, ...(typeof q.default === 'string' ? { default: q.default } : {}) });
    }
  }
}

/** Answers from a YAML file of `id: answer` pairs; a missing or unacceptable answer stops the ceremony. */
export class AnswersPrompter implements Prompter {
  readonly mode = 'answers';
  readonly #answers: Record<string, unknown>;

  constructor(readonly path: string, private readonly echo: (line: string) => void) {
    let raw: unknown;
    try {
      raw = parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new UserError(`${path}: not a readable YAML file (${(err as Error).message.split('\n')[0] ?? ''})`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new UserError(`${path}: expected a map of question ids to answers`);
    }
    this.#answers = raw as Record<string, unknown>;
    // Checked before anything starts, so a refused file leaves no transcript behind; secret
    // questions are named *.pin and *.passphrase, and ask() checks any other password question.
    const secret = Object.keys(this.#answers).find((id) => /\.(pin|passphrase)$/.test(id));
    if (secret !== undefined) this.#checkPrivate(secret);
  }

  #checkPrivate(id: string): void {
    if ((statSync(this.path).mode & 0o077) !== 0) {
      throw new UserError(`${this.path} holds a secret (${id}) and others can read it: chmod 600 ${this.path}`);
    }
  }

  ask(q: Question): Promise<Answer> {
    const raw = this.#answers[q.id];
    // A PIN or passphrase in a file others can read is a leak before the ceremony even starts.
    if (q.kind === 'password' && raw !== undefined) this.#checkPrivate(q.id);
    let a: Answer | undefined;
    if (raw === undefined) {
      if (q.default === undefined) throw new UserError(`${this.path}: no answer for ${q.id} (${q.message})`);
      a = typeof q.default === 'string' || typeof q.default === 'boolean' ? q.default : [...q.default];
    } else if (q.kind === 'confirm') {
      if (typeof raw !== 'boolean') throw new UserError(`${this.path}: ${q.id} must be yes or no`);
      a = raw;
    } else if (q.kind === 'checkbox') {
      const list: unknown[] = Array.isArray(raw) ? raw : scalar(raw, this.path, q.id).split(',');
      a = list.map((x) => scalar(x, this.path, q.id).trim()).filter((x) => x.length > 0);
    } else {
      a = scalar(raw, this.path, q.id);
    }
    if (q.choices !== undefined) {
      const allowed = new Set(q.choices.map((c) => c.value));
      const bad = (Array.isArray(a) ? a : [String(a)]).find((x) => !allowed.has(x));
      if (bad !== undefined) {
        throw new UserError(`${this.path}: ${q.id}: '${bad}' is not one of ${[...allowed].join(', ')}`);
      }
    }
    const problem = q.check?.(a);
    if (problem !== undefined) throw new UserError(`${this.path}: ${q.id}: ${problem}`);
    this.echo(`? ${q.message} ${q.kind === 'password' ? '********' : Array.isArray(a) ? a.join(', ') : String(a)}`);
    return Promise.resolve(a);
  }
}

function scalar(v: unknown, path: string, id: string): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new UserError(`${path}: ${id} must be a single value`);
}
