/**
 * The parent side of the PKCS#11 conformance tests. Nothing here loads a PKCS#11 module into
 * mocha's process: every call goes to a child process (test/helpers/p11-child.ts for pkcs11js
 * and graphene-pk11, test/helpers/p11-raw.c for the checks that need raw C buffers), so a module
 * that crashes fails a test instead of taking mocha down.
 *
 * One P11 instance is one child process, that is one PKCS#11 application with its own
 * C_Initialize, sessions and login state.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type {
  Attribute, AttributeResult, KeyPair, Mechanism, MechanismInfo, ModuleInfo, SessionInfo, SlotInfo, TokenInfo,
} from 'pkcs11js';
import * as ck from '../../src/pkcs11/ck.js';
import { decode, encode, type GrapheneArgs, type GrapheneResult, type RpcReply } from './p11-json.js';
import type { ModuleUnderTest } from './pkcs11-module.js';

const execFileP = promisify(execFile);

type Numbers<T> = { readonly [K in keyof T]: number };
/** Every CK*_ constant of the shim's pkcs11.h (src/pkcs11/ck.ts), as the numbers pkcs11js takes. */
export const CK = Object.fromEntries(Object.entries(ck).map(([k, v]) => [k, Number(v)])) as Numbers<typeof ck>;

const CKR_NAMES = new Map<number, string>();
for (const [k, v] of Object.entries(ck)) {
  if (k.startsWith('CKR_') && !CKR_NAMES.has(Number(v))) CKR_NAMES.set(Number(v), k);
}

/** The name of a CK_RV, e.g. 0xa0 → CKR_PIN_INCORRECT. */
export function ckrName(rv: number): string {
  return CKR_NAMES.get(rv) ?? `CKR_0x${rv.toString(16)}`;
}

/** A failed PKCS#11 call: `ckr` is the return value's name. */
export class P11Error extends Error {
  constructor(readonly fn: string, readonly ckr: string, readonly code: number) {
    super(`${fn} returned ${ckr}`);
    this.name = 'P11Error';
  }
}

/** 'CKR_OK' when the call succeeds, else the name of what it returned. Other failures are thrown. */
export async function rvOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'CKR_OK';
  } catch (e) {
    if (e instanceof P11Error) return e.ckr;
    throw e;
  }
}

/** The calls the tests make, as pkcs11js declares them, answered asynchronously by the child. */
export interface P11Api {
  C_Initialize(): Promise<void>;
  C_Finalize(): Promise<void>;
  C_GetInfo(): Promise<ModuleInfo>;
  C_GetSlotList(tokenPresent?: boolean): Promise<Buffer[]>;
  C_GetSlotInfo(slot: Buffer): Promise<SlotInfo>;
  C_GetTokenInfo(slot: Buffer): Promise<TokenInfo>;
  C_GetMechanismList(slot: Buffer): Promise<number[]>;
  C_GetMechanismInfo(slot: Buffer, mech: number): Promise<MechanismInfo>;
  C_InitPIN(session: Buffer, pin?: string): Promise<void>;
  C_SetPIN(session: Buffer, oldPin: string, newPin: string): Promise<void>;
  C_OpenSession(slot: Buffer, flags: number): Promise<Buffer>;
  C_CloseSession(session: Buffer): Promise<void>;
  C_CloseAllSessions(slot: Buffer): Promise<void>;
  C_GetSessionInfo(session: Buffer): Promise<SessionInfo>;
  C_Login(session: Buffer, userType: number, pin?: string): Promise<void>;
  C_Logout(session: Buffer): Promise<void>;
  C_CreateObject(session: Buffer, template: Attribute[]): Promise<Buffer>;
  C_CopyObject(session: Buffer, object: Buffer, template: Attribute[]): Promise<Buffer>;
  C_DestroyObject(session: Buffer, object: Buffer): Promise<void>;
  C_GetObjectSize(session: Buffer, object: Buffer): Promise<number>;
  C_FindObjectsInit(session: Buffer, template: Attribute[]): Promise<void>;
  C_FindObjects(session: Buffer, maxObjectCount: number): Promise<Buffer[]>;
  C_FindObjectsFinal(session: Buffer): Promise<void>;
  C_GetAttributeValue(session: Buffer, object: Buffer, template: Attribute[]): Promise<AttributeResult[]>;
  C_SetAttributeValue(session: Buffer, object: Buffer, template: Attribute[]): Promise<void>;
  C_DigestInit(session: Buffer, mechanism: Mechanism): Promise<void>;
  C_Digest(session: Buffer, data: Buffer, out: Buffer): Promise<Buffer>;
  C_DigestUpdate(session: Buffer, data: Buffer): Promise<void>;
  C_DigestFinal(session: Buffer, out: Buffer): Promise<Buffer>;
  C_SignInit(session: Buffer, mechanism: Mechanism, key: Buffer): Promise<void>;
  C_Sign(session: Buffer, data: Buffer, out: Buffer): Promise<Buffer>;
  C_SignUpdate(session: Buffer, data: Buffer): Promise<void>;
  C_SignFinal(session: Buffer, out: Buffer): Promise<Buffer>;
  C_VerifyInit(session: Buffer, mechanism: Mechanism, key: Buffer): Promise<void>;
  C_Verify(session: Buffer, data: Buffer, signature: Buffer): Promise<boolean>;
  C_VerifyUpdate(session: Buffer, data: Buffer): Promise<void>;
  C_VerifyFinal(session: Buffer, signature: Buffer): Promise<boolean>;
  C_GenerateKeyPair(session: Buffer, mechanism: Mechanism, publicTmpl: Attribute[], privateTmpl: Attribute[]):
  Promise<KeyPair>;
  C_SeedRandom(session: Buffer, seed: Buffer): Promise<void>;
  C_GenerateRandom(session: Buffer, out: Buffer): Promise<Buffer>;
}

