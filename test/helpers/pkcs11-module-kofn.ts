/**
 * kofn's libkofn-pkcs11.so as a module under test (see pkcs11-module.ts): each setup() starts a
 * 3-of-5 local cluster and `kofn token serve` behind it (test/helpers/token-service.ts), and the
 * module reaches that service through KOFN_SOCKET.
 *
 * Expectations differ from SoftHSM2's only where SoftHSM2 departs from PKCS#11 2.40 or where kofn
 * has a reason of its own; each says which.
 */
import { existsSync } from 'node:fs';
import type { ModuleUnderTest } from './pkcs11-module.js';
import { LABEL, MODULE, SO_PIN, startTokenService, type TestTokenService, USER_PIN } from './token-service.js';

export function kofn(): ModuleUnderTest {
  const env: Record<string, string> = {};
  let service: TestTokenService | undefined;
  return {
    name: 'kofn',
    module: MODULE,
    env,
    tokenLabel: LABEL,
    soPin: SO_PIN,
    userPin: USER_PIN,
    // Dealing a 1024-bit key to five nodes, primes from the service's pool.
    keyGenMs: 60_000,
    expect: {
      // src/pkcs11/service/mechanisms.ts: threshold RSA from 1024 to 4096 bits.
      rsaKeySizes: { min: 1024, max: 4096 },
      // Both return values are allowed; kofn should answer as the reference does.
      signInitWithPublicKey: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
      // PKCS#11 2.40 (SoftHSM2 departs from it here).
      signInitWithBadKeyHandle: 'CKR_KEY_HANDLE_INVALID',
      // PKCS#11 2.40 (SoftHSM2 departs from it here).
      logoutWhenNotLoggedIn: 'CKR_USER_NOT_LOGGED_IN',
      // kofn cannot decrypt (a threshold DNSSEC signer has no use for it) and lists no mechanism
      // with CKF_DECRYPT, so pkcs11-tool has nothing to fail on.
      toolTestWithKeyPair: { status: 0, output: /^No errors$/m },
      // The shim keeps no state a second C_Initialize could corrupt: OpenDNSSEC's and BIND's
      // threads may initialise at any moment.
      concurrentInitialize: true,
    },
    async setup() {
      if (!existsSync(MODULE)) throw new Error(`${MODULE} is missing: npm run build`);
      service = await startTokenService();
      env.KOFN_SOCKET = service.socket;
    },
    async teardown() {
      const s = service;
      service = undefined;
      delete env.KOFN_SOCKET;
      await s?.close();
    },
  };
}
