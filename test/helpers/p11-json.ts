/**
 * What travels between the conformance tests (mocha's process) and test/helpers/p11-child.ts
 * (the process that loads the PKCS#11 module): JSON, with Buffers as {"$b": "hex"} both ways.
 * Kept apart from the child so that importing it loads no PKCS#11 binding into mocha's process.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function encode(v: unknown): Json {
  if (Buffer.isBuffer(v)) return { $b: v.toString('hex') };
  if (v === undefined) return null;
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(encode);
  if (typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encode(x);
    return out;
  }
  throw new TypeError(`cannot encode a ${typeof v}`);
}

export function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$b === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$b, 'hex');
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = decode(x);
    return out;
  }
  return v;
}

/** One call to the child in rpc mode, and its answer. */
export interface RpcRequest {
  id: number;
  fn: string;
  args: Json[];
}

export type RpcReply =
  | { id: number; ok: Json }
  | { id: number; ckr: string; code: number }
  | { id: number; error: string };

/** Input of the child's graphene scenario. */
export interface GrapheneArgs {
  tokenLabel: string;
  userPin: string;
  /** hex CKA_ID of the key pair to generate */
  id: string;
  label: string;
  /** hex data to sign */
  data: string;
}

/** Output of the child's graphene scenario. */
export interface GrapheneResult {
  modulus: string;
  publicExponent: string;
  signature: string;
  verified: boolean;
  tamperedVerified: boolean;
  /** objects with the new CKA_ID that session.find() sees */
  found: number;
}
