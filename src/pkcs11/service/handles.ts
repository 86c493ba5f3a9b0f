/**
 * The one place that issues and invalidates handles, for sessions and objects alike (as
 * SoftHSMv2's HandleManager does). Handles start at a random point below 2^31 so that they fit a
 * 32-bit CK_ULONG and do not repeat across service epochs in practice.
 */
import { randomInt } from 'node:crypto';
import type { Attrs } from './attributes.js';
import type { Session } from './session.js';

/** A token object lives in the store; the handle names its row. */
export interface TokenObjectRef {
  kind: 'token-object';
  tokenId: number;
  rowId: number;
}

/** A session object lives only in memory, owned by one session. */
export interface SessionObject {
  kind: 'session-object';
  tokenId: number;
  session: Session;
  attrs: Attrs;
  placement: string | null;
}

export type Entry = Session | TokenObjectRef | SessionObject;

export class Handles {
  #next: bigint;
  readonly #entries = new Map<bigint, Entry>();
  readonly #rows = new Map<number, bigint>();

  constructor() {
    this.#next = BigInt(randomInt(1 << 20, 1 << 30));
  }

  #issue(e: Entry): bigint {
    const h = this.#next++;
    if (this.#next >= 0x7fff_ffffn) this.#next = 1n << 20n;
    this.#entries.set(h, e);
    return h;
  }

  issueSession(s: Omit<Session, 'handle' | 'kind'>): Session {
    const session = { ...s, kind: 'session', handle: 0n } as Session;
    session.handle = this.#issue(session);
    return session;
  }

  /** A token object has one handle for as long as the service runs. */
  tokenObject(tokenId: number, rowId: number): bigint {
    const had = this.#rows.get(rowId);
    if (had !== undefined) return had;
    const h = this.#issue({ kind: 'token-object', tokenId, rowId });
    this.#rows.set(rowId, h);
    return h;
  }

  sessionObject(o: SessionObject): bigint {
    return this.#issue(o);
  }

  get(h: bigint): Entry | undefined {
    return this.#entries.get(h);
  }

  invalidate(h: bigint): void {
    const e = this.#entries.get(h);
    if (e?.kind === 'token-object') this.#rows.delete(e.rowId);
    this.#entries.delete(h);
  }
}
