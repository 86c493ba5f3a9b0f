/** Where a token service keeps its state when driven by flags rather than a config file. */
import { join, resolve } from 'node:path';
import { DB_FILE } from '../../../pkcs11/service/daemon.js';
import { TokenStore } from '../../../pkcs11/service/store.js';
import { str, type Values } from '../../command.js';

export const DIR_USAGE = '--dir D              state directory (default $KOFN_HOME or ./.kofn); the token store is D/token';

export function homeDir(v: Values): string {
  return resolve(str(v, 'dir', process.env.KOFN_HOME ?? './.kofn'));
}

export function storePath(v: Values): string {
  return join(homeDir(v), 'token', DB_FILE);
}

export function openStore(v: Values): TokenStore {
  return new TokenStore(storePath(v));
}
