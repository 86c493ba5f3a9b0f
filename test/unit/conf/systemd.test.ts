/**
 * conf/systemd: the units' command lines against the CLI that will run them, the hardening they
 * promise, the paths they share with the example configurations and the README, and, where
 * systemd-analyze is installed, what systemd itself says about them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COMMANDS } from '../../../src/cli/commands.js';
import { parseNodeConfig } from '../../../src/node/config.js';
import { DEFAULT_SOCKET, parseTokenConfig } from '../../../src/pkcs11/service/config.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SYSTEMD = join(ROOT, 'conf', 'systemd');
/** The built CLI of this checkout: what /opt/kofn/dist/src/cli/index.js is on an installed host. */
const CLI = fileURLToPath(new URL('../../../src/cli/index.js', import.meta.url));
const INSTALL_DIR = '/opt/kofn';
const NODE_UNIT = 'kofn-node@.service';
const TOKEN_UNIT = 'kofn-token.service';

type Section = Map<string, string[]>;
type Unit = Map<string, Section>;

/** A systemd unit file (or drop-in): section → key → every assignment, in order. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Section | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').trim();
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] ?? '').trim()}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      section = new Map();
      unit.set(header[1], section);
      continue;
    }
    const kv = /^([A-Za-z0-9]+)=(.*)$/.exec(line);
    if (kv?.[1] === undefined || kv[2] === undefined || section === undefined) throw new Error(`not a unit line: ${line}`);
    section.set(kv[1], [...(section.get(kv[1]) ?? []), kv[2]]);
  }
  return unit;
}

function loadUnit(name: string): Unit {
  return parseUnit(readFileSync(join(SYSTEMD, name), 'utf8'));
}

function all(unit: Unit, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}

/** The value in effect: the last assignment. */
function one(unit: Unit, section: string, key: string): string | undefined {
  return all(unit, section, key).at(-1);
}

/** Words as systemd splits a command line or a list: whitespace, with '…' and "…" quoting. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** ExecStart= of a unit as the argv systemd would run: %i and ${VAR} (from Environment=) replaced. */
function execStart(unit: Unit, instance: string, key = 'ExecStart'): string[] {
  const env = new Map<string, string>();
  for (const assignment of all(unit, 'Service', 'Environment').flatMap(words)) {
    const eq = assignment.indexOf('=');
    env.set(assignment.slice(0, eq), assignment.slice(eq + 1));
  }
  const line = one(unit, 'Service', key);
  assert.ok(line !== undefined, `${key}= is missing`);
  return words(line).map((w) => w.replace(/%%|%i|\$\{(\w+)\}/g, (m: string, name?: string) => {
    if (m === '%%') return '%';
    if (m === '%i') return instance;
    const v = env.get(name ?? '');
    assert.ok(v !== undefined, `${m} is used in ${key}= but no Environment= sets it`);
    return v;
  }));
}

interface Invocation {
  nodeOptions: string[];
  script: string;
  command: (typeof COMMANDS)[number];
  args: string[];
  values: ReturnType<typeof parseArgs>['values'];
}

/** Splits `node [options] script command words flags` and checks the flags against the command. */
function invocation(argv: string[]): Invocation {
  const [node, ...rest] = argv;
  assert.equal(node, '/usr/bin/node');
  const scriptAt = rest.findIndex((w) => !w.startsWith('-'));
  assert.ok(scriptAt >= 0, 'no script');
  const script = rest[scriptAt] ?? '';
  const tail = rest.slice(scriptAt + 1);
  const command = [...COMMANDS]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((w, i) => tail[i] === w));
  assert.ok(command !== undefined, `no kofn command in '${tail.join(' ')}'`);
  const args = tail.slice(command.name.split(' ').length);
  const { values } = parseArgs({ args, options: command.options, strict: true, allowPositionals: false });
  return { nodeOptions: rest.slice(0, scriptAt), script, command, args, values };
}

/** systemd's resource limit sizes: K, M, G are powers of 1024. */
function bytes(limit: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(limit);
  assert.ok(m?.[1] !== undefined, `not a size: ${limit}`);
  return Number(m[1]) * 1024 ** ' KMG'.indexOf(m[2] || ' ');
}

function kofnCli(nodeOptions: string[], args: string[]) {
  return spawnSync(process.execPath, [...nodeOptions, CLI, ...args], { encoding: 'utf8' });
}

