/** `kofn up` (npm start): a local HSM that programs reach through the module, stopped cleanly by Ctrl-C. */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from '../../src/cluster/processes.js';
import { MODULE } from '../helpers/token-service.js';

async function up(home: string): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [CLI_PATH, 'up'], {
    env: { ...process.env, KOFN_HOME: home, KOFN_SOCKET: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (out.includes('Ctrl-C stops')) {
        clearInterval(t);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(t);
      reject(new Error(`kofn up exited with ${code}:\n${out}`));
    });
  });
  return { child, out: () => out };
}

function pkcs11Tool(home: string, ...args: string[]): string {
  return execFileSync('pkcs11-tool', ['--module', MODULE, ...args], {
    env: { ...process.env, KOFN_SOCKET: join(home, 'pkcs11.sock') }, encoding: 'utf8', stdio: 'pipe',
  });
}

describe('kofn up, the embedded default', function () {
  this.timeout(120_000);
  const home = mkdtempSync(join(tmpdir(), 'kofn-home-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('prints the module, socket, token URI, OpenDNSSEC and engine blocks, and serves the token', async () => {
    const { child, out } = await up(home);
    try {
      for (const want of [MODULE, join(home, 'pkcs11.sock'), 'pkcs11:model=kofn%203-of-5', '<Repository name="kofn">',
        `MODULE_PATH = ${MODULE}`]) {
        assert.ok(out().includes(want), want);
      }
      assert.match(pkcs11Tool(home, '--list-token-slots'), /token label\s+: kofn/);
      pkcs11Tool(home, '--login', '--pin', '1234', '--keypairgen', '--key-type', 'rsa:1024', '--id', '01', '--label', 'zsk');
      assert.match(pkcs11Tool(home, '--login', '--pin', '1234', '--list-objects'), /Private Key Object; RSA/);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    }
    assert.match(out(), /token service and nodes stopped/);
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(home));
    assert.deepEqual(left, []);
  });

  it('reuses the same token on the next start', async () => {
    const serial = /serial=([0-9a-f]{16})/.exec(readOut(home))?.[1];
    const { child, out } = await up(home);
    try {
      assert.ok(serial !== undefined && out().includes(`serial=${serial}`));
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    }
  });
});

function readOut(home: string): string {
  return execFileSync(process.execPath, [CLI_PATH, 'token', 'list', '--dir', home], { encoding: 'utf8' });
}
