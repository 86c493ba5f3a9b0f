/**
 * OpenSC's pkcs11-tool (0.23, Debian 12) against every module under test: its own self-test, its
 * fork and thread tests, and the key generation and signing an operator does by hand. Run as a
 * separate process each time, as an administrator would.
 *
 * --test-threads in OpenSC 0.23 takes a string of two-character commands per thread: IN
 * (C_Initialize(NULL)), IL (C_Initialize with CKF_OS_LOCKING_OK), GI (C_GetInfo), SL
 * (C_GetSlotList), Tn (C_GetTokenInfo of slot index n), Pn (pause n seconds). Later OpenSC
 * versions add more (LT, a login test); commas are not separators. pkcs11-tool's exit status does
 * not reflect the threads: it prints "test_threads all threads have ended with CKR_OK" or "...
 * some errors", which is what the tests read.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModuleUnderTest, softhsm2 } from '../helpers/pkcs11-module.js';
import { kofn } from '../helpers/pkcs11-module-kofn.js';

/** The modules under test, in order. */
const modules: ModuleUnderTest[] = [softhsm2(), kofn()];

interface ToolRun {
  status: number | null;
  signal: string | null;
  /** stdout and stderr, interleaved as they arrived */
  output: string;
}

function pkcs11Tool(m: ModuleUnderTest, args: string[], timeoutMs = 120_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = execFile('pkcs11-tool', ['--module', m.module, ...args], {
      env: { ...process.env, ...m.env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024,
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer | string) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer | string) => (output += d.toString()));
    child.on('close', (status, signal) => resolve({ status, signal, output }));
  });
}

function assertStatus(r: ToolRun, status: number): void {
  assert.equal(r.signal, null, `pkcs11-tool was killed by ${r.signal}:\n${r.output}`);
  assert.equal(r.status, status, `pkcs11-tool exited with ${r.status}:\n${r.output}`);
}

