/** A CLI command is data: its words, its flags, and what it runs. */
import type { ParseArgsConfig } from 'node:util';
import { UserError } from './errors.js';

export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  /** The words that name it, e.g. 'node log verify'. */
  name: string;
  summary: string;
  /** Flag help, one line per flag. */
  usage: string[];
  options: NonNullable<ParseArgsConfig['options']>;
  /** Words after the flags' command words, by name, e.g. `audit transcript FILE`; they land in values. */
  positionals?: readonly { name: string; required: boolean }[];
  /** Resolves to the exit status. Throws UserError for mistakes the user can fix. */
  run(values: Values): Promise<number>;
}

export function str(values: Values, name: string, fallback?: string): string {
  const v = values[name];
  if (typeof v === 'string' && v.length > 0) return v;
  if (fallback !== undefined) return fallback;
  throw new UserError(`--${name} is required`);
}

export function int(values: Values, name: string, fallback: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new UserError(`--${name} must be a whole number`);
  return n;
}
