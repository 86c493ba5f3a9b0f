/**
 * Requests and replies of the shim ↔ service protocol, driven by the call table: nothing here is
 * per function. Request: u32 call id, u64 epoch, the arguments in table order. Reply: u32 call id,
 * u64 CK_RV, then the outputs in table order when the return value carries them (OK,
 * BUFFER_TOO_SMALL, and for C_GetAttributeValue ATTRIBUTE_SENSITIVE / ATTRIBUTE_TYPE_INVALID).
 */
import { type ArgKind, type Call, CALLS } from './calls.js';
import {
  type Attribute,
  type AttributeReply,
  type AttributeRequest,
  type Mechanism,
  ProtocolError,
  Reader,
  readMechanism,
  readOptionalBytes,
  readTemplate,
  UNAVAILABLE,
  Writer,
  writeMechanism,
  writeOptionalBytes,
  writeTemplate,
} from './wire.js';

export const CKR_OK = 0x0n;
export const CKR_ATTRIBUTE_SENSITIVE = 0x11n;
export const CKR_ATTRIBUTE_TYPE_INVALID = 0x12n;
export const CKR_BUFFER_TOO_SMALL = 0x150n;
const RV_WITH_OUTPUTS = new Set([CKR_OK, CKR_BUFFER_TOO_SMALL, CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID]);

/** Fixed PKCS#11 structures, field by field in declaration order. */
type Field = 'ulong' | 'version' | 'char16' | 'char32' | 'char64';
const STRUCTS = {
  'out-info': [['cryptokiVersion', 'version'], ['manufacturerID', 'char32'], ['flags', 'ulong'],
    ['libraryDescription', 'char32'], ['libraryVersion', 'version']],
  'out-slot-info': [['slotDescription', 'char64'], ['manufacturerID', 'char32'], ['flags', 'ulong'],
    ['hardwareVersion', 'version'], ['firmwareVersion', 'version']],
  'out-token-info': [['label', 'char32'], ['manufacturerID', 'char32'], ['model', 'char16'], ['serialNumber', 'char16'],
    ['flags', 'ulong'], ['maxSessionCount', 'ulong'], ['sessionCount', 'ulong'], ['maxRwSessionCount', 'ulong'],
    ['rwSessionCount', 'ulong'], ['maxPinLen', 'ulong'], ['minPinLen', 'ulong'], ['totalPublicMemory', 'ulong'],
    ['freePublicMemory', 'ulong'], ['totalPrivateMemory', 'ulong'], ['freePrivateMemory', 'ulong'],
    ['hardwareVersion', 'version'], ['firmwareVersion', 'version'], ['utcTime', 'char16']],
  'out-session-info': [['slotID', 'ulong'], ['state', 'ulong'], ['flags', 'ulong'], ['deviceError', 'ulong']],
  'out-mechanism-info': [['minKeySize', 'ulong'], ['maxKeySize', 'ulong'], ['flags', 'ulong']],
} as const satisfies Record<string, readonly (readonly [string, Field])[]>;
type StructKind = keyof typeof STRUCTS;

export interface Version {
  major: number;
  minor: number;
}
export type StructValue = Record<string, bigint | Version | string>;

/** What each kind carries in a request. Output-only kinds carry what the caller's buffers allow. */
export type RequestValue =
  | bigint // ulong
  | boolean // bool
  | Buffer // label32
  | null // bytes
  | { given: boolean; length: bigint } // out-bytes, out-ulongs
  | { length: bigint } // out-bytes-fixed
  | { max: bigint } // out-ulongs-max
  | Attribute[] // template
  | AttributeRequest[] // get-template
  | Mechanism // mechanism
  | undefined; // output-only and local kinds

/** What each kind carries in a reply. */
export type ReplyValue =
  | { length: bigint; data?: Buffer } // out-bytes
  | { data: Buffer } // out-bytes-fixed
  | { count: bigint; values?: bigint[] } // out-ulongs
  | { values: bigint[] } // out-ulongs-max
  | bigint // out-ulong
  | AttributeReply[] // get-template
  | StructValue; // out-*info

