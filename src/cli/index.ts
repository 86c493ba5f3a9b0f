#!/usr/bin/env node
/** kofn: the command-line entry point. Expected user errors print one line and exit with status 2. */
import { parseArgs } from 'node:util';
import type { Command, Values } from './command.js';
import { COMMANDS } from './commands.js';
import { UserError } from './errors.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return ['usage: kofn <command> [flags]', '', ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), ''].join(
    '\n',
  );
}

function commandHelp(c: Command): string {
  const args = (c.positionals ?? []).map((p) => (p.required ? ` ${p.name}` : ` [${p.name}]`)).join('');
  return [`usage: kofn ${c.name} [flags]${args}`, `  ${c.summary}`, '', ...c.usage.map((u) => `  ${u}`), ''].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const match = [...COMMANDS]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((w, i) => argv[i] === w));
  if (match === undefined) {
    if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help') {
      process.stdout.write(help());
      return 0;
    }
    process.stderr.write(`kofn: unknown command '${argv.slice(0, 2).join(' ')}'\n${help()}`);
    return 2;
  }
  const rest = argv.slice(match.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(match));
    return 0;
  }
  try {
    const wanted = match.positionals ?? [];
    const { values, positionals } = parseArgs({
      args: rest, options: match.options, strict: true, allowPositionals: wanted.length > 0,
    });
    const named: Values = { ...(values as Values) };
    if (positionals.length > wanted.length) throw new UserError(`unexpected argument '${positionals[wanted.length] ?? ''}'`);
    wanted.forEach((p, i) => {
      const got = positionals[i];
      if (got === undefined && p.required) throw new UserError(`${p.name} is required`);
      if (got !== undefined) named[p.name] = got;
    });
    return await match.run(named);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UserError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`kofn ${match.name}: ${e.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
