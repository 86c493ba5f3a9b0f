import { join } from 'node:path';
import { defaultTokenConfig, loadTokenConfig, type TokenServiceConfig } from '../../../pkcs11/service/config.js';
import { startTokenService } from '../../../pkcs11/service/daemon.js';
import { type Command, int, str } from '../../command.js';
import { UserError } from '../../errors.js';
import { DIR_USAGE, homeDir } from './common.js';

export const command: Command = {
  name: 'token serve',
  summary: 'run the token service (the socket libkofn-pkcs11.so talks to) in the foreground',
  usage: [
    '--config FILE        service configuration (see conf/token.example.yaml), or:',
    DIR_USAGE,
    '--socket PATH        socket (default $KOFN_SOCKET or D/pkcs11.sock)',
    '--sweep-ms N         retry share deletions on nodes that were down every N ms (default 30000)',
    '--prime-pool SPEC    keys kept ready per size, e.g. 2048:2,3072:1 (default 2048:2; none to disable)',
  ],
  options: {
    'config': { type: 'string' }, 'dir': { type: 'string' }, 'socket': { type: 'string' },
    'prime-pool': { type: 'string' }, 'sweep-ms': { type: 'string' },
  },
  async run(v) {
    let cfg: TokenServiceConfig;
    if (typeof v.config === 'string') cfg = loadTokenConfig(v.config);
    else {
      const dir = homeDir(v);
      const socket = typeof v.socket === 'string' ? v.socket : (process.env.KOFN_SOCKET ?? join(dir, 'pkcs11.sock'));
      cfg = defaultTokenConfig(join(dir, 'token'), socket);
      if (v['sweep-ms'] !== undefined) cfg.sweepIntervalMs = int(v, 'sweep-ms', cfg.sweepIntervalMs);
      if (v['prime-pool'] !== undefined) cfg.primePool = primePool(str(v, 'prime-pool'));
    }
    const svc = await startTokenService(cfg);
    const tokens = svc.service.store.tokens();
    process.stdout.write(`kofn token service listening on ${svc.socket} (${tokens.length} token${tokens.length === 1 ? '' : 's'})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await svc.close();
    process.stdout.write('kofn token service stopped\n');
    return 0;
  },
};

function primePool(spec: string): Record<number, number> {
  if (spec === 'none') return {};
  const out: Record<number, number> = {};
  for (const part of spec.split(',')) {
    const m = /^(1024|2048|3072|4096):(\d{1,2})$/.exec(part.trim());
    if (!m) throw new UserError(`--prime-pool: ${part} is not SIZE:COUNT (sizes 1024, 2048, 3072, 4096)`);
    out[Number(m[1])] = Number(m[2]);
  }
  return out;
}
