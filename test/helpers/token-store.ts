/** A token row for store-level unit tests: no cluster, no real PINs. */
import type { TokenStore } from '../../src/pkcs11/service/store.js';

/** A PIN record that checks nothing: these tests never log in. */
const PIN_RECORD = { v: 1 as const, salt: '', N: 2, r: 1, p: 1, check: '', wrapNonce: '', wrapped: '' };

/** Token 't' of nodes a, b, c and threshold 2; returns its id. */
export function createTestToken(store: TokenStore, clusterDir: string): number {
  return store.createToken({
    label: 't', serial: '0011223344556677', clusterDir, nodes: ['a', 'b', 'c'], threshold: 2, soPin: PIN_RECORD,
    userPin: null, soFailures: 0, userFailures: 0, secrets: Buffer.alloc(1), keygenPolicy: 'all', created: 'now',
  });
}