export type Args = Record<string, RequestValue>;
export type Outputs = Record<string, ReplyValue>;

const isStruct = (k: ArgKind): k is StructKind => k in STRUCTS;
const WIDTH: Record<Exclude<Field, 'ulong' | 'version'>, number> = { char16: 16, char32: 32, char64: 64 };

function callOf(id: number): Call {
  const c = CALLS[id];
  if (c === undefined) throw new ProtocolError(`unknown call id ${id}`);
  return c;
}

function shape(ok: boolean, what: string): asserts ok {
  if (!ok) throw new ProtocolError(`bad value for ${what}`);
}

// ---- requests ----------------------------------------------------------------------------------

export function encodeRequest(call: Call, epoch: bigint, args: Args): Buffer {
  const w = new Writer().u32(call.id).u64(epoch);
  for (const [name, kind] of call.args) {
    const v = args[name];
    const what = `${call.name}.${name}`;
    switch (kind) {
      case 'ulong':
        shape(typeof v === 'bigint', what);
        w.u64(v);
        break;
      case 'bool':
        shape(typeof v === 'boolean', what);
        w.u8(v ? 1 : 0);
        break;
      case 'bytes':
        shape(v === null || Buffer.isBuffer(v), what);
        writeOptionalBytes(w, v);
        break;
      case 'label32':
        shape(Buffer.isBuffer(v) && v.length === 32, what);
        w.raw(v);
        break;
      case 'out-bytes':
      case 'out-ulongs': {
        const o = v as { given: boolean; length: bigint };
        w.u8(o.given ? 1 : 0).u64(o.length);
        break;
      }
      case 'out-bytes-fixed':
        w.u64((v as { length: bigint }).length);
        break;
      case 'out-ulongs-max':
        w.u64((v as { max: bigint }).max);
        break;
      case 'template':
        writeTemplate(w, v as Attribute[]);
        break;
      case 'get-template': {
        const t = v as AttributeRequest[];
        w.u32(t.length);
        for (const a of t) w.u64(a.type).u8(a.given ? 1 : 0).u64(a.length);
        break;
      }
      case 'mechanism':
        writeMechanism(w, v as Mechanism | null);
        break;
      default:
        break; // output-only and local kinds send nothing
    }
  }
  return w.finish();
}

export function decodeRequest(buf: Buffer): { call: Call; epoch: bigint; args: Args } {
  const r = new Reader(buf);
  const call = callOf(r.u32());
  const epoch = r.u64();
  const args: Args = {};
  for (const [name, kind] of call.args) {
    switch (kind) {
      case 'ulong':
        args[name] = r.u64();
        break;
      case 'bool':
        args[name] = r.bool();
        break;
      case 'bytes':
        args[name] = readOptionalBytes(r);
        break;
      case 'label32':
        args[name] = r.raw(32);
        break;
      case 'out-bytes':
      case 'out-ulongs':
        args[name] = { given: r.bool(), length: r.u64() };
        break;
      case 'out-bytes-fixed':
        args[name] = { length: r.u64() };
        break;
      case 'out-ulongs-max':
        args[name] = { max: r.u64() };
        break;
      case 'template':
        args[name] = readTemplate(r);
        break;
      case 'get-template': {
        const n = r.u32();
        if (n > 4096) throw new ProtocolError('template too long');
        args[name] = Array.from({ length: n }, () => ({ type: r.u64(), given: r.bool(), length: r.u64() }));
        break;
      }
      case 'mechanism':
        args[name] = readMechanism(r);
        break;
      default:
        break;
    }
  }
  r.end();
  return { call, epoch, args };
}

// ---- replies -----------------------------------------------------------------------------------

function writeStruct(w: Writer, kind: StructKind, v: StructValue, what: string): void {
  for (const [field, type] of STRUCTS[kind]) {
    const x = v[field];
    if (type === 'ulong') {
      shape(typeof x === 'bigint', `${what}.${field}`);
      w.u64(x);
    } else if (type === 'version') {
      const ver = x as Version;
      w.u8(ver.major).u8(ver.minor);
    } else {
      // PKCS#11 strings: fixed width, blank padded, not NUL terminated.
      const b = Buffer.from(typeof x === 'string' ? x : '', 'utf8');
      shape(b.length <= WIDTH[type], `${what}.${field}`);
      w.raw(Buffer.concat([b, Buffer.alloc(WIDTH[type] - b.length, 0x20)]));
    }
  }
}

