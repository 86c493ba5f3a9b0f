/**
 * A private OpenDNSSEC 2.1 for tests and benchmarks: conf/opendnssec/*.xml with every path moved under
 * one directory, the enforcer's SQLite store created from Debian's schema, and ods-enforcerd and
 * ods-signerd run in the foreground (-d) so their log lines arrive on stderr rather than in syslog.
 *
 * One limit of OpenDNSSEC shapes this: conf.rng has no <SocketFile> for the signer, and the enforcer
 * notifies it with `/usr/sbin/ods-signer update`, which knows only the default socket. So the signer
 * always listens on /run/opendnssec/engine.sock, and only one such OpenDNSSEC runs on a machine.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';

const run = promisify(execFile);
const CONF = fileURLToPath(new URL('../../../../conf/opendnssec/', import.meta.url));
const SCHEMA = '/usr/share/opendnssec/schema.sqlite';
export const SIGNER_SOCKET = '/run/opendnssec/engine.sock';

export interface ToolResult { stdout: string; stderr: string; code: number }

export interface OdsOptions {
  dir: string;
  /** The PKCS#11 module of repository "kofn". */
  module: string;
  /** Environment of every ODS process (KOFN_SOCKET for kofn). */
  env: NodeJS.ProcessEnv;
  /** Replaces the repository: e.g. SoftHSM2 for side-by-side figures. */
  repository?: { module: string; token: string; pin: string };
  signerThreads?: number;
}

export class Ods {
  readonly dir: string;
  readonly conf: string;
  readonly enforcerSocket: string;
  readonly env: NodeJS.ProcessEnv;
  #enforcer: Daemon | undefined;
  #signer: Daemon | undefined;

  constructor(readonly opts: OdsOptions) {
    this.dir = opts.dir;
    this.conf = join(this.dir, 'conf.xml');
    this.enforcerSocket = join(this.dir, 'enforcer.sock');
    this.env = { ...opts.env };
  }

  /** Writes conf.xml, kasp.xml, zonelist.xml and an empty enforcer store (what ods-enforcer-db-setup does). */
  setup(): void {
    for (const d of ['enforcer', 'signer', 'signconf', 'unsigned', 'signed']) mkdirSync(join(this.dir, d), { recursive: true });
    mkdirSync('/run/opendnssec', { recursive: true });
    const r = this.opts.repository;
    let conf = readFileSync(join(CONF, 'conf.xml'), 'utf8')
      .replaceAll('/etc/opendnssec/', `${this.dir}/`)
      .replaceAll('/var/lib/opendnssec/', `${this.dir}/`)
      .replaceAll('/run/opendnssec/enforcer', `${this.dir}/enforcer`)
      .replace(/<Syslog>.*?<\/Syslog>/s, '')
      .replace(/<Module>.*?<\/Module>/, `<Module>${r?.module ?? this.opts.module}</Module>`);
    if (r) conf = conf.replace(/<TokenLabel>.*?<\/TokenLabel>/, `<TokenLabel>${r.token}</TokenLabel>`).replace(/<PIN>.*?<\/PIN>/, `<PIN>${r.pin}</PIN>`);
    if (this.opts.signerThreads) conf = conf.replace(/<SignerThreads>\d+</, `<SignerThreads>${this.opts.signerThreads}<`);
    writeFileSync(this.conf, conf);
    writeFileSync(join(this.dir, 'kasp.xml'), readFileSync(join(CONF, 'kasp.xml')));
    writeFileSync(join(this.dir, 'zonelist.xml'), readFileSync(join(CONF, 'zonelist.xml')));
    // ods-enforcer-db-setup reads only /etc/opendnssec/conf.xml; its work is Debian's schema plus one row.
    const db = new Database(join(this.dir, 'kasp.db'));
    db.exec(readFileSync(SCHEMA, 'utf8'));
    db.exec('INSERT INTO databaseVersion ( version ) VALUES ( 1 )');
    db.close();
  }

  async hsmutil(...args: string[]): Promise<ToolResult> {
    // `ods-hsmutil test` makes an RSA-4096 key, whose safe primes may take minutes without a pool.
    return this.#tool('ods-hsmutil', ['-c', this.conf, ...args], 600_000);
  }

  async hsmspeed(...args: string[]): Promise<ToolResult> {
    return this.#tool('ods-hsmspeed', ['-c', this.conf, ...args], 600_000);
  }

  async startEnforcer(): Promise<void> {
    this.#enforcer = await Daemon.start('ods-enforcerd', ['-d', '-c', this.conf], this.env, this.enforcerSocket);
    const r = await this.enforcer('policy', 'import');
    if (!/Created policy|Updated policy|updated successfully/.test(r)) throw new Error(`policy import: ${r}`);
  }

