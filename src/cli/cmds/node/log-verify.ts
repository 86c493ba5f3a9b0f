import { verifyAuditLog } from '../../../node/audit.js';
import { loadNodeConfig } from '../../../node/config.js';
import { type Command } from '../../command.js';
import { UserError } from '../../errors.js';

export const command: Command = {
  name: 'node log verify',
  summary: 'check the hash chain of a node\'s audit log (no key needed: the log is not secret)',
  usage: ['--config FILE        node configuration, or', '--db FILE            the node database itself'],
  options: { config: { type: 'string' }, db: { type: 'string' } },
  run(v) {
    const db = typeof v.db === 'string' ? v.db : typeof v.config === 'string' ? loadNodeConfig(v.config).data : undefined;
    if (db === undefined) throw new UserError('--config or --db is required');
    const r = verifyAuditLog(db);
    if (r.ok) {
      process.stdout.write(`audit log ${db}: ${r.entries} entries, chain intact, head ${r.head}\n`);
      return Promise.resolve(0);
    }
    process.stdout.write(`audit log ${db}: BROKEN at entry ${r.firstBadSeq} of ${r.entries}: ${r.reason}\n`);
    return Promise.resolve(1);
  },
};
