/** Node daemon configuration (YAML), validated with one clear line per problem. Paths are relative to the file. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from '../cli/errors.js';

const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'must be host:port');

export const NodeConfigSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be lower-case letters, digits, . _ - (max 63)'),
  listen: hostPort,
  data: z.string().min(1),
  tls: z.strictObject({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) }),
  kek: z.union([
    z.strictObject({ keyFile: z.string().min(1) }),
    z.strictObject({ passphraseEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name') }),
  ]),
  /** Linux scheduling policy of the node's threads; batch by default (docs/node-protocol.md, Performance). */
  cpuScheduling: z.enum(['batch', 'normal']).default('batch'),
});

export type NodeConfig = z.infer<typeof NodeConfigSchema>;

export interface ResolvedNodeConfig {
  id: string;
  listen: string;
  data: string;
  tls: { ca: string; cert: string; key: string };
  kek: { keyFile: string } | { passphraseEnv: string };
  cpuScheduling: 'batch' | 'normal';
  file: string;
}

export function parseNodeConfig(text: string, file: string): ResolvedNodeConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new UserError(`config ${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = NodeConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new UserError(`config ${file}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const base = dirname(resolve(file));
  const at = (p: string) => resolve(base, p);
  const c = r.data;
  return {
    id: c.id,
    listen: c.listen,
    data: at(c.data),
    tls: { ca: at(c.tls.ca), cert: at(c.tls.cert), key: at(c.tls.key) },
    kek: 'keyFile' in c.kek ? { keyFile: at(c.kek.keyFile) } : c.kek,
    cpuScheduling: c.cpuScheduling,
    file: resolve(file),
  };
}

export function loadNodeConfig(file: string): ResolvedNodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`config ${file}: cannot be read`);
  }
  return parseNodeConfig(text, file);
}