const HARDENING: Record<string, string> = {
  NoNewPrivileges: 'yes',
  CapabilityBoundingSet: '',
  RestrictSUIDSGID: 'yes',
  ProtectSystem: 'strict',
  ProtectHome: 'yes',
  PrivateTmp: 'yes',
  PrivateDevices: 'yes',
  ProtectKernelTunables: 'yes',
  ProtectKernelModules: 'yes',
  ProtectKernelLogs: 'yes',
  ProtectControlGroups: 'yes',
  ProtectClock: 'yes',
  ProtectHostname: 'yes',
  RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
  RestrictNamespaces: 'yes',
  LockPersonality: 'yes',
  RestrictRealtime: 'yes',
  SystemCallArchitectures: 'native',
  MemoryDenyWriteExecute: 'no',
  LimitCORE: '0',
  Restart: 'on-failure',
};

describe('conf/systemd', () => {
  const node = loadUnit(NODE_UNIT);
  const token = loadUnit(TOKEN_UNIT);
  const units: [string, Unit][] = [[NODE_UNIT, node], [TOKEN_UNIT, token]];
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { kofn: string } };

  it('starts the installed kofn CLI with real commands and flags', () => {
    const n = invocation(execStart(node, 'node1'));
    assert.equal(n.command.name, 'node start');
    assert.equal(n.values.config, '/etc/kofn/node-node1.yaml');
    assert.equal(one(node, 'Unit', 'AssertPathExists'), '/etc/kofn/node-%i.yaml');
    const t = invocation(execStart(token, ''));
    assert.equal(t.command.name, 'token serve');
    assert.deepEqual({ ...t.values }, { config: '/etc/kofn/token.yaml' });
    assert.equal(one(token, 'Unit', 'AssertPathExists'), '/etc/kofn/token.yaml');
    for (const i of [n, t]) assert.equal(i.script, `${INSTALL_DIR}/${pkg.bin.kofn}`);
  });

  it('runs those command lines: kofn accepts them and goes on to read the configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kofn-systemd-'));
    try {
      for (const [name, unit] of units) {
        const i = invocation(execStart(unit, 'node1'));
        const missing = join(dir, 'absent.yaml');
        const args = [...i.command.name.split(' '), ...i.args.map((a) => (a === i.values.config ? missing : a))];
        const r = kofnCli(i.nodeOptions, args);
        assert.equal(r.status, 2, `${name}: ${r.stderr}`);
        assert.ok(r.stderr.startsWith(`kofn ${i.command.name}: config ${missing}`), `${name}: ${r.stderr}`);
        assert.match(r.stderr, /cannot be read/, name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives Node a secure heap that it accepts and that LimitMEMLOCK= covers', () => {
    for (const [name, unit] of units) {
      const { nodeOptions } = invocation(execStart(unit, 'node1'));
      const heap = nodeOptions.map((o) => /^--secure-heap=(\d+)$/.exec(o)?.[1]).find((v) => v !== undefined);
      assert.ok(heap !== undefined, `${name}: no --secure-heap`);
      const size = Number(heap);
      assert.equal(size & (size - 1), 0, `${name}: the secure heap must be a power of two`);
      const limit = one(unit, 'Service', 'LimitMEMLOCK');
      assert.ok(limit !== undefined && bytes(limit) > size, `${name}: LimitMEMLOCK=${limit} does not cover ${size}`);
      const r = spawnSync(process.execPath, [...nodeOptions, '-p', 'require("node:crypto").secureHeapUsed().total'],
        { encoding: 'utf8' });
      assert.equal(r.stdout.trim(), heap, `${name}: ${r.stderr}`);
    }
  });

  it('sets every hardening directive, in both units', () => {
    for (const [name, unit] of units) {
      for (const [key, value] of Object.entries(HARDENING)) {
        assert.deepEqual(all(unit, 'Service', key), [value], `${name}: ${key}=`);
      }
      const filters = all(unit, 'Service', 'SystemCallFilter');
      assert.equal(filters[0], '@system-service @pkey', `${name}: the allow list`);
      assert.ok(filters.slice(1).every((f) => f.startsWith('~')), `${name}: later filters may only deny`);
      assert.ok(filters.slice(1).some((f) => words(f.slice(1)).includes('@privileged')), `${name}: ~@privileged`);
      assert.equal(one(unit, 'Service', 'SystemCallErrorNumber'), 'EPERM', name);
      assert.ok(all(unit, 'Unit', 'After').flatMap(words).includes('network-online.target'), `${name}: After=`);
      assert.ok(all(unit, 'Unit', 'Wants').flatMap(words).includes('network-online.target'), `${name}: Wants=`);
      assert.equal(one(unit, 'Service', 'DynamicUser'), undefined, name);
      assert.notEqual(one(unit, 'Service', 'User') ?? 'root', 'root', name);
      assert.equal(one(unit, 'Service', 'StateDirectoryMode'), '0700', name);
      assert.equal(one(unit, 'Service', 'MemorySwapMax'), '0', name);
      for (const key of ['ReadWritePaths', 'ReadWriteDirectories', 'AmbientCapabilities']) {
        assert.ok(all(unit, 'Service', key).every((v) => v === ''), `${name}: ${key}= must grant nothing`);
      }
      assert.deepEqual(one(unit, 'Install', 'WantedBy'), 'multi-user.target', name);
    }
    assert.equal(one(node, 'Service', 'User'), 'kofn-node');
    assert.equal(one(node, 'Service', 'UMask'), '0077');
    assert.equal(one(node, 'Service', 'StateDirectory'), 'kofn/node-%i');
    assert.equal(one(token, 'Service', 'User'), 'kofn');
    assert.equal(one(token, 'Service', 'Group'), 'kofn');
    assert.equal(one(token, 'Service', 'UMask'), '0007');
  });

  it('puts the socket where the PKCS#11 module looks, group-accessible, in a directory systemd manages', () => {
    assert.equal(`/run/${one(token, 'Service', 'RuntimeDirectory')}`, dirname(DEFAULT_SOCKET));
    assert.equal(one(token, 'Service', 'RuntimeDirectoryMode'), '0750');
    assert.deepEqual(execStart(token, '', 'ExecStartPost').slice(0, 2), ['/bin/sh', '-c']);
    assert.ok(execStart(token, '', 'ExecStartPost')[2]?.includes(`[ -S ${DEFAULT_SOCKET} ]`), 'waits for the socket');
    const example = join(ROOT, 'conf', 'token.example.yaml');
    const cfg = parseTokenConfig(readFileSync(example, 'utf8'), '/etc/kofn/token.yaml');
    assert.equal(cfg.socket, DEFAULT_SOCKET);
    assert.equal(cfg.state, `/var/lib/${one(token, 'Service', 'StateDirectory')}`);
    assert.equal(cfg.socketMode & 0o067, 0o060, 'the socket: read and write for the group, nothing for others');
  });

  it('does not make the token service depend on nodes, which usually run elsewhere', () => {
    for (const key of ['Requires', 'Requisite', 'BindsTo', 'Wants', 'After', 'PartOf']) {
      assert.ok(!all(token, 'Unit', key).join(' ').includes('kofn-node'), key);
    }
  });

  it('agrees with the README\'s node configuration', () => {
    const readme = readFileSync(join(SYSTEMD, 'README.md'), 'utf8');
    const yaml = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.includes('kek:'));
    assert.ok(yaml !== undefined, 'no node configuration in the README');
    const id = 'node1';
    const [config] = invocation(execStart(node, id)).args.filter((a) => a.startsWith('/'));
    assert.ok(config !== undefined);
    const cfg = parseNodeConfig(yaml, config);
    const state = `/var/lib/${(one(node, 'Service', 'StateDirectory') ?? '').replace('%i', id)}/`;
    assert.equal(cfg.id, id);
    for (const p of [cfg.data, cfg.tls.key, cfg.tls.cert, cfg.tls.ca]) assert.ok(p.startsWith(state), p);
    assert.ok('keyFile' in cfg.kek && cfg.kek.keyFile.startsWith('/etc/kofn/'), 'the KEK lives apart from the store');
    // The seccomp filter forbids the node to set its own policy, so the unit must set the one it asks for.
    assert.ok(all(node, 'Service', 'SystemCallFilter').some((f) => f.includes('@resources')));
    assert.equal(one(node, 'Service', 'CPUSchedulingPolicy'), cfg.cpuScheduling);
  });

  it('creates the users the units run as, and lets OpenDNSSEC join the socket\'s group', () => {
    const lines = readFileSync(join(SYSTEMD, 'kofn.conf'), 'utf8').split('\n').filter((l) => /^[a-z]\s/.test(l));
    const users = lines.map(words).filter((w) => w[0] === 'u').map((w) => w[1]);
    assert.deepEqual(users.sort(), [one(token, 'Service', 'User'), one(node, 'Service', 'User')].sort());
    const dropIn = loadUnit('opendnssec-kofn.conf');
    assert.deepEqual(all(dropIn, 'Service', 'SupplementaryGroups'), [one(token, 'Service', 'Group')]);
    for (const key of ['Wants', 'After']) assert.ok(all(dropIn, 'Unit', key).flatMap(words).includes(TOKEN_UNIT), key);
    assert.equal(all(dropIn, 'Unit', 'Requires').length, 0, 'a token service restart must not stop OpenDNSSEC');
    const tmpfiles = readFileSync(join(SYSTEMD, 'kofn-tmpfiles.conf'), 'utf8').split('\n').filter((l) => /^[a-zA-Z]\s/.test(l))
      .map(words);
    assert.deepEqual(tmpfiles.find((w) => w[1] === `/var/lib/${one(token, 'Service', 'StateDirectory')}`),
      ['d', '/var/lib/kofn/token', '0700', 'kofn', 'kofn', '-']);
    assert.ok(!tmpfiles.some((w) => w[1]?.startsWith('/run/kofn')), 'RuntimeDirectory= owns /run/kofn');
  });
});

