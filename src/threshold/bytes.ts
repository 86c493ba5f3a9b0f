/** Integer <-> octet string conversions of RFC 8017 section 4, for public values only. */

export function bitLength(x: bigint): number {
  if (x < 0n) throw new RangeError('bitLength of a negative number');
  return x === 0n ? 0 : x.toString(2).length;
}

export function byteLength(x: bigint): number {
  return Math.ceil(bitLength(x) / 8);
}

/** I2OSP: x as exactly `len` big-endian bytes. */
export function i2osp(x: bigint, len: number): Buffer {
  if (x < 0n) throw new RangeError('i2osp of a negative number');
  const hex = x.toString(16);
  if (hex.length > len * 2) throw new RangeError('integer too large');
  return Buffer.from(hex.padStart(len * 2, '0'), 'hex');
}

/** OS2IP: big-endian bytes to a non-negative integer. */
export function os2ip(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** A 4-byte big-endian length followed by the bytes: the unambiguous framing used in hash inputs. */
export function lengthPrefixed(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, 4);
  return out;
}
