/**
 * DNSKEY and DS records for an RSA key, so the ceremony can print what goes into the zone and to the
 * parent. RSA public key in DNSKEY RDATA: RFC 3110 section 2; key tag: RFC 4034 Appendix B; DS
 * digest over owner name ‖ DNSKEY RDATA: RFC 4034 section 5.1.4, SHA-256 per RFC 4509.
 */
import { createHash } from 'node:crypto';
import { byteLength, i2osp } from '../threshold/bytes.js';

/** DNSSEC algorithm numbers kofn can sign for (RFC 8624): RSA only, until the EC schemes exist. */
export const RSA_ALGORITHMS: Readonly<Record<number, { name: string; hash: 'sha1' | 'sha256' | 'sha512' }>> = {
  5: { name: 'RSASHA1', hash: 'sha1' },
  7: { name: 'RSASHA1-NSEC3-SHA1', hash: 'sha1' },
  8: { name: 'RSASHA256', hash: 'sha256' },
  10: { name: 'RSASHA512', hash: 'sha512' },
};

export const KSK_FLAGS = 257;
export const ZSK_FLAGS = 256;

export interface DnssecRecords {
  owner: string;
  flags: number;
  algorithm: number;
  keyTag: number;
  /** DNSKEY RDATA in wire format. */
  rdata: Buffer;
  dnskey: string;
  /** DS with SHA-256 (digest type 2); only meaningful for a key with the SEP flag, but given for any. */
  ds: string;
}

/** Big-endian without leading zero octets, as RFC 3110 wants both numbers. */
function bytesOf(x: bigint): Buffer {
  return i2osp(x, Math.max(1, byteLength(x)));
}

/** RFC 3110: exponent length (one octet, or zero then two), exponent, modulus, without leading zeros. */
export function rsaPublicKeyRdata(n: bigint, e: bigint): Buffer {
  const eb = bytesOf(e);
  const prefix = eb.length < 256 ? Buffer.from([eb.length]) : Buffer.from([0, eb.length >> 8, eb.length & 0xff]);
  return Buffer.concat([prefix, eb, bytesOf(n)]);
}

/** RFC 4034 Appendix B (for algorithms other than 1). */
export function keyTag(rdata: Buffer): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += (i & 1) === 1 ? (rdata[i] ?? 0) : (rdata[i] ?? 0) << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** Canonical wire form of a domain name (RFC 4034 section 6.2: lower case, uncompressed). */
export function nameWire(owner: string): Buffer {
  const name = owner.endsWith('.') ? owner.slice(0, -1) : owner;
  const parts: Buffer[] = [];
  for (const label of name === '' ? [] : name.split('.')) {
    const b = Buffer.from(label.toLowerCase(), 'ascii');
    if (b.length === 0 || b.length > 63) throw new Error(`${owner}: labels must be 1 to 63 octets`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new Error(`${owner}: a name is at most 255 octets`);
  return wire;
}

export function fqdn(owner: string): string {
  return owner.endsWith('.') ? owner.toLowerCase() : `${owner.toLowerCase()}.`;
}

export interface RecordInput { owner: string; flags: number; algorithm: number; n: bigint; e: bigint; ttl?: number }

export function dnssecRecords(o: RecordInput): DnssecRecords {
  if (RSA_ALGORITHMS[o.algorithm] === undefined) throw new Error(`DNSSEC algorithm ${o.algorithm} is not an RSA one`);
  const key = rsaPublicKeyRdata(o.n, o.e);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(o.flags, 0);
  head[2] = 3; // protocol, RFC 4034 section 2.1.2
  head[3] = o.algorithm;
  const rdata = Buffer.concat([head, key]);
  const tag = keyTag(rdata);
  const owner = fqdn(o.owner);
  const ttl = o.ttl ?? 3600;
  const digest = createHash('sha256').update(nameWire(owner)).update(rdata).digest('hex').toUpperCase();
  return {
    owner, flags: o.flags, algorithm: o.algorithm, keyTag: tag, rdata,
    dnskey: `${owner} ${ttl} IN DNSKEY ${o.flags} 3 ${o.algorithm} ${key.toString('base64')}`,
    ds: `${owner} ${ttl} IN DS ${tag} ${o.algorithm} 2 ${digest}`,
  };
}