function readStruct(r: Reader, kind: StructKind): StructValue {
  const out: StructValue = {};
  for (const [field, type] of STRUCTS[kind]) {
    if (type === 'ulong') out[field] = r.u64();
    else if (type === 'version') out[field] = { major: r.u8(), minor: r.u8() };
    else out[field] = r.raw(WIDTH[type]).toString('utf8').replace(/ +$/, '');
  }
  return out;
}

export function encodeReply(call: Call, rv: bigint, outputs: Outputs): Buffer {
  const w = new Writer().u32(call.id).u64(rv);
  if (!RV_WITH_OUTPUTS.has(rv)) return w.finish();
  for (const [name, kind] of call.args) {
    const v = outputs[name];
    const what = `${call.name}.${name}`;
    if (isStruct(kind)) {
      writeStruct(w, kind, v as StructValue, what);
      continue;
    }
    switch (kind) {
      case 'out-bytes': {
        const o = v as { length: bigint; data?: Buffer };
        w.u64(o.length).u8(o.data ? 1 : 0);
        if (o.data) w.bytes(o.data);
        break;
      }
      case 'out-bytes-fixed':
        w.bytes((v as { data: Buffer }).data);
        break;
      case 'out-ulongs': {
        const o = v as { count: bigint; values?: bigint[] };
        w.u64(o.count).u8(o.values ? 1 : 0);
        if (o.values) for (const x of o.values) w.u64(x);
        break;
      }
      case 'out-ulongs-max': {
        const vals = (v as { values: bigint[] }).values;
        w.u64(BigInt(vals.length));
        for (const x of vals) w.u64(x);
        break;
      }
      case 'out-ulong':
        shape(typeof v === 'bigint', what);
        w.u64(v);
        break;
      case 'get-template': {
        const t = v as AttributeReply[];
        w.u32(t.length);
        for (const a of t) {
          w.u64(a.length).u8(a.value ? 1 : 0);
          if (a.value) w.bytes(a.value);
        }
        break;
      }
      default:
        break; // input-only kinds reply nothing
    }
  }
  return w.finish();
}

export function decodeReply(call: Call, buf: Buffer): { rv: bigint; outputs: Outputs } {
  const r = new Reader(buf);
  if (r.u32() !== call.id) throw new ProtocolError('reply to another call');
  const rv = r.u64();
  const outputs: Outputs = {};
  if (RV_WITH_OUTPUTS.has(rv)) {
    for (const [name, kind] of call.args) {
      if (isStruct(kind)) {
        outputs[name] = readStruct(r, kind);
        continue;
      }
      switch (kind) {
        case 'out-bytes': {
          const length = r.u64();
          outputs[name] = r.bool() ? { length, data: r.bytes() } : { length };
          break;
        }
        case 'out-bytes-fixed':
          outputs[name] = { data: r.bytes() };
          break;
        case 'out-ulongs': {
          const count = r.u64();
          if (count > 1_000_000n) throw new ProtocolError('list too long');
          outputs[name] = r.bool()
            ? { count, values: Array.from({ length: Number(count) }, () => r.u64()) }
            : { count };
          break;
        }
        case 'out-ulongs-max': {
          const n = r.u64();
          if (n > 1_000_000n) throw new ProtocolError('list too long');
          outputs[name] = { values: Array.from({ length: Number(n) }, () => r.u64()) };
          break;
        }
        case 'out-ulong':
          outputs[name] = r.u64();
          break;
        case 'get-template': {
          const n = r.u32();
          if (n > 4096) throw new ProtocolError('template too long');
          outputs[name] = Array.from({ length: n }, () => {
            const length = r.u64();
            return r.bool() ? { length, value: r.bytes() } : { length };
          });
          break;
        }
        default:
          break;
      }
    }
  }
  r.end();
  return { rv, outputs };
}

export { UNAVAILABLE };
