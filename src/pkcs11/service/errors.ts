/**
 * A PKCS#11 failure: the CKR value the caller gets. Handlers throw it; the dispatcher turns it into
 * the reply. Messages are for the service log only and never carry a PIN or key material.
 */
import * as ck from '../ck.js';

export class CkError extends Error {
  override readonly name = 'CkError';
  constructor(
    readonly rv: bigint,
    message = '',
  ) {
    super(message || rvName(rv));
  }
}

/** Throws CkError(rv) unless ok. */
export function check(ok: boolean, rv: bigint, message?: string): asserts ok {
  if (!ok) throw new CkError(rv, message);
}

const NAMES = new Map<bigint, string>(
  Object.entries(ck)
    .filter(([name]) => name.startsWith('CKR_'))
    .map(([name, v]) => [v, name]),
);

export function rvName(rv: bigint): string {
  return NAMES.get(rv) ?? `CKR_0x${rv.toString(16)}`;
}
