/**
 * Just enough DER to take an RSA private key apart (PKCS#8 PrivateKeyInfo, RFC 5958; PKCS#1
 * RSAPrivateKey, RFC 8017 appendix A.1.2). The primes come out as Buffers of their own that the
 * caller can zero; nothing secret becomes a string or a BigInt on the way.
 */

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const OID = 0x06;

/** rsaEncryption, 1.2.840.113549.1.1.1 */
const RSA_ENCRYPTION = Buffer.from('2a864886f70d010101', 'hex');
/** id-RSASSA-PSS, 1.2.840.113549.1.1.10 */
const RSASSA_PSS = Buffer.from('2a864886f70d01010a', 'hex');

export class DerError extends Error {
  override readonly name = 'DerError';
}

interface Tlv {
  tag: number;
  /** Content: [start, end) of the buffer being read. */
  start: number;
  end: number;
}

/** One TLV at `pos`, which must end by `limit`. Definite lengths only, low tag numbers only (DER). */
function tlv(der: Buffer, pos: number, limit: number): Tlv {
  const tag = der[pos];
  const first = der[pos + 1];
  if (tag === undefined || first === undefined || pos + 2 > limit) throw new DerError('truncated');
  if ((tag & 0x1f) === 0x1f) throw new DerError('unexpected high tag number');
  let start = pos + 2;
  let len = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 3) throw new DerError('unsupported length');
    len = 0;
    for (let i = 0; i < count; i++) {
      const b = der[start + i];
      if (b === undefined) throw new DerError('truncated');
      len = len * 256 + b;
    }
    start += count;
  }
  const end = start + len;
  if (end > limit) throw new DerError('truncated');
  return { tag, start, end };
}

/** Reads the elements of a constructed value in order. */
class Reader {
  #pos: number;

  constructor(
    private readonly der: Buffer,
    start: number,
    private readonly limit: number,
  ) {
    this.#pos = start;
  }

  get done(): boolean {
    return this.#pos >= this.limit;
  }

  next(tag: number, what: string): Tlv {
    if (this.done) throw new DerError(`${what} missing`);
    const t = tlv(this.der, this.#pos, this.limit);
    if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
    this.#pos = t.end;
    return t;
  }
}

/** A non-negative INTEGER's magnitude, without leading zero octets. */
function magnitude(der: Buffer, t: Tlv, what: string): { start: number; end: number } {
  let { start } = t;
  if (start === t.end) throw new DerError(`${what}: empty INTEGER`);
  if ((der[start] ?? 0) & 0x80) throw new DerError(`${what}: negative INTEGER`);
  while (start < t.end - 1 && der[start] === 0) start++;
  return { start, end: t.end };
}

function publicInteger(der: Buffer, t: Tlv, what: string): bigint {
  const m = magnitude(der, t, what);
  return BigInt(`0x${der.subarray(m.start, m.end).toString('hex')}`);
}

/** A copy the caller owns (and must zero), so that wiping the DER does not wipe the prime. */
function secretInteger(der: Buffer, t: Tlv, what: string): Buffer {
  const m = magnitude(der, t, what);
  const out = Buffer.alloc(m.end - m.start);
  der.copy(out, 0, m.start, m.end);
  return out;
}

function smallInteger(der: Buffer, t: Tlv, what: string): number {
  if (t.end - t.start > 4) throw new DerError(`${what}: too large`);
  return Number(publicInteger(der, t, what));
}

/** Dotted form of an OBJECT IDENTIFIER's content, for error messages. */
function dotted(bytes: Buffer): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

const KNOWN_ALGORITHMS: Record<string, string> = {
  '1.2.840.10045.2.1': 'an EC',
  '1.3.101.112': 'an Ed25519',
  '1.3.101.113': 'an Ed448',
  '1.2.840.10040.4.1': 'a DSA',
};

export interface RsaPrivateParts {
  n: bigint;
  e: bigint;
  /** Big-endian, fresh Buffers: the caller zeroes them. */
  p: Buffer;
  q: Buffer;
}

/**
 * RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, prime1, prime2,
 * exponent1, exponent2, coefficient, otherPrimeInfos OPTIONAL }. Two-prime keys only (version 0).
 */
export function parseRsaPrivateKey(der: Buffer, start = 0, end = der.length): RsaPrivateParts {
  const outer = tlv(der, start, end);
  if (outer.tag !== SEQUENCE || outer.end !== end) throw new DerError('RSAPrivateKey is not one SEQUENCE');
  const r = new Reader(der, outer.start, outer.end);
  const version = smallInteger(der, r.next(INTEGER, 'version'), 'version');
  if (version === 1) throw new DerError('a multi-prime RSA key (more than two primes): kofn shares two-prime keys');
  if (version !== 0) throw new DerError(`RSAPrivateKey version ${version}`);
  const n = publicInteger(der, r.next(INTEGER, 'modulus'), 'modulus');
  const e = publicInteger(der, r.next(INTEGER, 'publicExponent'), 'publicExponent');
  r.next(INTEGER, 'privateExponent');
  const p = secretInteger(der, r.next(INTEGER, 'prime1'), 'prime1');
  let q: Buffer;
  try {
    q = secretInteger(der, r.next(INTEGER, 'prime2'), 'prime2');
  } catch (err) {
    p.fill(0);
    throw err;
  }
  return { n, e, p, q };
}

/**
 * PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING privateKey, ... } with
 * rsaEncryption; anything else (an RSA-PSS-only key included: DNSSEC signs with PKCS#1 v1.5) is
 * refused with a DerError saying what it is. `zeroPadded` accepts up to 7 zero octets after the
 * SEQUENCE, as SoftHSM2 2.6.1 leaves them: it pads the PKCS#8 to a multiple of 8 octets before
 * CKM_AES_KEY_WRAP_PAD, whose own padding then covers only what is already aligned.
 */
export function parsePkcs8RsaPrivateKey(der: Buffer, zeroPadded = false): RsaPrivateParts {
  const outer = tlv(der, 0, der.length);
  const tail = der.subarray(outer.end);
  const padding = zeroPadded && tail.length < 8 && tail.every((b) => b === 0);
  if (outer.tag !== SEQUENCE || (tail.length > 0 && !padding)) throw new DerError('PrivateKeyInfo is not one SEQUENCE');
  const r = new Reader(der, outer.start, outer.end);
  const version = smallInteger(der, r.next(INTEGER, 'version'), 'version');
  if (version !== 0 && version !== 1) throw new DerError(`PrivateKeyInfo version ${version}`);
  const alg = r.next(SEQUENCE, 'privateKeyAlgorithm');
  const oidTlv = new Reader(der, alg.start, alg.end).next(OID, 'algorithm');
  const oid = der.subarray(oidTlv.start, oidTlv.end);
  if (oid.equals(RSASSA_PSS)) {
    throw new DerError('an RSA-PSS key (restricted to PSS signatures): DNSSEC RSA signs with PKCS#1 v1.5');
  }
  if (!oid.equals(RSA_ENCRYPTION)) {
    const name = dotted(oid);
    throw new DerError(`${KNOWN_ALGORITHMS[name] ?? `an algorithm ${name}`} key, not RSA: kofn shares RSA keys only`);
  }
  const key = r.next(OCTET_STRING, 'privateKey');
  return parseRsaPrivateKey(der, key.start, key.end);
}
