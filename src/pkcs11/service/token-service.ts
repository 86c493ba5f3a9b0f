/**
 * PKCS#11 semantics of the token service: slots and tokens, PINs, sessions, objects, and the
 * operations. Every handler checks in the same order — arguments → session → operation → objects
 * — and a session's operation ends on any error, as in SoftHSMv2. The shim has already checked
 * C_Initialize; secret key material never enters this process except while a key is dealt.
 */
import {
  constants as cryptoConstants,
  type KeyObject,
  publicEncrypt,
  randomBytes,
  randomInt,
} from 'node:crypto';
import { loadCluster } from '../../cluster/cluster-file.js';
import { Coordinator, type KeyPlacement, newKeyId } from '../../coordinator/coordinator.js';
import { CoordinatorError } from '../../coordinator/errors.js';
import { bitLength, byteLength, i2osp, os2ip } from '../../threshold/bytes.js';
import {
  dealFromPrimes,
  messageRepresentative,
  type SignatureInput,
  rsaPublicKeyObject,
  ThresholdError,
  ThresholdPublicKey,
} from '../../threshold/rsa/index.js';
import * as ck from '../ck.js';
import type { Call } from '../protocol/calls.js';
import type { Args, Outputs, RequestValue } from '../protocol/codec.js';
import type { Attribute, AttributeReply, AttributeRequest, Mechanism } from '../protocol/wire.js';
import { UNAVAILABLE } from '../protocol/wire.js';
import { type Attrs, serialize, toClient } from './attributes.js';
import { check, CkError, rvName } from './errors.js';
import { type Entry, Handles } from './handles.js';
import {
  digestInfo,
  emsaPkcs1v15,
  HASH_LENGTH,
  type HashName,
  mechanismFor,
  MECHANISMS,
  newHash,
  noParams,
  oaepParams,
  type PssParams,
  pssParams,
  pssVerify,
  rsaOpen,
} from './mechanisms.js';
import {
  applyChanges,
  boolOf,
  buildObject,
  bytesOf,
  matches,
  parseTemplate,
  readAttribute,
  ulongOf,
} from './objects.js';
import { makePin, openPin, openSecrets } from './pin.js';
import type { PrimePool } from './primes.js';
import { type KeyPair, type PlacementJson, placementJson, thresholdKeyPair } from './register.js';
import { RepeatLimiter } from './repeat-limiter.js';
import type { App, Operation, Session } from './session.js';
import { exponentBytes, type TokenRow, type TokenStore } from './store.js';

export const MIN_PIN = 4;
export const MAX_PIN = 255;
/** Failed logins before a PIN locks (the SO unlocks a user PIN with C_InitPIN). */
export const MAX_PIN_TRIES = 10;
const VERSION = { major: 0, minor: 1 };

export interface TokenServiceOptions {
  store: TokenStore;
  primes: PrimePool;
  log?: (line: string) => void;
  /** Limit for one signature through the coordinator (default 5000 ms). */
  signTimeoutMs?: number;
  /** How often shares of destroyed keys are retried on nodes that were down (default 30 s). */
  sweepIntervalMs?: number;
}

export interface Reply {
  rv: bigint;
  out: Outputs;
}

type HandlerResult = Partial<Reply> | undefined;
type Handler = (svc: TokenService, app: App, a: Args) => Promise<HandlerResult> | HandlerResult;

/** An object a session may see, with the means to change it. */
interface Live {
  handle: bigint;
  tokenId: number;
  token: boolean;
  attrs: Attrs;
  placement: string | null;
  save(attrs: Attrs): void;
  remove(): void;
}

export class TokenService {
  /** Random, never 0: ties handles to this run (docs/protocol.md, handshake). */
  readonly epoch = BigInt(randomInt(1, 2 ** 47)) * 65536n + BigInt(randomInt(0, 65536));
  readonly handles = new Handles();
  readonly apps = new Map<bigint, App>();
  readonly store: TokenStore;
  readonly primes: PrimePool;
  readonly log: (line: string) => void;
  readonly signTimeoutMs: number;
  readonly #coordinators = new Map<number, Coordinator>();
  /** Token id → master key, held once someone has logged in (needed to re-wrap it under a new PIN). */
  readonly #masters = new Map<number, Buffer>();
  /** Keys being generated: their tombstones are not swept until the objects are stored. */
  readonly #pending = new Set<string>();
  readonly #placements = new Map<string, KeyPlacement>();
  #sweeper: NodeJS.Timeout | undefined;
  readonly #repeats: RepeatLimiter;

  constructor(opts: TokenServiceOptions) {
    this.store = opts.store;
    this.primes = opts.primes;
    this.#repeats = new RepeatLimiter(opts.log ?? ((l) => process.stderr.write(`${l}\n`)));
    this.log = (l) => this.#repeats.log(l);
    this.signTimeoutMs = opts.signTimeoutMs ?? 5000;
    const every = opts.sweepIntervalMs ?? 30_000;
    if (every > 0) {
      this.#sweeper = setInterval(() => void this.sweep(), every);
      this.#sweeper.unref();
    }
  }