describe('conf/systemd checked by systemd-analyze', function () {
  let dir = '';
  const skip = (ctx: Mocha.Context, why: string) => {
    process.stdout.write(`      skipped: ${why}\n`);
    ctx.skip();
  };
  const analyze = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', env: { ...process.env, ...env } });
    return { status: r.status, lines: `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '') };
  };
  /** The units as installed, except that node is this process's Node (it may not be /usr/bin/node here). */
  const stage = (name: string, extra = '') => {
    const text = readFileSync(join(SYSTEMD, name), 'utf8').replaceAll('/usr/bin/node', process.execPath);
    writeFileSync(join(dir, name), text.replace('[Service]\n', `[Service]\n${extra}`));
    return join(dir, name);
  };

  before(function () {
    if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0) {
      skip(this, 'systemd-analyze is not installed: systemd has not checked the units in conf/systemd');
    }
    dir = mkdtempSync(join(tmpdir(), 'kofn-systemd-analyze-'));
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('verify reports nothing about either unit', () => {
    const files = [stage(TOKEN_UNIT), stage(NODE_UNIT).replace(NODE_UNIT, 'kofn-node@node1.service')];
    const r = analyze(['verify', ...files]);
    const ours = r.lines.filter((l) => l.includes(dir) || l.includes('kofn'));
    assert.deepEqual(ours, [], ours.join('\n'));
    assert.equal(r.status, 0, r.lines.join('\n'));
  });

  it('verify does report a mistake in a unit (so the check above is not vacuous)', () => {
    const r = analyze(['verify', stage(TOKEN_UNIT, 'ProtectEverything=yes\n')]);
    assert.ok(r.lines.some((l) => l.includes('ProtectEverything')), r.lines.join('\n'));
    stage(TOKEN_UNIT);
  });

  it('verify accepts the OpenDNSSEC drop-in on the OpenDNSSEC units', () => {
    stage(TOKEN_UNIT);
    for (const name of ['opendnssec-enforcer.service', 'opendnssec-signer.service']) {
      // Debian's unit when OpenDNSSEC is installed here, else a stand-in with the same name.
      const installed = ['/lib/systemd/system', '/usr/lib/systemd/system'].map((d) => join(d, name)).find(existsSync);
      if (installed !== undefined) copyFileSync(installed, join(dir, name));
      else writeFileSync(join(dir, name), '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n');
      mkdirSync(join(dir, `${name}.d`), { recursive: true });
      copyFileSync(join(SYSTEMD, 'opendnssec-kofn.conf'), join(dir, `${name}.d`, 'kofn.conf'));
      const env = { SYSTEMD_UNIT_PATH: `${dir}:` };
      const r = analyze(['verify', name], env);
      const ours = r.lines.filter((l) => l.includes('kofn'));
      assert.deepEqual(ours, [], ours.join('\n'));
      assert.equal(r.status, 0, r.lines.join('\n'));
      // The drop-in directory is read: a mistake in another drop-in there is reported.
      writeFileSync(join(dir, `${name}.d`, 'zz-control.conf'), '[Service]\nNotADirective=1\n');
      const control = analyze(['verify', name], env);
      rmSync(join(dir, `${name}.d`, 'zz-control.conf'));
      assert.ok(control.lines.some((l) => l.includes('NotADirective')), control.lines.join('\n'));
    }
  });

  it('security rates both units at most 2.0 ("OK")', function () {
    if (!analyze(['security', '--help']).lines.some((l) => l.includes('--offline'))) {
      skip(this, 'this systemd-analyze has no security --offline (systemd < 250)');
    }
    const files = [stage(TOKEN_UNIT), stage(NODE_UNIT).replace(NODE_UNIT, 'kofn-node@node1.service')];
    // --threshold counts tenths: 20 is an overall exposure of 2.0.
    const r = analyze(['security', '--offline=true', '--threshold=20', ...files]);
    assert.equal(r.status, 0, r.lines.filter((l) => l.includes('Overall') || l.includes('✗')).join('\n'));
  });
});
