/**
 * A PKCS#11 module under test, as the conformance suites (test/integration/conformance.test.ts,
 * test/integration/pkcs11-tool.test.ts) see it: where the library is, the environment it needs,
 * the token it serves, and the few places where modules legitimately differ. SoftHSM2 is the
 * reference; kofn's entry lives in pkcs11-module-kofn.ts.
 *
 * Differences between modules are data here, each with the reason, never an if-else in a test.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PKCS#11 return value by name, as pkcs11js and the raw driver report it. */
export type Ckr = `CKR_${string}`;

/** How pkcs11-tool (OpenSC 0.23) is expected to end. */
export interface ToolOutcome {
  status: number;
  /** must match stdout + stderr */
  output: RegExp;
}

export interface ModuleExpectations {
  /** C_GetMechanismInfo(CKM_RSA_PKCS_KEY_PAIR_GEN): ulMinKeySize / ulMaxKeySize, in bits. */
  rsaKeySizes: { min: number; max: number };
  /**
   * C_SignInit with an RSA public key. PKCS#11 2.40 allows CKR_KEY_FUNCTION_NOT_PERMITTED (the
   * key cannot sign) or CKR_KEY_TYPE_INCONSISTENT (wrong kind of key for the mechanism).
   */
  signInitWithPublicKey: Ckr;
  /**
   * C_SignInit with a key handle that names no object. PKCS#11 2.40 §5.12: CKR_KEY_HANDLE_INVALID.
   */
  signInitWithBadKeyHandle: Ckr;
  /** C_Logout when nobody is logged in. PKCS#11 2.40 §5.6: CKR_USER_NOT_LOGGED_IN. */
  logoutWhenNotLoggedIn: Ckr;
  /**
   * `pkcs11-tool --test --login` once the token holds an RSA key pair. pkcs11-tool also tries
   * decryption with every mechanism the module lists, including OAEP with a label.
   */
  toolTestWithKeyPair: ToolOutcome;
  /**
   * Whether threads may call C_Initialize at the same moment (pkcs11-tool --test-threads starts
   * its threads while the main thread initialises). When false, the threads first wait a second.
   */
  concurrentInitialize: boolean;
}

export interface ModuleUnderTest {
  readonly name: 'softhsm2' | 'kofn';
  /** absolute path of the PKCS#11 library */
  readonly module: string;
  /** environment the library needs (set by setup()); the tests add it to every child's environment */
  readonly env: Record<string, string>;
  readonly tokenLabel: string;
  readonly soPin: string;
  readonly userPin: string;
  /** milliseconds one 1024-bit RSA key pair generation may take */
  readonly keyGenMs: number;
  readonly expect: ModuleExpectations;
  /** A fresh, initialised token with the SO and user PINs above. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

const SOFTHSM2_PATHS = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

/** SoftHSM2 (Debian's softhsm2 2.6.1), each setup() with its own configuration and token directory. */
export function softhsm2(): ModuleUnderTest {
  const module = SOFTHSM2_PATHS.find((p) => existsSync(p)) ?? SOFTHSM2_PATHS[0] ?? '';
  const env: Record<string, string> = {};
  let dir: string | undefined;
  return {
    name: 'softhsm2',
    module,
    env,
    tokenLabel: 'kofn',
    soPin: '12345678',
    userPin: '1234',
    keyGenMs: 20_000,
    expect: {
      // SoftHSM2 2.6.1 with OpenSSL: 512 to 16384 bits.
      rsaKeySizes: { min: 512, max: 16384 },
      // Recorded from SoftHSM2 2.6.1: it checks CKA_SIGN (absent on a public key) first.
      signInitWithPublicKey: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
      // SoftHSM2 2.6.1 looks the handle up as any object and answers CKR_OBJECT_HANDLE_INVALID,
      // which the specification does not list for C_SignInit.
      signInitWithBadKeyHandle: 'CKR_OBJECT_HANDLE_INVALID',
      // SoftHSM2 2.6.1 logs out without looking whether anyone was logged in, and says CKR_OK.
      logoutWhenNotLoggedIn: 'CKR_OK',
      // SoftHSM2 2.6.1 rejects an OAEP label (CK_RSA_PKCS_OAEP_PARAMS.pSourceData) with
      // CKR_ARGUMENTS_BAD, and pkcs11-tool aborts its decryption test on that; its key pairs
      // always have CKA_DECRYPT unless told otherwise, so pkcs11-tool does try.
      toolTestWithKeyPair: { status: 1, output: /C_DecryptInit failed: rv = CKR_ARGUMENTS_BAD/ },
      // SoftHSM2 2.6.1's C_Initialize races with itself: two threads initialising at once crash it
      // (SIGSEGV in std::map insertion inside C_Initialize, seen with pkcs11-tool --test-threads IL).
      concurrentInitialize: false,
    },
    async setup() {
      if (!existsSync(module)) throw new Error(`SoftHSM2 is not installed (${SOFTHSM2_PATHS.join(', ')}): run .ci/run`);
      dir = await mkdtemp(join(tmpdir(), 'kofn-softhsm2-'));
      const conf = join(dir, 'softhsm2.conf');
      await mkdir(join(dir, 'tokens'));
      await writeFile(conf, [
        `directories.tokendir = ${join(dir, 'tokens')}`,
        'objectstore.backend = file',
        'log.level = ERROR',
        'slots.removable = false',
        // A forked child starts from a clean library, as with a hardware HSM (and as
        // pkcs11-tool --test-fork expects); without it SoftHSM2 answers the child's C_Initialize
        // with CKR_CRYPTOKI_ALREADY_INITIALIZED.
        'library.reset_on_fork = true',
        '',
      ].join('\n'));
      env.SOFTHSM2_CONF = conf;
      await run('softhsm2-util', [
        '--init-token', '--free', '--label', this.tokenLabel, '--so-pin', this.soPin, '--pin', this.userPin,
      ], { env: { ...process.env, ...env } });
    },
    async teardown() {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}