  close(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#repeats.flush();
    for (const c of this.#coordinators.values()) c.close();
    for (const m of this.#masters.values()) m.fill(0);
    this.#coordinators.clear();
    this.#masters.clear();
  }

  // ---- applications (one per shim instance) ----

  attach(instance: bigint, pid: number, abi: App['abi']): App {
    let app = this.apps.get(instance);
    if (app === undefined) {
      app = { instance, pid, abi, connections: 0, sessions: new Set(), login: new Map() };
      this.apps.set(instance, app);
    }
    if (app.reap) clearTimeout(app.reap);
    delete app.reap;
    app.connections++;
    return app;
  }

  /** Once an application has no connection left for `graceMs`, it is gone: its sessions close. */
  detach(app: App, graceMs = 10_000): void {
    app.connections--;
    if (app.connections > 0) return;
    app.reap = setTimeout(() => {
      for (const s of [...app.sessions]) this.closeSession(s);
      this.apps.delete(app.instance);
    }, graceMs);
    app.reap.unref();
  }

  // ---- dispatch ----

  async dispatch(app: App, call: Call, epoch: bigint, args: Args): Promise<Reply> {
    const handler = HANDLERS[call.name];
    if (handler === undefined) return { rv: ck.CKR_FUNCTION_NOT_SUPPORTED, out: {} };
    // Handles of a previous run of the service are stale (docs/protocol.md, epochs).
    if (call.args[0]?.[0] === 'hSession' && epoch !== this.epoch) return { rv: ck.CKR_SESSION_HANDLE_INVALID, out: {} };
    try {
      const r = await handler(this, app, args);
      return { rv: r?.rv ?? ck.CKR_OK, out: r?.out ?? {} };
    } catch (err) {
      const s = sessionOf(this, app, args);
      if (s?.op && !(err instanceof CkError && err.rv === ck.CKR_OPERATION_ACTIVE)) s.op = undefined;
      if (err instanceof CkError) {
        if (err.message !== rvName(err.rv)) this.log(`${call.name}: ${rvName(err.rv)}: ${err.message}`);
        return { rv: err.rv, out: {} };
      }
      this.log(`${call.name}: internal error: ${err instanceof Error ? err.message : String(err)}`);
      return { rv: ck.CKR_GENERAL_ERROR, out: {} };
    }
  }

  // ---- tokens, login state and the coordinator ----

  tokenRow(slot: bigint): TokenRow {
    const t = slot <= 0xffff_ffffn ? this.store.token(Number(slot)) : undefined;
    if (t === undefined) throw new CkError(ck.CKR_SLOT_ID_INVALID);
    return t;
  }

  session(app: App, h: RequestValue): Session {
    const e = typeof h === 'bigint' ? this.handles.get(h) : undefined;
    if (e === undefined || !isSession(e) || e.app !== app) throw new CkError(ck.CKR_SESSION_HANDLE_INVALID);
    return e;
  }

  loggedIn(s: Session): 'so' | 'user' | undefined {
    return s.app.login.get(s.tokenId);
  }

  coordinator(tokenId: number): Coordinator {
    const c = this.#coordinators.get(tokenId);
    if (c === undefined) throw new CkError(ck.CKR_USER_NOT_LOGGED_IN, 'the token has not been unlocked by a login yet');
    return c;
  }

  /** Checks a PIN with failure counting; returns the token's master key. */
  async checkPin(t: TokenRow, who: 'so' | 'user', pin: Buffer): Promise<Buffer> {
    const rec = who === 'so' ? t.soPin : t.userPin;
    if (rec === null) throw new CkError(ck.CKR_USER_PIN_NOT_INITIALIZED);
    const failures = who === 'so' ? t.soFailures : t.userFailures;
    if (failures >= MAX_PIN_TRIES) throw new CkError(ck.CKR_PIN_LOCKED);
    const master = await openPin(pin, rec);
    if (master === undefined) {
      this.store.setFailures(t.id, who, failures + 1);
      throw new CkError(failures + 1 >= MAX_PIN_TRIES ? ck.CKR_PIN_LOCKED : ck.CKR_PIN_INCORRECT);
    }
    if (failures > 0) this.store.setFailures(t.id, who, 0);
    return master;
  }

  /** Unlocks the token's secrets with its master key and connects its coordinator. */
  unlock(t: TokenRow, master: Buffer): void {
    if (!this.#masters.has(t.id)) this.#masters.set(t.id, Buffer.from(master));
    master.fill(0);
    if (this.#coordinators.has(t.id)) return;
    const key = this.#masters.get(t.id);
    const plain = key && openSecrets(key, t.secrets);
    if (plain === undefined) throw new CkError(ck.CKR_DEVICE_ERROR, `token ${t.label}: secrets do not open`);
    let identity: { certPem: string; keyPem: string };
    try {
      identity = JSON.parse(plain.toString('utf8')) as { certPem: string; keyPem: string };
    } finally {
      plain.fill(0);
    }
    let cluster: ReturnType<typeof loadCluster>;
    try {
      cluster = loadCluster(t.clusterDir);
    } catch (err) {
      throw new CkError(ck.CKR_DEVICE_ERROR, `token ${t.label}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const nodes = cluster.endpoints.filter((e) => t.nodes.includes(e.id));
    this.#coordinators.set(t.id, new Coordinator({
      tls: { caPem: cluster.caPem, certPem: identity.certPem, keyPem: identity.keyPem },
      nodes,
      timeoutMs: this.signTimeoutMs,
      log: (l) => this.log(`token ${t.label}: ${l}`),
    }));
  }

  master(tokenId: number): Buffer {
    const m = this.#masters.get(tokenId);
    if (m === undefined) throw new CkError(ck.CKR_USER_NOT_LOGGED_IN);
    return m;
  }

  // ---- sessions ----

  closeSession(s: Session): void {
    for (const h of s.objects) {
      const e = this.handles.get(h);
      if (e?.kind === 'session-object' && e.placement !== null) void this.destroyKey(e.tokenId, e.placement);
      this.handles.invalidate(h);
    }
    s.objects.clear();
    s.op = undefined;
    s.app.sessions.delete(s);
    this.handles.invalidate(s.handle);
    // The last session of an application on a token ends its login (§5.6, C_CloseSession).
    if (![...s.app.sessions].some((o) => o.tokenId === s.tokenId)) s.app.login.delete(s.tokenId);
  }

  // ---- objects ----

  /** The object behind a handle if this session may see it, else CKR_OBJECT_HANDLE_INVALID. */
  object(s: Session, h: RequestValue, invalid = ck.CKR_OBJECT_HANDLE_INVALID): Live {
    const e = typeof h === 'bigint' ? this.handles.get(h) : undefined;
    const user = this.loggedIn(s) === 'user';
    if (e?.kind === 'token-object') {
      const row = this.store.object(e.rowId);
      if (row !== undefined && row.tokenId === s.tokenId && (user || row.attrs.get(ck.CKA_PRIVATE) !== true)) {
        return {
          handle: h as bigint, tokenId: row.tokenId, token: true, attrs: row.attrs, placement: row.placement,
          save: (attrs) => this.store.updateObject(e.rowId, attrs),
          remove: () => this.store.deleteObject(e.rowId),
        };
      }
    }
    if (e?.kind === 'session-object' && e.tokenId === s.tokenId && e.session.app === s.app) {
      if (user || e.attrs.get(ck.CKA_PRIVATE) !== true) {
        return {
          handle: h as bigint, tokenId: e.tokenId, token: false, attrs: e.attrs, placement: e.placement,
          save: (attrs) => {
            e.attrs = attrs;
          },
          remove: () => {
            e.session.objects.delete(h as bigint);
            this.handles.invalidate(h as bigint);
          },
        };
      }
    }
    throw new CkError(invalid);
  }

  /** Who may create or change an object with these attributes in this session (§5.7). */
  mayWrite(s: Session, attrs: Attrs): void {
    if (attrs.get(ck.CKA_TOKEN) === true && !s.rw) throw new CkError(ck.CKR_SESSION_READ_ONLY);
    if (attrs.get(ck.CKA_PRIVATE) === true && this.loggedIn(s) !== 'user') throw new CkError(ck.CKR_USER_NOT_LOGGED_IN);
  }

  /** Stores a new object; returns its handle. */
  insert(s: Session, attrs: Attrs, placement: string | null = null): bigint {
    if (attrs.get(ck.CKA_TOKEN) === true) {
      return this.handles.tokenObject(this.store.insertObject(s.tokenId, attrs, placement));
    }
    const h = this.handles.sessionObject({ kind: 'session-object', tokenId: s.tokenId, session: s, attrs, placement });
    s.objects.add(h);
    return h;
  }

  placement(json: string): KeyPlacement {
    const j = JSON.parse(json) as PlacementJson;
    let p = this.#placements.get(j.keyId);
    if (p === undefined) {
      p = { keyId: j.keyId, nodes: j.nodes, publicKey: ThresholdPublicKey.fromJSON(j.publicKey) };
      this.#placements.set(j.keyId, p);
    }
    return p;
  }

  /**
   * Forgets a threshold key: `remove` (the object's own deletion) and a tombstone per node in one
   * transaction, then the shares are deleted. Nodes that are down keep their tombstone and the
   * sweeper retries them, so a crash at any point leaves no share without a tombstone.
   */
  async destroyKey(tokenId: number, placementJson: string, remove: () => void = () => undefined): Promise<void> {
    const p = JSON.parse(placementJson) as PlacementJson;
    this.#placements.delete(p.keyId);
    this.store.atomically(() => {
      remove();
      this.store.addTombstones(tokenId, p.keyId, p.nodes);
    });
    const c = this.#coordinators.get(tokenId);
    if (c === undefined) return;
    const failed = await c.deleteKey(p);
    for (const n of p.nodes) if (!failed.includes(n)) this.store.clearTombstone(p.keyId, n);
    if (failed.length > 0) this.log(`key ${p.keyId}: shares not yet deleted on ${failed.join(', ')}; will retry`);
  }

  /** Retries share deletions on nodes that were down (and rolls back key generations cut short). */
  async sweep(): Promise<void> {
    for (const [tokenId, c] of this.#coordinators) {
      for (const t of this.store.tombstones(tokenId)) {
        if (this.#pending.has(t.keyId)) continue;
        const failed = await c.deleteKey({ keyId: t.keyId, nodes: [t.node] });
        if (failed.length === 0) this.store.clearTombstone(t.keyId, t.node);
      }
    }
  }

  // ---- key generation ----

  async generateRsa(s: Session, pub: Attrs, priv: Attrs): Promise<KeyPair<bigint>> {
    const bitsV = ulongOf(pub, ck.CKA_MODULUS_BITS);
    if (bitsV === undefined) throw new CkError(ck.CKR_TEMPLATE_INCOMPLETE, 'CKA_MODULUS_BITS is required');
    if (bitsV < 1024n || bitsV > 4096n || bitsV % 2n !== 0n) throw new CkError(ck.CKR_KEY_SIZE_RANGE);
    const bits = Number(bitsV);
    const eBytes = bytesOf(pub, ck.CKA_PUBLIC_EXPONENT) ?? bytesOf(priv, ck.CKA_PUBLIC_EXPONENT);
    const e = eBytes === undefined || eBytes.length === 0 ? 65537n : os2ip(eBytes);
    const templates = { pub, priv };
    // The templates are checked before a pool key is taken or primes are spent.
    const draft = thresholdKeyPair('generated', templates, { e });
    this.mayWrite(s, draft.pub);
    this.mayWrite(s, draft.priv);
    const t = this.tokenRow(BigInt(s.tokenId));
    // Asked of the pool too, though it ships nothing: a token nobody has unlocked hands out no key.
    const coordinator = this.coordinator(s.tokenId);
    if (t.keySource === 'pool') return this.#fromPool(s, t, templates, bits, e);

    // Policy "all": every node must take its share. Ask first rather than deal a key in vain; a
    // node that has just come back may need a reconnection, so allow it the signing timeout.
    const absent = (await coordinator.checkHealth(Math.min(this.signTimeoutMs, 5000))).filter((n) => t.nodes.includes(n.id) && n.state !== 'up');
    if (absent.length > 0) {
      const names = absent.map((n) => `${n.id} (${n.lastError ?? n.state})`).join(', ');
      throw new CkError(ck.CKR_DEVICE_ERROR, `token ${t.label}: key generation needs all ${t.nodes.length} nodes; down: ${names}`);
    }
    const keyId = newKeyId();
    this.#pending.add(keyId);
    // Tombstones first: if the service dies after shipping, the sweeper deletes the shares.
    this.store.addTombstones(t.id, keyId, t.nodes);
    try {
      const [p, q] = await Promise.all([this.primes.take(bits / 2), this.primes.take(bits / 2)]);
      if (p.equals(q)) {
        p.fill(0);
        q.fill(0);
        throw new CkError(ck.CKR_FUNCTION_FAILED, 'equal primes');
      }
      let dealt: ReturnType<typeof dealFromPrimes>;
      try {
        dealt = dealFromPrimes(p, q, { bits, shares: t.nodes.length, threshold: t.threshold, e });
      } catch (err) {
        if (err instanceof ThresholdError) throw new CkError(ck.CKR_TEMPLATE_INCONSISTENT, err.message);
        throw err;
      }
      let placement: KeyPlacement;
      try {
        placement = await coordinator.installKey(keyId, dealt, t.nodes);
      } catch (err) {
        if (err instanceof CoordinatorError) throw new CkError(ck.CKR_DEVICE_ERROR, err.message);
        throw err;
      } finally {
        for (const sh of dealt.shares) sh.destroy();
      }
      const objects = thresholdKeyPair('generated', templates, { e, n: placement.publicKey.n });
      const json = placementJson(keyId, placement.nodes, placement.publicKey);
      this.#placements.set(keyId, placement);
      const handles = this.store.atomically(() => {
        const h = { pub: this.insert(s, objects.pub), priv: this.insert(s, objects.priv, json) };
        for (const n of t.nodes) this.store.clearTombstone(keyId, n);
        return h;
      });
      this.log(`token ${t.label}: generated RSA-${bits} key ${keyId} (${t.threshold} of ${t.nodes.length})`);
      return handles;
    } finally {
      this.#pending.delete(keyId);
    }
  }

  /**
   * Key source `pool`: the oldest key a ceremony dealt of this size, its shares already on the
   * nodes. Taking it and storing its objects is one transaction, so a crash neither loses nor
   * reuses it.
   */
  #fromPool(s: Session, t: TokenRow, templates: KeyPair<Attrs>, bits: number, e: bigint): KeyPair<bigint> {
    const taken = this.store.atomically(() => {
      const key = this.store.takePoolKey(t.id, bits, exponentBytes(e));
      if (key === undefined) {
        throw new CkError(ck.CKR_DEVICE_MEMORY, `token ${t.label}: no RSA-${bits} key with e=${e}: the pre-dealt pool is empty; deal more in a key ceremony`);
      }
      const placement = this.placement(key.placement);
      const objects = thresholdKeyPair('generated', templates, { e, n: placement.publicKey.n });
      return {
        keyId: key.keyId,
        handles: { pub: this.insert(s, objects.pub), priv: this.insert(s, objects.priv, key.placement) },
      };
    });
    const left = this.store.poolCounts(t.id).find((c) => c.bits === bits && c.e.equals(exponentBytes(e)))?.count ?? 0;
    this.log(`token ${t.label}: RSA-${bits} key ${taken.keyId} from the pre-dealt pool (${left} left)`);
    return taken.handles;
  }

  // ---- signing ----

  async sign(op: Extract<Operation, { kind: 'sign' }>, data: Buffer): Promise<Buffer> {
    const pub = op.placement.publicKey;
    let input: SignatureInput;
    if (op.pss !== undefined) {
      const digest = op.hash ? op.hash.digest() : data;
      if (digest.length !== HASH_LENGTH[op.pss.hash]) throw new CkError(ck.CKR_DATA_LEN_RANGE);
      input = { scheme: 'pss', digest, hash: op.pss.hash, mgfHash: op.pss.mgfHash, saltLength: op.pss.saltLength };
    } else if (op.hash !== undefined && op.hashName !== undefined) {
      input = { scheme: 'pkcs1', hash: op.hashName, digest: op.hash.digest() };
    } else {
      if (data.length > pub.bytes - 11) throw new CkError(ck.CKR_DATA_LEN_RANGE);
      input = { scheme: 'pkcs1-raw', data };
    }
    const x = messageRepresentative(input, pub.bits);
    try {
      const r = await this.coordinator(op.tokenId).sign(op.placement, x);
      return i2osp(r.y, pub.bytes);
    } catch (err) {
      // The coordinator's message already names each missing node and why.
      if (err instanceof CoordinatorError) throw new CkError(ck.CKR_DEVICE_ERROR, `${op.keyName}: ${err.message}`);
      throw err;
    }
  }
}

function isSession(e: Entry): e is Session {
  return e.kind === 'session';
}

function sessionOf(svc: TokenService, app: App, a: Args): Session | undefined {
  try {
    return 'hSession' in a ? svc.session(app, a.hSession) : undefined;
  } catch {
    return undefined;
  }
}

// ---- argument helpers ----

function ulong(a: Args, name: string): bigint {
  const v = a[name];
  if (typeof v !== 'bigint') throw new CkError(ck.CKR_ARGUMENTS_BAD);
  return v;
}

function bytes(a: Args, name: string): Buffer {
  const v = a[name];
  if (!Buffer.isBuffer(v)) throw new CkError(ck.CKR_ARGUMENTS_BAD, `${name} is NULL`);
  return v;
}

function template(a: Args, name: string): Attribute[] {
  const v = a[name];
  if (!Array.isArray(v)) throw new CkError(ck.CKR_ARGUMENTS_BAD);
  return v as Attribute[];
}

function mechanism(a: Args): Mechanism {
  const v = a.pMechanism;
  if (v === null || v === undefined || typeof v !== 'object' || !('type' in v)) throw new CkError(ck.CKR_ARGUMENTS_BAD);
  return v;
}

interface OutBuffer {
  given: boolean;
  length: bigint;
}

/**
 * Length-query semantics of an output buffer (§5.2): NULL asks for the length (CKR_OK), too small
 * is CKR_BUFFER_TOO_SMALL; both leave the operation active. Returns the reply, or undefined when
 * the buffer is big enough and the caller should produce the data.
 */
function lengthOnly(a: Args, name: string, needed: number): Partial<Reply> | undefined {
  const o = a[name] as OutBuffer;
  if (!o.given) return { out: { [name]: { length: BigInt(needed) } } };
  if (o.length < BigInt(needed)) return { rv: ck.CKR_BUFFER_TOO_SMALL, out: { [name]: { length: BigInt(needed) } } };
  return undefined;
}

function produced(name: string, data: Buffer): Partial<Reply> {
  return { out: { [name]: { length: BigInt(data.length), data } } };
}

function ulongs(a: Args, name: string, values: bigint[]): Partial<Reply> {
  const o = a[name] as OutBuffer;
  const count = BigInt(values.length);
  if (!o.given) return { out: { [name]: { count } } };
  if (o.length < count) return { rv: ck.CKR_BUFFER_TOO_SMALL, out: { [name]: { count } } };
  return { out: { [name]: { count, values } } };
}

function pinOf(a: Args, name: string): Buffer {
  const pin = bytes(a, name);
  if (pin.length < MIN_PIN || pin.length > MAX_PIN) throw new CkError(ck.CKR_PIN_LEN_RANGE);
  return pin;
}

function noOperation(s: Session): void {
  if (s.op !== undefined) throw new CkError(ck.CKR_OPERATION_ACTIVE);
}

function opOf<K extends Operation['kind']>(s: Session, kind: K): Extract<Operation, { kind: K }> {
  if (s.op?.kind !== kind) throw new CkError(ck.CKR_OPERATION_NOT_INITIALIZED);
  return s.op as Extract<Operation, { kind: K }>;
}

/** The RSA public key of a public-key object, for verification and encryption. */
function rsaPublic(attrs: Attrs): { key: KeyObject; bits: number; bytes: number } {
  const n = bytesOf(attrs, ck.CKA_MODULUS);
  const e = bytesOf(attrs, ck.CKA_PUBLIC_EXPONENT);
  if (n === undefined || e === undefined || n.length === 0) throw new CkError(ck.CKR_KEY_TYPE_INCONSISTENT);
  const nn = os2ip(n);
  try {
    return { key: rsaPublicKeyObject(nn, os2ip(e)), bits: bitLength(nn), bytes: byteLength(nn) };
  } catch {
    throw new CkError(ck.CKR_KEY_TYPE_INCONSISTENT, 'not a usable RSA public key');
  }
}

function allowed(attrs: Attrs, mech: bigint): void {
  const list = attrs.get(ck.CKA_ALLOWED_MECHANISMS);
  if (Array.isArray(list) && list.length > 0 && !list.includes(mech)) throw new CkError(ck.CKR_MECHANISM_INVALID);
}

function verifyFinish(op: Extract<Operation, { kind: 'verify' }>, data: Buffer, sig: Buffer): void {
  if (sig.length !== Math.ceil(op.bits / 8)) throw new CkError(ck.CKR_SIGNATURE_LEN_RANGE);
  const em = rsaOpen(op.key, Math.ceil(op.bits / 8), sig);
  let ok = false;
  if (em !== undefined) {
    if (op.pss !== undefined) {
      const digest = op.hash ? op.hash.digest() : data;
      if (digest.length !== HASH_LENGTH[op.pss.hash]) throw new CkError(ck.CKR_DATA_LEN_RANGE);
      ok = pssVerify(em, digest, op.bits, op.pss);
    } else {
      const t = op.hash && op.hashName ? digestInfo(op.hashName, op.hash.digest()) : data;
      if (t.length > Math.ceil(op.bits / 8) - 11) throw new CkError(ck.CKR_DATA_LEN_RANGE);
      ok = emsaPkcs1v15(t, op.bits).equals(em.subarray(em.length - Math.ceil(op.bits / 8)));
    }
  }
  if (!ok) throw new CkError(ck.CKR_SIGNATURE_INVALID);
}

type Info = Record<string, bigint | string | { major: number; minor: number }>;

function tokenInfo(svc: TokenService, t: TokenRow): Info {
  let flags = ck.CKF_RNG | ck.CKF_LOGIN_REQUIRED | ck.CKF_TOKEN_INITIALIZED;
  if (t.userPin !== null) flags |= ck.CKF_USER_PIN_INITIALIZED;
  if (t.userFailures > 0) flags |= ck.CKF_USER_PIN_COUNT_LOW;
  if (t.userFailures === MAX_PIN_TRIES - 1) flags |= ck.CKF_USER_PIN_FINAL_TRY;
  if (t.userFailures >= MAX_PIN_TRIES) flags |= ck.CKF_USER_PIN_LOCKED;
  if (t.soFailures > 0) flags |= ck.CKF_SO_PIN_COUNT_LOW;
  if (t.soFailures === MAX_PIN_TRIES - 1) flags |= ck.CKF_SO_PIN_FINAL_TRY;
  if (t.soFailures >= MAX_PIN_TRIES) flags |= ck.CKF_SO_PIN_LOCKED;
  const all = [...svc.apps.values()].flatMap((a) => [...a.sessions]).filter((s) => s.tokenId === t.id);
  return {
    label: t.label, manufacturerID: 'kofn', model: `kofn ${t.threshold}-of-${t.nodes.length}`.slice(0, 16),
    serialNumber: t.serial, flags,
    maxSessionCount: 0n, // CK_EFFECTIVELY_INFINITE
    sessionCount: BigInt(all.length),
    maxRwSessionCount: 0n, rwSessionCount: BigInt(all.filter((s) => s.rw).length),
    maxPinLen: BigInt(MAX_PIN), minPinLen: BigInt(MIN_PIN),
    totalPublicMemory: UNAVAILABLE, freePublicMemory: UNAVAILABLE,
    totalPrivateMemory: UNAVAILABLE, freePrivateMemory: UNAVAILABLE,
    hardwareVersion: VERSION, firmwareVersion: VERSION, utcTime: '',
  };
}

// ---- the handlers, by PKCS#11 function name ----

const HANDLERS: Record<string, Handler> = {
  C_GetInfo: () => ({
    out: {
      pInfo: {
        cryptokiVersion: { major: 2, minor: 40 }, manufacturerID: 'kofn', flags: 0n,
        libraryDescription: 'kofn k-of-n threshold HSM', libraryVersion: VERSION,
      },
    },
  }),

  C_GetSlotList: (svc, _app, a) => ulongs(a, 'pSlotList', svc.store.tokens().map((t) => BigInt(t.id))),

  C_GetSlotInfo: (svc, _app, a) => {
    const t = svc.tokenRow(ulong(a, 'slotID'));
    return {
      out: {
        pInfo: {
          slotDescription: `kofn token ${t.label}`.slice(0, 64), manufacturerID: 'kofn', flags: ck.CKF_TOKEN_PRESENT,
          hardwareVersion: VERSION, firmwareVersion: VERSION,
        },
      },
    };
  },

  C_GetTokenInfo: (svc, _app, a) => ({ out: { pInfo: tokenInfo(svc, svc.tokenRow(ulong(a, 'slotID'))) } }),

  C_GetMechanismList: (svc, _app, a) => {
    svc.tokenRow(ulong(a, 'slotID'));
    return ulongs(a, 'pMechanismList', [...MECHANISMS.keys()]);
  },

  C_GetMechanismInfo: (svc, _app, a) => {
    svc.tokenRow(ulong(a, 'slotID'));
    const m = MECHANISMS.get(ulong(a, 'type'));
    if (m === undefined) throw new CkError(ck.CKR_MECHANISM_INVALID);
    return { out: { pInfo: { minKeySize: m.min, maxKeySize: m.max, flags: m.flags } } };
  },

  C_InitToken: async (svc, _app, a) => {
    const pin = bytes(a, 'pPin');
    const label = (a.pLabel as Buffer).toString('utf8').replace(/ +$/, '');
    const t = svc.tokenRow(ulong(a, 'slotID'));
    for (const other of svc.apps.values()) {
      if ([...other.sessions].some((s) => s.tokenId === t.id)) throw new CkError(ck.CKR_SESSION_EXISTS);
    }
    const master = await svc.checkPin(t, 'so', pin);
    svc.unlock(t, master);
    if (label !== t.label && svc.store.tokenByLabel(label) !== undefined) {
      throw new CkError(ck.CKR_ARGUMENTS_BAD, `label ${label} is taken`);
    }
    const victims = svc.store.find(t.id, {}, true);
    for (const o of victims) {
      const remove = () => svc.store.deleteObject(o.id);
      if (o.placement === null) remove();
      else await svc.destroyKey(t.id, o.placement, remove);
    }
    // The pool's keys were dealt for the token as it was: a re-initialised token starts empty.
    const pooled = svc.store.poolKeys(t.id);
    for (const k of pooled) await svc.destroyKey(t.id, k.placement, () => svc.store.removePoolKey(k.id));
    svc.store.setPin(t.id, 'user', null);
    svc.store.setLabel(t.id, label);
    svc.log(`token ${t.label}: re-initialised as ${label}; ${victims.length} objects and ${pooled.length} pool keys destroyed`);
    return undefined;
  },

  C_InitPIN: async (svc, app, a) => {
    const pin = pinOf(a, 'pPin');
    const s = svc.session(app, a.hSession);
    if (svc.loggedIn(s) !== 'so' || !s.rw) throw new CkError(ck.CKR_USER_NOT_LOGGED_IN);
    svc.store.setPin(s.tokenId, 'user', await makePin(pin, svc.master(s.tokenId)));
    return undefined;
  },

  C_SetPIN: async (svc, app, a) => {
    const old = bytes(a, 'pOldPin');
    const pin = pinOf(a, 'pNewPin');
    const s = svc.session(app, a.hSession);
    if (!s.rw) throw new CkError(ck.CKR_SESSION_READ_ONLY);
    const who = svc.loggedIn(s) === 'so' ? 'so' : 'user';
    const t = svc.tokenRow(BigInt(s.tokenId));
    const master = await svc.checkPin(t, who, old);
    try {
      svc.store.setPin(t.id, who, await makePin(pin, master));
    } finally {
      svc.unlock(t, master);
    }
    return undefined;
  },

  C_OpenSession: (svc, app, a) => {
    const flags = ulong(a, 'flags');
    const t = svc.tokenRow(ulong(a, 'slotID'));
    if ((flags & ck.CKF_SERIAL_SESSION) === 0n) throw new CkError(ck.CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    const rw = (flags & ck.CKF_RW_SESSION) !== 0n;
    if (!rw && app.login.get(t.id) === 'so') throw new CkError(ck.CKR_SESSION_READ_WRITE_SO_EXISTS);
    const s = svc.handles.issueSession({ app, tokenId: t.id, rw, op: undefined, objects: new Set() });
    app.sessions.add(s);
    return { out: { phSession: s.handle } };
  },

  C_CloseSession: (svc, app, a) => {
    svc.closeSession(svc.session(app, a.hSession));
    return undefined;
  },

  C_CloseAllSessions: (svc, app, a) => {
    const t = svc.tokenRow(ulong(a, 'slotID'));
    for (const s of [...app.sessions]) if (s.tokenId === t.id) svc.closeSession(s);
    return undefined;
  },

  C_GetSessionInfo: (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    const who = svc.loggedIn(s);
    const state = who === 'so'
      ? ck.CKS_RW_SO_FUNCTIONS
      : who === 'user'
        ? (s.rw ? ck.CKS_RW_USER_FUNCTIONS : ck.CKS_RO_USER_FUNCTIONS)
        : s.rw ? ck.CKS_RW_PUBLIC_SESSION : ck.CKS_RO_PUBLIC_SESSION;
    const flags = ck.CKF_SERIAL_SESSION | (s.rw ? ck.CKF_RW_SESSION : 0n);
    return { out: { pInfo: { slotID: BigInt(s.tokenId), state, flags, deviceError: 0n } } };
  },

  C_Login: async (svc, app, a) => {
    const userType = ulong(a, 'userType');
    const pin = bytes(a, 'pPin');
    const s = svc.session(app, a.hSession);
    if (userType === ck.CKU_CONTEXT_SPECIFIC) throw new CkError(ck.CKR_OPERATION_NOT_INITIALIZED);
    if (userType !== ck.CKU_SO && userType !== ck.CKU_USER) throw new CkError(ck.CKR_USER_TYPE_INVALID);
    const who = userType === ck.CKU_SO ? 'so' : 'user';
    const now = svc.loggedIn(s);
    if (now === who) throw new CkError(ck.CKR_USER_ALREADY_LOGGED_IN);
    if (now !== undefined) throw new CkError(ck.CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    if (who === 'so' && [...app.sessions].some((o) => o.tokenId === s.tokenId && !o.rw)) {
      throw new CkError(ck.CKR_SESSION_READ_ONLY_EXISTS);
    }
    const t = svc.tokenRow(BigInt(s.tokenId));
    const master = await svc.checkPin(t, who, pin);
    svc.unlock(t, master);
    app.login.set(s.tokenId, who);
    return undefined;
  },

  C_Logout: (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    if (svc.loggedIn(s) === undefined) throw new CkError(ck.CKR_USER_NOT_LOGGED_IN);
    app.login.delete(s.tokenId);
    for (const o of app.sessions) if (o.tokenId === s.tokenId) o.op = undefined;
    return undefined;
  },

  C_CreateObject: (svc, app, a) => {
    const tpl = template(a, 'pTemplate');
    const s = svc.session(app, a.hSession);
    const given = parseTemplate(app.abi, tpl);
    const cls = ulongOf(given, ck.CKA_CLASS);
    const fixed: Attrs = new Map();
    if (cls === ck.CKO_PUBLIC_KEY) {
      if (ulongOf(given, ck.CKA_KEY_TYPE) !== ck.CKK_RSA) throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, 'only RSA keys');
      const n = bytesOf(given, ck.CKA_MODULUS);
      if (n === undefined || bytesOf(given, ck.CKA_PUBLIC_EXPONENT) === undefined) {
        throw new CkError(ck.CKR_TEMPLATE_INCOMPLETE, 'CKA_MODULUS and CKA_PUBLIC_EXPONENT are required');
      }
      fixed.set(ck.CKA_MODULUS_BITS, BigInt(bitLength(os2ip(n))));
      fixed.set(ck.CKA_LOCAL, false);
      fixed.set(ck.CKA_KEY_GEN_MECHANISM, UNAVAILABLE);
    } else if (cls === ck.CKO_CERTIFICATE) {
      if (ulongOf(given, ck.CKA_CERTIFICATE_TYPE) !== ck.CKC_X_509) {
        throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, 'only X.509 certificates');
      }
      if (!given.has(ck.CKA_SUBJECT) || !given.has(ck.CKA_VALUE)) throw new CkError(ck.CKR_TEMPLATE_INCOMPLETE);
    } else if (cls === ck.CKO_PRIVATE_KEY) {
      throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, 'private keys are dealt by C_GenerateKeyPair or a key ceremony');
    } else if (cls !== ck.CKO_DATA) {
      throw new CkError(cls === undefined ? ck.CKR_TEMPLATE_INCOMPLETE : ck.CKR_ATTRIBUTE_VALUE_INVALID);
    }
    const attrs = buildObject('create', given, fixed);
    svc.mayWrite(s, attrs);
    return { out: { phObject: svc.insert(s, attrs) } };
  },

  C_CopyObject: (svc, app, a) => {
    const tpl = template(a, 'pTemplate');
    const s = svc.session(app, a.hSession);
    const o = svc.object(s, a.hObject);
    if (o.attrs.get(ck.CKA_COPYABLE) === false) throw new CkError(ck.CKR_ACTION_PROHIBITED);
    const attrs = applyChanges(o.attrs, parseTemplate(app.abi, tpl), { copy: true, so: svc.loggedIn(s) === 'so' });
    svc.mayWrite(s, attrs);
    return { out: { phNewObject: svc.insert(s, attrs, o.placement) } };
  },

  C_DestroyObject: async (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    const o = svc.object(s, a.hObject);
    if (o.token && !s.rw) throw new CkError(ck.CKR_SESSION_READ_ONLY);
    if (o.attrs.get(ck.CKA_DESTROYABLE) === false) throw new CkError(ck.CKR_ACTION_PROHIBITED);
    if (o.placement === null) o.remove();
    else await svc.destroyKey(o.tokenId, o.placement, () => o.remove());
    return undefined;
  },

  C_GetObjectSize: (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    return { out: { pulSize: BigInt(serialize(svc.object(s, a.hObject).attrs).length) } };
  },

  C_GetAttributeValue: (svc, app, a) => {
    const reqs = a.pTemplate as AttributeRequest[];
    const s = svc.session(app, a.hSession);
    const o = svc.object(s, a.hObject);
    let rv = ck.CKR_OK;
    const rank = (r: bigint) => [ck.CKR_OK, ck.CKR_BUFFER_TOO_SMALL, ck.CKR_ATTRIBUTE_TYPE_INVALID,
      ck.CKR_ATTRIBUTE_SENSITIVE].indexOf(r);
    const worse = (r: bigint) => {
      if (rank(r) > rank(rv)) rv = r;
    };
    const out: AttributeReply[] = reqs.map((req) => {
      const r = readAttribute(o.attrs, req.type);
      if ('rv' in r) {
        worse(r.rv);
        return { length: UNAVAILABLE };
      }
      const value = toClient(app.abi, r.value);
      if (!req.given) return { length: BigInt(value.length) };
      if (req.length < BigInt(value.length)) {
        worse(ck.CKR_BUFFER_TOO_SMALL);
        return { length: UNAVAILABLE };
      }
      return { length: BigInt(value.length), value };
    });
    return { rv, out: { pTemplate: out } };
  },

  C_SetAttributeValue: (svc, app, a) => {
    const tpl = template(a, 'pTemplate');
    const s = svc.session(app, a.hSession);
    const o = svc.object(s, a.hObject);
    if (o.token && !s.rw) throw new CkError(ck.CKR_SESSION_READ_ONLY);
    o.save(applyChanges(o.attrs, parseTemplate(app.abi, tpl), { copy: false, so: svc.loggedIn(s) === 'so' }));
    return undefined;
  },

  C_FindObjectsInit: (svc, app, a) => {
    const tpl = template(a, 'pTemplate');
    const s = svc.session(app, a.hSession);
    noOperation(s);
    let want: Attrs | undefined;
    try {
      want = parseTemplate(app.abi, tpl);
    } catch (err) {
      // An attribute no object can have, or a malformed value: nothing matches.
      if (!(err instanceof CkError) || ![ck.CKR_ATTRIBUTE_TYPE_INVALID, ck.CKR_ATTRIBUTE_VALUE_INVALID,
        ck.CKR_TEMPLATE_INCONSISTENT].includes(err.rv)) throw err;
    }
    const handles: bigint[] = [];
    if (want !== undefined) {
      const user = svc.loggedIn(s) === 'user';
      const cls = ulongOf(want, ck.CKA_CLASS);
      const ckid = bytesOf(want, ck.CKA_ID);
      const label = bytesOf(want, ck.CKA_LABEL);
      const rows = svc.store.find(s.tokenId, {
        ...(cls === undefined ? {} : { cls }),
        ...(ckid ? { ckid } : {}),
        ...(label ? { label } : {}),
      }, user);
      for (const r of rows) if (matches(r.attrs, want)) handles.push(svc.handles.tokenObject(r.id));
      for (const other of app.sessions) {
        if (other.tokenId !== s.tokenId) continue;
        for (const h of other.objects) {
          const e = svc.handles.get(h);
          if (e?.kind !== 'session-object') continue;
          if ((user || e.attrs.get(ck.CKA_PRIVATE) !== true) && matches(e.attrs, want)) handles.push(h);
        }
      }
    }
    s.op = { kind: 'find', handles, at: 0 };
    return undefined;
  },

  C_FindObjects: (svc, app, a) => {
    const max = (a.phObject as { max: bigint }).max;
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'find');
    const n = Number(max < 1_000_000n ? max : 1_000_000n);
    const values = op.handles.slice(op.at, op.at + n);
    op.at += values.length;
    return { out: { phObject: { values } } };
  },

  C_FindObjectsFinal: (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    opOf(s, 'find');
    s.op = undefined;
    return undefined;
  },

  C_DigestInit: (svc, app, a) => {
    const m = mechanism(a);
    const s = svc.session(app, a.hSession);
    noOperation(s);
    const info = mechanismFor(m.type, ck.CKF_DIGEST);
    noParams(m);
    const name = info.hash as HashName;
    s.op = { kind: 'digest', hash: newHash(name), name, parts: false };
    return undefined;
  },

  C_Digest: (svc, app, a) => {
    const data = bytes(a, 'pData');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'digest');
    if (op.parts) throw new CkError(ck.CKR_OPERATION_ACTIVE);
    const early = lengthOnly(a, 'pDigest', HASH_LENGTH[op.name]);
    if (early) return early;
    s.op = undefined;
    return produced('pDigest', op.hash.update(data).digest());
  },

  C_DigestUpdate: (svc, app, a) => {
    const data = bytes(a, 'pPart');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'digest');
    op.parts = true;
    op.hash.update(data);
    return undefined;
  },

  C_DigestFinal: (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'digest');
    const early = lengthOnly(a, 'pDigest', HASH_LENGTH[op.name]);
    if (early) return early;
    s.op = undefined;
    return produced('pDigest', op.hash.digest());
  },

  C_SignInit: (svc, app, a) => {
    const m = mechanism(a);
    const s = svc.session(app, a.hSession);
    noOperation(s);
    const info = mechanismFor(m.type, ck.CKF_SIGN);
    const key = svc.object(s, a.hKey, ck.CKR_KEY_HANDLE_INVALID);
    // The key's purpose first, then its type, as SoftHSMv2 does: a public key has no CKA_SIGN.
    if (!boolOf(key.attrs, ck.CKA_SIGN)) throw new CkError(ck.CKR_KEY_FUNCTION_NOT_PERMITTED);
    if (ulongOf(key.attrs, ck.CKA_CLASS) !== ck.CKO_PRIVATE_KEY || ulongOf(key.attrs, ck.CKA_KEY_TYPE) !== ck.CKK_RSA) {
      throw new CkError(ck.CKR_KEY_TYPE_INCONSISTENT);
    }
    allowed(key.attrs, m.type);
    if (key.placement === null) throw new CkError(ck.CKR_KEY_TYPE_INCONSISTENT, 'not a threshold key');
    const placement = svc.placement(key.placement);
    svc.coordinator(s.tokenId);
    let pss: PssParams | undefined;
    if (info.scheme === 'pss') {
      pss = pssParams(app.abi, m, info);
      const emLen = Math.ceil((placement.publicKey.bits - 1) / 8);
      if (emLen < HASH_LENGTH[pss.hash] + pss.saltLength + 2) throw new CkError(ck.CKR_MECHANISM_PARAM_INVALID);
    } else noParams(m);
    const label = bytesOf(key.attrs, ck.CKA_LABEL)?.toString('utf8') ?? '';
    s.op = {
      kind: 'sign', mechanism: m.type, tokenId: s.tokenId, placement, keyName: `key ${label || placement.keyId}`,
      ...(info.hash ? { hash: newHash(info.hash), hashName: info.hash } : {}),
      ...(pss ? { pss } : {}), data: [], parts: false,
    };
    return undefined;
  },

  C_Sign: async (svc, app, a) => {
    const data = bytes(a, 'pData');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'sign');
    if (op.parts) throw new CkError(ck.CKR_OPERATION_ACTIVE);
    const early = lengthOnly(a, 'pSignature', op.placement.publicKey.bytes);
    if (early) return early;
    op.hash?.update(data);
    s.op = undefined;
    return produced('pSignature', await svc.sign(op, data));
  },

  C_SignUpdate: (svc, app, a) => {
    const data = bytes(a, 'pPart');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'sign');
    op.parts = true;
    if (op.hash) op.hash.update(data);
    else op.data.push(Buffer.from(data));
    return undefined;
  },

  C_SignFinal: async (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'sign');
    const early = lengthOnly(a, 'pSignature', op.placement.publicKey.bytes);
    if (early) return early;
    s.op = undefined;
    return produced('pSignature', await svc.sign(op, Buffer.concat(op.data)));
  },

  C_VerifyInit: (svc, app, a) => {
    const m = mechanism(a);
    const s = svc.session(app, a.hSession);
    noOperation(s);
    const info = mechanismFor(m.type, ck.CKF_VERIFY);
    const key = svc.object(s, a.hKey, ck.CKR_KEY_HANDLE_INVALID);
    // The key's purpose first, then its type, as SoftHSMv2 does: a public key has no CKA_SIGN.
    if (!boolOf(key.attrs, ck.CKA_VERIFY)) throw new CkError(ck.CKR_KEY_FUNCTION_NOT_PERMITTED);
    if (ulongOf(key.attrs, ck.CKA_CLASS) !== ck.CKO_PUBLIC_KEY || ulongOf(key.attrs, ck.CKA_KEY_TYPE) !== ck.CKK_RSA) {
      throw new CkError(ck.CKR_KEY_TYPE_INCONSISTENT);
    }
    allowed(key.attrs, m.type);
    const pub = rsaPublic(key.attrs);
    const pss = info.scheme === 'pss' ? pssParams(app.abi, m, info) : undefined;
    if (pss === undefined) noParams(m);
    s.op = {
      kind: 'verify', mechanism: m.type, key: pub.key, bits: pub.bits,
      ...(info.hash ? { hash: newHash(info.hash), hashName: info.hash } : {}),
      ...(pss ? { pss } : {}), data: [], parts: false,
    };
    return undefined;
  },

  C_Verify: (svc, app, a) => {
    const data = bytes(a, 'pData');
    const sig = bytes(a, 'pSignature');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'verify');
    if (op.parts) throw new CkError(ck.CKR_OPERATION_ACTIVE);
    s.op = undefined;
    op.hash?.update(data);
    verifyFinish(op, data, sig);
    return undefined;
  },

  C_VerifyUpdate: (svc, app, a) => {
    const data = bytes(a, 'pPart');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'verify');
    op.parts = true;
    if (op.hash) op.hash.update(data);
    else op.data.push(Buffer.from(data));
    return undefined;
  },

  C_VerifyFinal: (svc, app, a) => {
    const sig = bytes(a, 'pSignature');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'verify');
    s.op = undefined;
    verifyFinish(op, Buffer.concat(op.data), sig);
    return undefined;
  },

  C_EncryptInit: (svc, app, a) => {
    const m = mechanism(a);
    const s = svc.session(app, a.hSession);
    noOperation(s);
    mechanismFor(m.type, ck.CKF_ENCRYPT);
    const key = svc.object(s, a.hKey, ck.CKR_KEY_HANDLE_INVALID);
    // The key's purpose first, then its type, as SoftHSMv2 does: a public key has no CKA_SIGN.
    if (!boolOf(key.attrs, ck.CKA_ENCRYPT)) throw new CkError(ck.CKR_KEY_FUNCTION_NOT_PERMITTED);
    if (ulongOf(key.attrs, ck.CKA_CLASS) !== ck.CKO_PUBLIC_KEY || ulongOf(key.attrs, ck.CKA_KEY_TYPE) !== ck.CKK_RSA) {
      throw new CkError(ck.CKR_KEY_TYPE_INCONSISTENT);
    }
    allowed(key.attrs, m.type);
    const pub = rsaPublic(key.attrs);
    if (m.type === ck.CKM_RSA_PKCS_OAEP) {
      const { hash, label } = oaepParams(m);
      s.op = {
        kind: 'encrypt', key: pub.key, bytes: pub.bytes, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: hash, ...(label ? { label } : {}),
      };
    } else {
      noParams(m);
      s.op = { kind: 'encrypt', key: pub.key, bytes: pub.bytes, padding: cryptoConstants.RSA_PKCS1_PADDING };
    }
    return undefined;
  },

  C_Encrypt: (svc, app, a) => {
    const data = bytes(a, 'pData');
    const s = svc.session(app, a.hSession);
    const op = opOf(s, 'encrypt');
    const room = op.oaepHash ? op.bytes - 2 * HASH_LENGTH[op.oaepHash] - 2 : op.bytes - 11;
    if (data.length > room) throw new CkError(ck.CKR_DATA_LEN_RANGE);
    const early = lengthOnly(a, 'pEncryptedData', op.bytes);
    if (early) return early;
    s.op = undefined;
    return produced('pEncryptedData', publicEncrypt({
      key: op.key, padding: op.padding, ...(op.oaepHash ? { oaepHash: op.oaepHash } : {}),
      ...(op.label ? { oaepLabel: op.label } : {}),
    }, data));
  },

  C_GenerateKeyPair: async (svc, app, a) => {
    const m = mechanism(a);
    const pubTpl = template(a, 'pPublicKeyTemplate');
    const privTpl = template(a, 'pPrivateKeyTemplate');
    const s = svc.session(app, a.hSession);
    if (m.type !== ck.CKM_RSA_PKCS_KEY_PAIR_GEN) throw new CkError(ck.CKR_MECHANISM_INVALID);
    noParams(m);
    const h = await svc.generateRsa(s, parseTemplate(app.abi, pubTpl), parseTemplate(app.abi, privTpl));
    return { out: { phPublicKey: h.pub, phPrivateKey: h.priv } };
  },

  C_SeedRandom: (svc, app, a) => {
    bytes(a, 'pSeed');
    svc.session(app, a.hSession);
    // OpenSSL's CSPRNG needs no help; the seed is accepted and not used.
    return undefined;
  },

  C_GenerateRandom: (svc, app, a) => {
    const len = (a.pRandomData as { length: bigint }).length;
    svc.session(app, a.hSession);
    check(len <= 8n * 1024n * 1024n, ck.CKR_ARGUMENTS_BAD, 'at most 8 MiB per call');
    return { out: { pRandomData: { data: randomBytes(Number(len)) } } };
  },

  C_GetFunctionStatus: (svc, app, a) => {
    svc.session(app, a.hSession);
    return { rv: ck.CKR_FUNCTION_NOT_PARALLEL };
  },

  C_CancelFunction: (svc, app, a) => {
    svc.session(app, a.hSession);
    return { rv: ck.CKR_FUNCTION_NOT_PARALLEL };
  },

  C_SessionCancel: (svc, app, a) => {
    const s = svc.session(app, a.hSession);
    s.op = undefined;
    return undefined;
  },
};
