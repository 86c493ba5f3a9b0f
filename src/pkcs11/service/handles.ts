/**
 * The one place that issues and invalidates handles, for sessions and objects alike (as SoftHSMv2's
 * HandleManager does). Handles fit a 32-bit CK_ULONG and fall in two ranges (docs/protocol.md, Handles):
 *
 * - A token object's handle is its store row id, below 2^30: the same for every application and across
 *   restarts of the service, as on hardware HSMs. OpenDNSSEC's signer keeps key handles when it re-opens
 *   the HSM after CKR_SESSION_HANDLE_INVALID, so a handle that changed with each run of the service
 *   would break it. Row ids are never reused (AUTOINCREMENT, store format v2), so a stale handle of a
 *   destroyed object never names another one.
 * - Sessions and session objects are numbered from a random start in [2^30, 2^31), so they do not
 *   repeat across service epochs in practice.
 */
import { randomInt } from 'node:crypto';
import type { Attrs } from './attributes.js';
import type { Session } from './session.js';

/** The first handle of sessions and session objects; token objects lie below. */
export const SESSION_HANDLES = 1n << 30n;
const END = 1n << 31n;

/** A token object lives in the store; the handle names its row. */
export interface TokenObjectRef {
  kind: 'token-object';
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

  constructor() {
    this.#next = SESSION_HANDLES + BigInt(randomInt(0, 1 << 29));
  }

  #issue(e: Entry): bigint {
    let h = this.#next;
    while (this.#entries.has(h)) h = h + 1n >= END ? SESSION_HANDLES : h + 1n;
    this.#next = h + 1n >= END ? SESSION_HANDLES : h + 1n;
    this.#entries.set(h, e);
    return h;
  }

  issueSession(s: Omit<Session, 'handle' | 'kind'>): Session {
    const session = { ...s, kind: 'session', handle: 0n } as Session;
    session.handle = this.#issue(session);
    return session;
  }

  /** A token object's handle: its row id (the store checks the range when it inserts). */
  tokenObject(rowId: number): bigint {
    return BigInt(rowId);
  }

  sessionObject(o: SessionObject): bigint {
    return this.#issue(o);
  }

  /** What a handle names; for a token object only the row, which the caller looks up (it may be gone). */
  get(h: bigint): Entry | undefined {
    if (h > 0n && h < SESSION_HANDLES) return { kind: 'token-object', rowId: Number(h) };
    return this.#entries.get(h);
  }

  /** Forgets a session or session object; a token object's handle dies with its row. */
  invalidate(h: bigint): void {
    this.#entries.delete(h);
  }
}