  async startSigner(): Promise<void> {
    if (existsSync(SIGNER_SOCKET) && (await this.#tool('ods-signer', ['running'])).code === 0) {
      throw new Error(`another ods-signerd answers on ${SIGNER_SOCKET}; stop it first`);
    }
    this.#signer = await Daemon.start('ods-signerd', ['-d', '-c', this.conf], this.env, SIGNER_SOCKET);
  }

  get signerLog(): string {
    return this.#signer?.output ?? '';
  }

  get enforcerLog(): string {
    return this.#enforcer?.output ?? '';
  }

  get pids(): number[] {
    return [this.#enforcer?.pid, this.#signer?.pid].filter((p): p is number => p !== undefined);
  }

  async enforcer(...args: string[]): Promise<string> {
    const r = await this.#tool('ods-enforcer', ['-s', this.enforcerSocket, ...args]);
    if (r.code !== 0) throw new Error(`ods-enforcer ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  }

  async signer(...args: string[]): Promise<string> {
    const r = await this.#tool('ods-signer', args);
    if (r.code !== 0) throw new Error(`ods-signer ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  }

  unsignedPath(zone: string): string {
    return join(this.dir, 'unsigned', zone);
  }

  signedPath(zone: string): string {
    return join(this.dir, 'signed', zone);
  }

  /** Adds a zone; the enforcer makes its keys (in the repository) and tells the signer. */
  async addZone(zone: string, policy: string, text: string): Promise<void> {
    writeFileSync(this.unsignedPath(zone), text);
    await this.enforcer('zone', 'add', '--zone', zone, '--policy', policy, '--input', this.unsignedPath(zone),
      '--output', this.signedPath(zone), '--signerconf', join(this.dir, 'signconf', `${zone}.xml`));
  }

  /** The signer's [STATS] lines for a zone, one per completed signing (RRSIG count, time, rate). */
  stats(zone: string): string[] {
    return this.signerLog.split('\n').filter((l) => l.includes(`[STATS] ${zone} `));
  }

  /** Number of completed signings of a zone so far. */
  signings(zone: string): number {
    return this.stats(zone).length;
  }

  /** Number of failed signings of a zone so far. */
  failures(zone: string): number {
    return this.signerLog.split('\n').filter((l) => l.includes(`failed to sign zone ${zone}:`)).length;
  }

  /** Waits until the signer logs one more signing (or failure) of the zone than `before`. */
  async waitFor(what: 'signings' | 'failures', zone: string, before: number, timeoutMs = 300_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this[what](zone) <= before) {
      if (!this.#signer?.running) throw new Error(`ods-signerd exited:\n${this.signerLog.slice(-4000)}`);
      if (Date.now() > end) throw new Error(`no new ${what} of ${zone} within ${timeoutMs} ms:\n${this.signerLog.slice(-4000)}`);
      await sleep(200);
    }
  }

  /**
   * Waits until no worker is signing the zone. A zone being worked on leaves the signer's queue and
   * returns to it when done; a `clear` in the middle of a signing (an enforcer-triggered one, say)
   * can let that signing write a zone missing signatures, which is ODS's race, not the HSM's.
   */
  async idle(zone: string, timeoutMs = 300_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await this.signer('queue')).includes(`[sign] zone ${zone}`)) {
      if (Date.now() > end) throw new Error(`the signer was still working on ${zone} after ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /**
   * A full re-sign: the signer forgets its signatures and signs the zone now. `clear` alone does
   * both: it schedules an immediate signconf read, which chains read, sign and write. A `sign`
   * straight after it starts a second chain (a forced read) that ODS 2.1.12 lets run beside the
   * first (its own comment in do_readzone says so); the read then swaps in a fresh, unsigned SOA
   * while the other chain signs, and the zone is written with an SOA that has no RRSIG.
   */
  async resign(zone: string): Promise<void> {
    await this.idle(zone);
    await this.signer('clear', zone);
  }

  /** Stops the daemons through their own command sockets, then by signal if they linger. */
  async stop(): Promise<void> {
    if (this.#signer?.running) await this.#tool('ods-signer', ['stop']);
    if (this.#enforcer?.running) await this.#tool('ods-enforcer', ['-s', this.enforcerSocket, 'stop']);
    await Promise.all([this.#signer?.stop(), this.#enforcer?.stop()]);
  }

  async #tool(cmd: string, args: string[], timeout = 120_000): Promise<ToolResult> {
    try {
      const r = await run(cmd, args, { env: this.env, cwd: this.dir, timeout, maxBuffer: 64 << 20 });
      return { ...r, code: 0 };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number | string };
      if (typeof e.code !== 'number') throw err;
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code };
    }
  }
}

/** A daemon in the foreground whose combined output is kept. */
class Daemon {
  output = '';
  private constructor(readonly name: string, readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async start(cmd: string, args: string[], env: NodeJS.ProcessEnv, socket: string): Promise<Daemon> {
    const d = new Daemon(cmd, spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    const end = Date.now() + 30_000;
    while (!existsSync(socket)) {
      if (!d.running) throw new Error(`${cmd} exited at start:\n${d.output}`);
      if (Date.now() > end) throw new Error(`${cmd} made no socket ${socket} in 30 s:\n${d.output}`);
      await sleep(100);
    }
    return d;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child, 'exit');
    const timer = setTimeout(() => this.child.kill('SIGTERM'), graceMs);
    const hard = setTimeout(() => this.child.kill('SIGKILL'), graceMs * 2);
    await exited;
    clearTimeout(timer);
    clearTimeout(hard);
  }
}

/**
 * A zone of `names` hosts under `origin`: A records for all, AAAA for every third, TXT for every tenth,
 * and a delegation with glue every fiftieth name (so NSEC3 opt-out and glue handling are exercised).
 */
export function generateZone(origin: string, names: number): string {
  const lines = [`$ORIGIN ${origin}.`, '$TTL 3600', '@ IN SOA ns1 hostmaster 1 3600 900 604800 3600', '@ IN NS ns1',
    'ns1 IN A 192.0.2.1'];
  for (let i = 0; i < names; i++) {
    const h = `h${i}`;
    lines.push(`${h} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (i % 3 === 0) lines.push(`${h} IN AAAA 2001:db8::${i.toString(16)}`);
    if (i % 10 === 0) lines.push(`${h} IN TXT "host ${i}"`);
    if (i % 50 === 0) lines.push(`sub${i} IN NS ns.sub${i}`, `ns.sub${i} IN A 198.51.100.${i % 250}`);
  }
  return `${lines.join('\n')}\n`;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
