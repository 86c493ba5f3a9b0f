/** Applications, sessions and the one operation each session may have active. */
import type { Hash, KeyObject } from 'node:crypto';
import type { KeyPlacement } from '../../coordinator/coordinator.js';
import type { Abi } from './abi.js';
import type { HashName, PssParams } from './mechanisms.js';

/**
 * One application in the PKCS#11 sense (one C_Initialize of one process: the hello's instance).
 * Login state is per application and token (§6.7.4).
 */
export interface App {
  instance: bigint;
  pid: number;
  abi: Abi;
  connections: number;
  sessions: Set<Session>;
  login: Map<number, 'so' | 'user'>;
  reap?: NodeJS.Timeout;
}

export type Operation =
  | { kind: 'find'; handles: bigint[]; at: number }
  | { kind: 'digest'; hash: Hash; name: HashName; parts: boolean }
  | {
    kind: 'sign';
    mechanism: bigint;
    /** The session's token: whose coordinator signs. */
    tokenId: number;
    placement: KeyPlacement;
    keyName: string;
    hash?: Hash;
    hashName?: HashName;
    pss?: PssParams;
    /** Collected parts for mechanisms without a token-side hash (CKM_RSA_PKCS, CKM_RSA_PKCS_PSS). */
    data: Buffer[];
    parts: boolean;
  }
  | {
    kind: 'verify';
    mechanism: bigint;
    key: KeyObject;
    bits: number;
    hash?: Hash;
    hashName?: HashName;
    pss?: PssParams;
    data: Buffer[];
    parts: boolean;
  }
  | { kind: 'encrypt'; key: KeyObject; bytes: number; padding: number; oaepHash?: HashName; label?: Buffer };

export interface Session {
  kind: 'session';
  handle: bigint;
  app: App;
  tokenId: number;
  rw: boolean;
  op: Operation | undefined;
  /** Handles of this session's session objects, destroyed with it. */
  objects: Set<bigint>;
}