const CHILD = fileURLToPath(new URL('./p11-child.js', import.meta.url));

function childEnv(m: ModuleUnderTest): NodeJS.ProcessEnv {
  return { ...process.env, ...m.env };
}

interface Pending {
  fn: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class P11Process {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  private died: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    // A child that died leaves a broken pipe; the exit handler below reports why.
    child.stdin.on('error', () => undefined);
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== '') this.answer(JSON.parse(line) as RpcReply);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.died = new Error(
          `the module's process ended (${signal ?? `exit status ${code}`})${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
        for (const p of this.pending.values()) p.reject(this.died);
        this.pending.clear();
        resolve();
      });
    });
  }

  private answer(r: RpcReply): void {
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    if ('ok' in r) p.resolve(decode(r.ok));
    else if ('ckr' in r) p.reject(new P11Error(p.fn, r.ckr, r.code));
    else p.reject(new Error(`${p.fn}: ${r.error}`));
  }

  call(fn: string, args: unknown[]): Promise<unknown> {
    if (this.died !== undefined) return Promise.reject(this.died);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { fn, resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, fn, args: args.map(encode) })}\n`);
    });
  }

  /** Ends the application: stdin closes, the child calls C_Finalize and exits. */
  async close(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Ends the application without C_Finalize, as a crash would. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export type P11 = P11Api & {
  /** C_Finalize, then the process exits. */
  close(): Promise<void>;
  /** SIGKILL: the application vanishes without C_Finalize. */
  kill(): Promise<void>;
};

/**
 * A new PKCS#11 application using module m, C_Initialize already called unless initialize is
 * false.
 */
export async function startApplication(m: ModuleUnderTest, opts: { initialize?: boolean } = {}): Promise<P11> {
  const child = spawn(process.execPath, [CHILD, 'rpc', m.module], { env: childEnv(m), stdio: 'pipe' });
  const proc = new P11Process(child);
  const api = new Proxy({} as P11, {
    get(_t, name) {
      if (name === 'close') return () => proc.close();
      if (name === 'kill') return () => proc.kill();
      if (name === 'then') return undefined; // not a thenable
      if (typeof name !== 'string' || !name.startsWith('C_')) return undefined;
      return (...args: unknown[]) => proc.call(name, args);
    },
  });
  if (opts.initialize !== false) {
    try {
      await api.C_Initialize();
    } catch (e) {
      await proc.kill();
      throw e;
    }
  }
  return api;
}

/** Runs fn with a fresh application, and closes it whatever happens. */
export async function withApplication<T>(m: ModuleUnderTest, fn: (p: P11) => Promise<T>): Promise<T> {
  const p = await startApplication(m);
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

/** The slot holding the token labelled m.tokenLabel. */
export async function tokenSlot(p: P11, m: ModuleUnderTest): Promise<Buffer> {
  for (const slot of await p.C_GetSlotList(true)) {
    if ((await p.C_GetTokenInfo(slot)).label.trim() === m.tokenLabel) return slot;
  }
  throw new Error(`${m.name}: no token labelled ${m.tokenLabel}`);
}

/** A handle value (session, object or slot) as pkcs11js passes it: a native-endian CK_ULONG. */
export function handle(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** A CK_ULONG attribute value as pkcs11js returns it. */
export function ulong(v: Buffer | undefined): number {
  if (v === undefined) throw new Error('attribute has no value');
  return Number(v.length === 8 ? v.readBigUInt64LE() : v.readUInt32LE());
}

/** A CK_BBOOL attribute value as pkcs11js returns it. */
export function bool(v: Buffer | undefined): boolean {
  if (v?.length !== 1) throw new Error('not a CK_BBOOL value');
  return v[0] !== 0;
}

/** Attribute values by type, from C_GetAttributeValue's answer. */
export async function attributes(
  p: P11, session: Buffer, object: Buffer, types: number[],
): Promise<Map<number, Buffer>> {
  const r = await p.C_GetAttributeValue(session, object, types.map((type) => ({ type })));
  return new Map(r.map((a) => [a.type, a.value]));
}

// ---- graphene-pk11 -----------------------------------------------------------------------------

async function runChild(m: ModuleUnderTest, mode: string, input: string, timeoutMs: number): Promise<string> {
  const child = spawn(process.execPath, [CHILD, mode, m.module], { env: childEnv(m), stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.on('error', () => undefined); // a crash is reported by the exit status below
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${mode} child ended with ${signal ?? `status ${code}`}: ${out.trim()} ${err.trim()}`);
  return out;
}

/** Key generation, SHA256-RSA-PKCS signing and verification through graphene-pk11's API. */
export async function runGraphene(m: ModuleUnderTest, args: GrapheneArgs): Promise<GrapheneResult> {
  return JSON.parse(await runChild(m, 'graphene', JSON.stringify(args), m.keyGenMs + 30_000)) as GrapheneResult;
}

// ---- raw C calls -------------------------------------------------------------------------------

const RAW_SOURCE = fileURLToPath(new URL('../../../test/helpers/p11-raw.c', import.meta.url));
const RAW_HEADERS = fileURLToPath(new URL('../../../native/include/p11-kit', import.meta.url));
const RAW_BINARY = fileURLToPath(new URL('./p11-raw', import.meta.url));
let rawBuild: Promise<string> | undefined;

/** Compiles test/helpers/p11-raw.c (once per run, and only when the source is newer). */
function rawDriver(): Promise<string> {
  rawBuild ??= (async () => {
    if (!existsSync(RAW_BINARY) || statSync(RAW_BINARY).mtimeMs < statSync(RAW_SOURCE).mtimeMs) {
      await execFileP(process.env.CC ?? 'cc', [
        '-std=c99', '-D_DEFAULT_SOURCE', '-Wall', '-Wextra', '-Werror', '-O1', '-g', '-I', RAW_HEADERS,
        '-o', RAW_BINARY, RAW_SOURCE, '-ldl',
      ]);
    }
    return RAW_BINARY;
  })();
  return rawBuild;
}

/** A return value of the raw driver, by name. */
export interface RawRv {
  rv: string;
}

function nameRvs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(nameRvs);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'rv' && typeof x === 'number' ? ckrName(x) : nameRvs(x);
    return out;
  }
  return v;
}

/**
 * Runs one command of the raw C driver against m (see test/helpers/p11-raw.c for the commands
 * and their JSON); every "rv" in the answer is turned into its CKR name.
 */
export async function raw<T>(m: ModuleUnderTest, cmd: string, ...args: string[]): Promise<T> {
  const bin = await rawDriver();
  try {
    const { stdout } = await execFileP(bin, [m.module, cmd, ...args], { env: childEnv(m), timeout: 120_000 });
    return nameRvs(JSON.parse(stdout)) as T;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; signal?: string; code?: number };
    throw new Error(`p11-raw ${cmd} failed (${x.signal ?? `status ${x.code}`}): ${x.stdout ?? ''} ${x.stderr ?? ''}`,
      { cause: e });
  }
}
