/**
 * Bytes of the shim ↔ service protocol, version 1 (docs/protocol.md): frames, the handshake, and
 * every argument kind of the call table in both directions. The service uses the request decoders
 * and reply encoders; the request encoders and reply decoders are the shim's half in TypeScript,
 * for tests and tools (the C shim is generated from the same table).
 */

export const PROTOCOL_VERSION = 1;
export const MAGIC = Buffer.from('KFN1', 'ascii');
export const MAX_FRAME = 16 * 1024 * 1024;
/** CK_UNAVAILABLE_INFORMATION as the wire carries it (u64 all ones). */
export const UNAVAILABLE = 0xffff_ffff_ffff_ffffn;
/** CKF_ARRAY_ATTRIBUTE: attributes whose value is itself a template (CKA_WRAP_TEMPLATE…). */
export const CKF_ARRAY_ATTRIBUTE = 0x4000_0000n;
const MAX_TEMPLATE = 4096;
const MAX_NESTING = 4;

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export class Writer {
  readonly #parts: Buffer[] = [];

  u8(v: number): this {
    this.#parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v, 0);
    this.#parts.push(b);
    return this;
  }

  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v, 0);
    this.#parts.push(b);
    return this;
  }

  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, v), 0);
    this.#parts.push(b);
    return this;
  }

  raw(b: Uint8Array): this {
    this.#parts.push(Buffer.from(b));
    return this;
  }

  /** u32 length and the bytes. */
  bytes(b: Uint8Array): this {
    return this.u32(b.length).raw(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export class Reader {
  #at = 0;
  constructor(readonly buf: Buffer) {}

  #take(n: number): Buffer {
    if (n < 0 || this.#at + n > this.buf.length) throw new ProtocolError('message truncated');
    const out = this.buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  u8(): number {
    return this.#take(1).readUInt8(0);
  }

  u16(): number {
    return this.#take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.#take(4).readUInt32BE(0);
  }

  u64(): bigint {
    return this.#take(8).readBigUInt64BE(0);
  }

  raw(n: number): Buffer {
    return Buffer.from(this.#take(n));
  }

  bytes(): Buffer {
    return this.raw(this.u32());
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new ProtocolError('boolean out of range');
    return v === 1;
  }

  /** Every byte must have been read: trailing bytes mean the two sides disagree. */
  end(): void {
    if (this.#at !== this.buf.length) throw new ProtocolError('trailing bytes in message');
  }
}

/** u32 big-endian length, then the payload. */
export function frame(payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME) throw new ProtocolError('frame too large');
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length, 0);
  return Buffer.concat([h, payload]);
}

/** Splits a byte stream into frames; throws ProtocolError on a frame over the limit. */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    while (this.#buf.length >= 4) {
      const len = this.#buf.readUInt32BE(0);
      if (len > MAX_FRAME) throw new ProtocolError(`frame of ${len} bytes exceeds the limit`);
      if (this.#buf.length < 4 + len) break;
      out.push(this.#buf.subarray(4, 4 + len));
      this.#buf = this.#buf.subarray(4 + len);
    }
    return out;
  }
}

export interface Hello {
  version: number;
  ulongSize: 4 | 8;
  byteOrder: 'little' | 'big';
  pid: number;
  /**
   * Random, chosen by the shim at each C_Initialize: names one application's PKCS#11 session (its
   * login state and sessions), so C_Finalize/C_Initialize starts afresh and a forked child is apart.
   */
  instance: bigint;
}

export function encodeHello(h: Hello): Buffer {
  return new Writer()
    .raw(MAGIC)
    .u16(h.version)
    .u8(h.ulongSize)
    .u8(h.byteOrder === 'little' ? 1 : 2)
    .u32(h.pid)
    .u64(h.instance)
    .finish();
}

export function decodeHello(b: Buffer): Hello {
  const r = new Reader(b);
  if (!r.raw(4).equals(MAGIC)) throw new ProtocolError('not a kofn client');
  const version = r.u16();
  const ulongSize = r.u8();
  const order = r.u8();
  const pid = r.u32();
  const instance = r.u64();
  r.end();
  if (ulongSize !== 4 && ulongSize !== 8) throw new ProtocolError(`unsupported sizeof(CK_ULONG) ${ulongSize}`);
  if (order !== 1 && order !== 2) throw new ProtocolError('unknown byte order');
  return { version, ulongSize, byteOrder: order === 1 ? 'little' : 'big', pid, instance };
}

export interface Welcome {
  /** 0 refuses the connection. */
  version: number;
  epoch: bigint;
}

export function encodeWelcome(w: Welcome): Buffer {
  return new Writer().raw(MAGIC).u16(w.version).u64(w.epoch).finish();
}

export function decodeWelcome(b: Buffer): Welcome {
  const r = new Reader(b);
  if (!r.raw(4).equals(MAGIC)) throw new ProtocolError('not a kofn service');
  const w = { version: r.u16(), epoch: r.u64() };
  r.end();
  return w;
}

// ---- values of the argument kinds ------------------------------------------------------------

export interface Attribute {
  type: bigint;
  /** null: the pointer was NULL; an array for CKF_ARRAY_ATTRIBUTE types. */
  value: Buffer | Attribute[] | null;
}

export interface AttributeRequest {
  type: bigint;
  /** Whether the caller gave a buffer, and its length. */
  given: boolean;
  length: bigint;
}

export interface AttributeReply {
  /** The value's length, or UNAVAILABLE. */
  length: bigint;
  value?: Buffer;
}

export type MechanismParam =
  | { form: 'none' }
  | { form: 'raw'; bytes: Buffer }
  | { form: 'pss'; hashAlg: bigint; mgf: bigint; sLen: bigint }
  | { form: 'oaep'; hashAlg: bigint; mgf: bigint; source: bigint; sourceData: Buffer | null }
  | { form: 'gcm'; iv: Buffer; ivBits: bigint; aad: Buffer; tagBits: bigint }
  | { form: 'eddsa'; phFlag: boolean; context: Buffer };

export interface Mechanism {
  type: bigint;
  param: MechanismParam;
}

export function writeOptionalBytes(w: Writer, b: Buffer | null): void {
  w.u8(b === null ? 0 : 1).bytes(b ?? Buffer.alloc(0));
}

export function readOptionalBytes(r: Reader): Buffer | null {
  const given = r.bool();
  const b = r.bytes();
  if (!given && b.length > 0) throw new ProtocolError('bytes for a NULL pointer');
  return given ? b : null;
}

export function writeTemplate(w: Writer, t: readonly Attribute[], depth = 0): void {
  if (depth > MAX_NESTING) throw new ProtocolError('template nested too deeply');
  w.u32(t.length);
  for (const a of t) {
    w.u64(a.type);
    if (Array.isArray(a.value)) {
      w.u8(1);
      writeTemplate(w, a.value, depth + 1);
    } else {
      writeOptionalBytes(w, a.value);
    }
  }
}

export function readTemplate(r: Reader, depth = 0): Attribute[] {
  if (depth > MAX_NESTING) throw new ProtocolError('template nested too deeply');
  const n = r.u32();
  if (n > MAX_TEMPLATE) throw new ProtocolError('template too long');
  const out: Attribute[] = [];
  for (let i = 0; i < n; i++) {
    const type = r.u64();
    if ((type & CKF_ARRAY_ATTRIBUTE) !== 0n) {
      if (!r.bool()) throw new ProtocolError('array attribute without a value');
      out.push({ type, value: readTemplate(r, depth + 1) });
    } else {
      out.push({ type, value: readOptionalBytes(r) });
    }
  }
  return out;
}

const FORMS = ['none', 'raw', 'pss', 'oaep', 'gcm', 'eddsa'] as const;

export function writeMechanism(w: Writer, m: Mechanism | null): void {
  w.u8(m === null ? 0 : 1);
  if (m === null) return;
  w.u64(m.type).u8(FORMS.indexOf(m.param.form));
  const p = m.param;
  switch (p.form) {
    case 'none':
      return;
    case 'raw':
      w.bytes(p.bytes);
      return;
    case 'pss':
      w.u64(p.hashAlg).u64(p.mgf).u64(p.sLen);
      return;
    case 'oaep':
      w.u64(p.hashAlg).u64(p.mgf).u64(p.source);
      writeOptionalBytes(w, p.sourceData);
      return;
    case 'gcm':
      w.bytes(p.iv).u64(p.ivBits).bytes(p.aad).u64(p.tagBits);
      return;
    case 'eddsa':
      w.u8(p.phFlag ? 1 : 0).bytes(p.context);
      return;
  }
}

export function readMechanism(r: Reader): Mechanism | null {
  if (!r.bool()) return null;
  const type = r.u64();
  const form = FORMS[r.u8()];
  switch (form) {
    case 'none':
      return { type, param: { form } };
    case 'raw':
      return { type, param: { form, bytes: r.bytes() } };
    case 'pss':
      return { type, param: { form, hashAlg: r.u64(), mgf: r.u64(), sLen: r.u64() } };
    case 'oaep':
      return {
        type,
        param: { form, hashAlg: r.u64(), mgf: r.u64(), source: r.u64(), sourceData: readOptionalBytes(r) },
      };
    case 'gcm':
      return { type, param: { form, iv: r.bytes(), ivBits: r.u64(), aad: r.bytes(), tagBits: r.u64() } };
    case 'eddsa':
      return { type, param: { form, phFlag: r.bool(), context: r.bytes() } };
    default:
      throw new ProtocolError('unknown mechanism parameter form');
  }
}
