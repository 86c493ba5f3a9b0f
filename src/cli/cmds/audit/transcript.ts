/** kofn audit transcript FILE: checks a ceremony transcript's chain and seal, and prints it. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyTranscript } from '../../../ceremony/transcript.js';
import type { Command } from '../../command.js';
import { UserError } from '../../errors.js';
import { homeDir } from '../token/common.js';

export const command: Command = {
  name: 'audit transcript',
  summary: 'verify a ceremony transcript (hash chain, seal, signer certificate) and print it',
  usage: [
    'FILE                 the transcript (.jsonl)',
    '--ca F               the cluster CA certificate the signer must chain to (default D/ca/ca.crt if present)',
    '--dir D              state directory whose ca/ca.crt to use',
    '--json               the verdict as JSON, without the listing',
  ],
  options: { ca: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
  positionals: [{ name: 'FILE', required: true }],
  run(v) {
    const file = String(v.FILE);
    if (!existsSync(file)) throw new UserError(`${file}: no such file`);
    const caPath = typeof v.ca === 'string' ? v.ca : join(homeDir(v), 'ca', 'ca.crt');
    if (typeof v.ca === 'string' && !existsSync(caPath)) throw new UserError(`${caPath}: no such file`);
    const caPem = existsSync(caPath) ? readFileSync(caPath, 'utf8') : undefined;
    const text = readFileSync(file, 'utf8');
    const verdict = verifyTranscript(text, caPem === undefined ? {} : { caPem });
    if (v.json === true) {
      process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
      return Promise.resolve(verdict.ok ? 0 : 1);
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const r = JSON.parse(line) as { seq?: number; at?: string; type?: string; data?: unknown };
        const data = JSON.stringify(r.data ?? {});
        process.stdout.write(`${String(r.seq).padStart(4)} ${r.at ?? ''} ${(r.type ?? '').padEnd(7)} ` +
          `${data.length > 160 ? `${data.slice(0, 157)}...` : data}\n`);
      } catch {
        process.stdout.write(`     (not JSON) ${line.slice(0, 80)}\n`);
      }
    }
    for (const p of verdict.problems) process.stdout.write(`PROBLEM at line ${p.seq}: ${p.reason}\n`);
    process.stdout.write(verdict.ok
      ? `transcript OK: ${verdict.entries.length} entries, sealed by ${verdict.signer?.identity ?? '?'}${
        verdict.signer?.trusted === true ? ', chains to the CA' : ''}\n`
      : `transcript NOT OK (${verdict.sealed ? 'sealed' : 'not sealed'})\n`);
    if (caPem === undefined) process.stdout.write('note: no CA given, so the signer certificate was not checked against one\n');
    return Promise.resolve(verdict.ok ? 0 : 1);
  },
};