for (const m of modules) {
  describe(`pkcs11-tool against ${m.name}`, function () {
    this.timeout(120_000 + m.keyGenMs);
    let dir: string;
    const login = () => ['--token-label', m.tokenLabel, '--login', '--pin', m.userPin];

    before(async () => {
      await m.setup();
      dir = await mkdtemp(join(tmpdir(), 'kofn-pkcs11-tool-'));
    });

    after(async () => {
      await m.teardown();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('--list-token-slots shows the token by its label and flags', async () => {
      const r = await pkcs11Tool(m, ['--list-token-slots']);
      assertStatus(r, 0);
      assert.match(r.output, new RegExp(`token label\\s*: ${m.tokenLabel}\\s*$`, 'm'));
      assert.match(r.output, /token flags\s*:.*login required.*token initialized.*PIN initialized/);
    });

    it('--test --login on the empty token ends with "No errors"', async () => {
      const r = await pkcs11Tool(m, ['--test', ...login()]);
      assertStatus(r, 0);
      assert.match(r.output, /C_SeedRandom\(\) and C_GenerateRandom\(\):\s+seems to be OK/);
      assert.match(r.output, /SHA256: OK/);
      assert.match(r.output, /^No errors$/m);
    });

    it('--test-fork: a forked child\'s own C_Initialize succeeds', async () => {
      const r = await pkcs11Tool(m, ['--test-fork', '--list-slots']);
      assertStatus(r, 0);
      assert.match(r.output, /\*\*\* Calling C_Initialize in forked child process \*\*\*/);
      assert.doesNotMatch(r.output, /error:/);
    });

    it('--test-threads: two threads starting after the main thread\'s C_Initialize all end with CKR_OK', async () => {
      // P1/P2 let the main thread initialise first and keep the two threads' C_Initialize a second
      // apart (SoftHSM2 2.6.1 crashes when two run at once); pkcs11-tool then waits 30 s for them.
      const r = await pkcs11Tool(m, ['--test-threads', 'P1ILGISLT0', '--test-threads', 'P2INGISLT0', '--list-slots']);
      assertStatus(r, 0);
      assert.match(r.output, /Test thread 0 C_Initialize +returned CKR_CRYPTOKI_ALREADY_INITIALIZED/);
      assert.match(r.output, /Test thread 1 C_GetSlotList returned CKR_OK/);
      assert.match(r.output, /test_threads all threads have ended with CKR_OK/);
    });

    (m.expect.concurrentInitialize ? it : it.skip)(
      '--test-threads: four threads calling C_Initialize at the same moment as the main thread all end with CKR_OK',
      async () => {
        // When the threads outlast the main thread, pkcs11-tool waits 30 s for them.
        const t = ['ILGISLT0', 'INGISLT0', 'ILGISL', 'INSLGI'].flatMap((c) => ['--test-threads', c]);
        const r = await pkcs11Tool(m, [...t, '--list-slots']);
        assertStatus(r, 0);
        assert.match(r.output, /test_threads all threads have ended with CKR_OK/);
      });

    it('--keypairgen --key-type rsa:1024 --id 01 --label t makes an RSA key pair and prints both keys', async () => {
      const r = await pkcs11Tool(m, [...login(), '--keypairgen', '--key-type', 'rsa:1024', '--id', '01', '--label', 't'],
        m.keyGenMs + 60_000);
      assertStatus(r, 0);
      assert.match(r.output, /^Key pair generated:$/m);
      assert.match(r.output, /^Private Key Object; RSA\s*$/m);
      assert.match(r.output, /^Public Key Object; RSA 1024 bits$/m);
      assert.equal(r.output.match(/^\s+label:\s+t$/gm)?.length, 2, 'both keys labelled t');
      assert.equal(r.output.match(/^\s+ID:\s+01$/gm)?.length, 2, 'both keys with ID 01');
      assert.match(r.output, /^\s+Usage:\s+.*\bsign\b/m);
      assert.match(r.output, /^\s+Access:\s+.*sensitive, always sensitive, never extractable, local$/m);
    });

    it('--list-objects after login shows the private and public key with ID 01', async () => {
      const r = await pkcs11Tool(m, [...login(), '--list-objects']);
      assertStatus(r, 0);
      assert.match(r.output, /Private Key Object; RSA[\s\S]*?ID:\s+01/);
      assert.match(r.output, /Public Key Object; RSA 1024 bits[\s\S]*?ID:\s+01/);
    });

    it('--sign --mechanism SHA256-RSA-PKCS signs a file, and Node verifies it with the key from --read-object', async () => {
      const data = join(dir, 'data');
      const sig = join(dir, 'data.sig');
      const pub = join(dir, 'pub.der');
      const message = Buffer.concat([Buffer.from('www.example. 300 IN AAAA 2001:db8::1 '), randomBytes(32)]);
      await writeFile(data, message);
      let r = await pkcs11Tool(m, [...login(), '--sign', '--mechanism', 'SHA256-RSA-PKCS', '--id', '01',
        '--input-file', data, '--output-file', sig]);
      assertStatus(r, 0);
      r = await pkcs11Tool(m, ['--token-label', m.tokenLabel, '--read-object', '--type', 'pubkey', '--id', '01',
        '--output-file', pub]);
      assertStatus(r, 0);
      const key = createPublicKey({ key: await readFile(pub), format: 'der', type: 'spki' });
      assert.equal(key.asymmetricKeyDetails?.modulusLength, 1024);
      const signature = await readFile(sig);
      assert.equal(signature.length, 128);
      assert.ok(verify('sha256', message, key, signature), 'Node verifies the signature');
      r = await pkcs11Tool(m, [...login(), '--verify', '--mechanism', 'SHA256-RSA-PKCS', '--id', '01',
        '--input-file', data, '--signature-file', sig]);
      assertStatus(r, 0);
      assert.match(r.output, /^Signature is valid$/m);
    });

    it(`--test --login with the key pair on the token exits with ${m.expect.toolTestWithKeyPair.status}`, async () => {
      const r = await pkcs11Tool(m, ['--test', ...login()]);
      assertStatus(r, m.expect.toolTestWithKeyPair.status);
      assert.match(r.output, /Verify \(currently only for RSA\)\s+testing key 0 \(t\)/);
      assert.match(r.output, /SHA1-RSA-PKCS: OK/);
      assert.match(r.output, m.expect.toolTestWithKeyPair.output);
    });
  });
}
