/** Token service configuration (YAML, conf/token.example.yaml), validated with one clear line per problem. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from '../../cli/errors.js';

/** The socket the shim uses when KOFN_SOCKET is not set (compiled into libkofn-pkcs11.so). */
export const DEFAULT_SOCKET = '/run/kofn/pkcs11.sock';

const Schema = z.strictObject({
  version: z.literal(1),
  /** Directory of token.db. */
  state: z.string().min(1),
  socket: z.string().min(1).default(DEFAULT_SOCKET),
  /** Octal file mode of the socket: who may use the tokens. */
  socketMode: z.string().regex(/^0?[0-7]{3}$/, 'must be an octal mode such as 0660').default('0660'),
  signTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
  /** How often share deletions are retried on nodes that were down. */
  sweepIntervalMs: z.number().int().min(100).max(86_400_000).default(30_000),
  /** RSA key size → keys kept ready in the safe-prime pool. */
  primePool: z.record(z.string().regex(/^(1024|2048|3072|4096)$/, 'must be 1024, 2048, 3072 or 4096'),
    z.number().int().min(0).max(16)).default({ 2048: 2 }),
});

export interface TokenServiceConfig {
  state: string;
  socket: string;
  socketMode: number;
  signTimeoutMs: number;
  sweepIntervalMs: number;
  primePool: Record<number, number>;
}

export function parseTokenConfig(text: string, file: string): TokenServiceConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new UserError(`config ${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = Schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(`config ${file}: ${i?.path.join('.') || '(top)'}: ${i?.message ?? 'invalid'}`);
  }
  return resolved(r.data, dirname(resolve(file)));
}

/** The defaults of the file format for a service given only its state directory and socket. */
export function defaultTokenConfig(state: string, socket: string): TokenServiceConfig {
  return resolved(Schema.parse({ version: 1, state, socket }), process.cwd());
}

function resolved(d: z.infer<typeof Schema>, base: string): TokenServiceConfig {
  return {
    state: resolve(base, d.state),
    socket: resolve(base, d.socket),
    socketMode: Number.parseInt(d.socketMode, 8),
    signTimeoutMs: d.signTimeoutMs,
    sweepIntervalMs: d.sweepIntervalMs,
    primePool: Object.fromEntries(Object.entries(d.primePool).map(([k, v]) => [Number(k), v])),
  };
}

export function loadTokenConfig(file: string): TokenServiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`config ${file} cannot be read`);
  }
  return parseTokenConfig(text, file);
}
