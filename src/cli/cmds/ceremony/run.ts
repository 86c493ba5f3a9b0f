/** kofn ceremony: the guided key ceremony (src/ceremony, docs/ceremony.md). */
import { runCeremony } from '../../../ceremony/ceremony.js';
import type { Command } from '../../command.js';
import { UserError } from '../../errors.js';
import { DIR_USAGE, homeDir } from '../token/common.js';

export const command: Command = {
  name: 'ceremony',
  summary: 'hold a key ceremony: cluster PKI, key generation or import, shipping with receipts, a signed transcript',
  usage: [
    DIR_USAGE,
    '--answers F          take every answer from the YAML file F (a rehearsal or a scripted run)',
    '--transcript F       where to write the transcript (default D/ceremonies/<id>.jsonl)',
  ],
  options: { dir: { type: 'string' }, answers: { type: 'string' }, transcript: { type: 'string' } },
  async run(v) {
    try {
      await runCeremony({
        dir: homeDir(v),
        ...(typeof v.answers === 'string' ? { answers: v.answers } : {}),
        ...(typeof v.transcript === 'string' ? { transcript: v.transcript } : {}),
      });
      return 0;
    } catch (err) {
      // Ctrl-C at a prompt: the transcript is sealed as aborted; say so in one line.
      if (err instanceof Error && err.name === 'ExitPromptError') throw new UserError('interrupted at a prompt: the ceremony was aborted');
      throw err;
    }
  },
};
