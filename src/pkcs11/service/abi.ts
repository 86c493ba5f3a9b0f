/**
 * The client's ABI for attribute values: CK_ULONG-valued attributes arrive in the shim's
 * sizeof(CK_ULONG) and byte order (docs/protocol.md, handshake). The service keeps them canonical
 * (u64 big-endian) and converts at the edge.
 */
import * as ck from '../ck.js';
import { CkError } from './errors.js';

export interface Abi {
  ulongSize: 4 | 8;
  byteOrder: 'little' | 'big';
}

export const HOST_ABI: Abi = { ulongSize: 8, byteOrder: 'little' };

/** Client bytes → bigint; wrong length is CKR_ATTRIBUTE_VALUE_INVALID. */
export function readUlong(abi: Abi, b: Buffer): bigint {
  if (b.length !== abi.ulongSize) throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, 'CK_ULONG of the wrong size');
  if (abi.ulongSize === 8) return abi.byteOrder === 'little' ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0);
  return BigInt(abi.byteOrder === 'little' ? b.readUInt32LE(0) : b.readUInt32BE(0));
}

export function writeUlong(abi: Abi, v: bigint): Buffer {
  const b = Buffer.alloc(abi.ulongSize);
  if (abi.ulongSize === 8) {
    if (abi.byteOrder === 'little') b.writeBigUInt64LE(v, 0);
    else b.writeBigUInt64BE(v, 0);
  } else {
    // Values wider than the client's CK_ULONG cannot be represented; none of ours are.
    const n = Number(BigInt.asUintN(32, v));
    if (abi.byteOrder === 'little') b.writeUInt32LE(n, 0);
    else b.writeUInt32BE(n, 0);
  }
  return b;
}

/** Raw mechanism parameter structures (form 1) are laid out in the client's ABI. */
export function readUlongAt(abi: Abi, b: Buffer, index: number): bigint {
  const at = index * abi.ulongSize;
  if (at + abi.ulongSize > b.length) throw new CkError(ck.CKR_MECHANISM_PARAM_INVALID, 'parameter too short');
  return readUlong(abi, b.subarray(at, at + abi.ulongSize));
}
