/** `kofn token serve`: the store, the prime pool, the PKCS#11 semantics and the socket, started and stopped as one. */
import { join } from 'node:path';
import type { TokenServiceConfig } from './config.js';
import { PrimePool } from './primes.js';
import { type Listening, listen } from './server.js';
import { TokenStore } from './store.js';
import { TokenService } from './token-service.js';

export const DB_FILE = 'token.db';

export interface RunningTokenService {
  service: TokenService;
  socket: string;
  close(): Promise<void>;
}

export async function startTokenService(
  cfg: TokenServiceConfig,
  log?: (line: string) => void,
): Promise<RunningTokenService> {
  const store = new TokenStore(join(cfg.state, DB_FILE));
  const primes = new PrimePool(cfg.primePool);
  const service = new TokenService({
    store, primes, signTimeoutMs: cfg.signTimeoutMs, sweepIntervalMs: cfg.sweepIntervalMs, ...(log ? { log } : {}),
  });
  let server: Listening;
  try {
    server = await listen(service, { path: cfg.socket, mode: cfg.socketMode });
  } catch (err) {
    service.close();
    store.close();
    throw err;
  }
  primes.start();
  return {
    service,
    socket: cfg.socket,
    async close() {
      await server.close();
      primes.stop();
      service.close();
      store.close();
    },
  };
}
