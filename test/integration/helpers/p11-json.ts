/** JSON for the test ↔ pkcs11js driver lines: Buffers as {$buf: hex}, bigints as {$big: decimal}. */

export const encode = (_key: string, v: unknown): unknown => {
  if (typeof v === 'bigint') return { $big: v.toString() };
  // JSON.stringify has already turned a Buffer into {type: 'Buffer', data: [...]}.
  const b = v as { type?: unknown; data?: unknown } | null;
  if (b !== null && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data)) {
    return { $buf: Buffer.from(b.data as number[]).toString('hex') };
  }
  return v;
};

export const decode = (_key: string, v: unknown): unknown => {
  const o = v as { $buf?: unknown; $big?: unknown } | null;
  if (o !== null && typeof o === 'object' && typeof o.$buf === 'string') return Buffer.from(o.$buf, 'hex');
  if (o !== null && typeof o === 'object' && typeof o.$big === 'string') return BigInt(o.$big);
  return v;
};
