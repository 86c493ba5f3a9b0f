import assert from 'node:assert/strict';
import { checkPrimeSync, createHash, createPrivateKey, generateKeyPairSync, generatePrimeSync, type KeyObject, sign, verify } from 'node:crypto';
import {
  dealFromPrimes,
  dealImported,
  type DealtKey,
  KeyShare,
  signWithShares,
  ThresholdError,
  verifyShareProof,
  messageRepresentative,
} from '../../../src/threshold/rsa/index.js';
import { native } from '../../../src/threshold/native.js';
import { destroyAll, subsets } from '../../helpers/keys.js';

const message = Buffer.from('example.com. 3600 IN DNSKEY 257 3 8 AwEAAa...');
const digest = createHash('sha256').update(message).digest();

interface Rsa {
  publicKey: KeyObject;
  privateKey: KeyObject;
  n: bigint;
  /** Fresh copies each time: the dealer zeroes what it is given. */
  primes(): [Buffer, Buffer];
}

function rsa(bits: number, publicExponent = 65537): Rsa {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent });
  const jwk = privateKey.export({ format: 'jwk' });
  const b = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');
  return {
    publicKey, privateKey, n: BigInt(`0x${b(jwk.n).toString('hex')}`),
    primes: () => [b(jwk.p), b(jwk.q)],
  };
}

const big = (b: Buffer) => BigInt(`0x${b.toString('hex')}`);
const zeroed = (b: Buffer) => b.length > 0 && b.every((x) => x === 0);

function refused(f: () => unknown, message: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof ThresholdError, String(err));
    assert.equal(err.code, 'INVALID_PARAMETERS');
    assert.match(err.message, message);
    return true;
  });
}

describe('Dealing an imported RSA key over λ(n)', function () {
  this.timeout(120_000);
  let key: Rsa;
  let dealt: DealtKey;
  let p: Buffer;
  let q: Buffer;

  before(() => {
    key = rsa(2048);
    [p, q] = key.primes();
    dealt = dealImported(p, q, { e: 65537n, shares: 5, threshold: 3, n: key.n });
  });

  after(() => destroyAll(dealt));

  it('starts from primes that are not safe primes, which the safe-prime dealer refuses', () => {
    const [p1, q1] = key.primes();
    assert.ok(!checkPrimeSync((big(p1) - 1n) / 2n) || !checkPrimeSync((big(q1) - 1n) / 2n));
    refused(() => dealFromPrimes(p1, q1, { bits: 2048, shares: 5, threshold: 3 }), /safe primes/);
  });

  it('keeps the original modulus and exponent and marks the sharing as lambda', () => {
    assert.equal(dealt.publicKey.n, key.n);
    assert.equal(dealt.publicKey.e, 65537n);
    assert.equal(dealt.publicKey.bits, 2048);
    assert.equal(dealt.sharing, 'lambda');
    assert.deepEqual(dealt.warnings, []);
  });

  it('zeroes the primes it was given', () => {
    assert.ok(zeroed(p) && zeroed(q));
  });

  it('gives shares that each import against their verification key v_i, below n', () => {
    for (const share of dealt.shares) {
      const bytes = share.exportSecret();
      assert.equal(bytes.length, dealt.publicKey.bytes);
      assert.ok(big(bytes) > 0n && big(bytes) < dealt.publicKey.n);
      KeyShare.import(dealt.publicKey, share.index, bytes).destroy();
      assert.ok(zeroed(bytes));
    }
  });

  it('refuses a share presented under another index', () => {
    const bytes = dealt.shares[0]?.exportSecret() ?? Buffer.alloc(0);
    assert.throws(() => KeyShare.import(dealt.publicKey, 2, bytes), { code: 'INVALID_SHARE' });
  });

  it('signs with every 3 of the 5 shares, and the signature is the original key\'s own', async () => {
    const expected = sign('sha256', message, key.privateKey);
    for (const subset of subsets(dealt.shares, 3)) {
      const sig = await signWithShares(dealt.publicKey, { scheme: 'pkcs1', hash: 'sha256', digest }, subset);
      assert.ok(verify('sha256', message, key.publicKey, sig), `shares ${subset.map((s) => s.index).join(',')}`);
      assert.deepEqual(sig, expected);
    }
  });

  it('gives share proofs that verify', () => {
    const x = messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, dealt.publicKey.bits);
    for (const share of dealt.shares) {
      const s = share.signWithProof(x);
      assert.ok(s.proof !== undefined && verifyShareProof(dealt.publicKey, x, s.index, s.xi, s.proof));
    }
  });
});

describe('Dealing an imported key with other parameters', function () {
  this.timeout(120_000);

  it('deals 1-of-1, 2-of-3 and 4-of-7 keys that sign like the original', async () => {
    const key = rsa(1024);
    const expected = sign('sha256', message, key.privateKey);
    for (const [l, k] of [[1, 1], [3, 2], [7, 4]] as const) {
      const [p, q] = key.primes();
      const dealt = dealImported(p, q, { e: 65537n, shares: l, threshold: k });
      const sig = await signWithShares(dealt.publicKey, { scheme: 'pkcs1', hash: 'sha256', digest },
        dealt.shares.slice(l - k));
      assert.deepEqual(sig, expected, `${k} of ${l}`);
      destroyAll(dealt);
    }
  });

  it('deals a 4096-bit key', async () => {
    const key = rsa(4096);
    const [p, q] = key.primes();
    const dealt = dealImported(p, q, { e: 65537n, shares: 3, threshold: 2 });
    const sig = await signWithShares(dealt.publicKey, { scheme: 'pkcs1', hash: 'sha256', digest }, dealt.shares);
    assert.ok(verify('sha256', message, key.publicKey, sig));
    destroyAll(dealt);
  });

  it('accepts e = 3 with two shares, since gcd(3, 4·2!²) = 1', async () => {
    const key = rsa(1024, 3);
    const [p, q] = key.primes();
    const dealt = dealImported(p, q, { e: 3n, shares: 2, threshold: 2 });
    const sig = await signWithShares(dealt.publicKey, { scheme: 'pkcs1', hash: 'sha256', digest }, dealt.shares);
    assert.ok(verify('sha256', message, key.publicKey, sig));
    destroyAll(dealt);
  });

  it('reduces the shares modulo λ(n) = lcm(p−1, q−1), not a multiple of it', () => {
    const key = rsa(1024);
    const [p, q] = key.primes().map(big) as [bigint, bigint];
    const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const [pb, qb] = key.primes();
    const dealt = dealImported(pb, qb, { e: 65537n, shares: 24, threshold: 13 });
    // Were the shares reduced modulo φ(n) = g·λ(n) (g ≥ 2), all 24 would stay below λ(n) with
    // probability at most 2⁻²⁴.
    for (const share of dealt.shares) {
      const bytes = share.exportSecret();
      assert.ok(big(bytes) < lambda, `share ${share.index}`);
      bytes.fill(0);
    }
    destroyAll(dealt);
  });

  it('warns, but deals, when the threshold is not a majority', () => {
    const [p, q] = rsa(1024).primes();
    const dealt = dealImported(p, q, { e: 65537n, shares: 4, threshold: 2 });
    assert.match(dealt.warnings[0] ?? '', /not a majority/);
    destroyAll(dealt);
  });
});

describe('Dealing an imported key refuses what cannot work', function () {
  this.timeout(120_000);
  let key: Rsa;

  before(() => {
    key = rsa(2048);
  });

  it('refuses e = 3 with 5 shares, saying that e must exceed the number of shares, and zeroes the primes', () => {
    const [p, q] = rsa(2048, 3).primes();
    refused(
      () => dealImported(p, q, { e: 3n, shares: 5, threshold: 3 }),
      /e = 3 is not greater than the number of shares \(5\)/,
    );
    assert.ok(zeroed(p) && zeroed(q));
  });

  it('refuses an e with a factor in common with 4Δ², even when e exceeds the number of shares', () => {
    const [p, q] = key.primes();
    refused(() => dealImported(p, q, { e: 3n * 65537n, shares: 5, threshold: 3 }), /divisible by 3.*gcd\(e, 4Δ²\) = 1/);
    assert.ok(zeroed(p) && zeroed(q));
  });

  it('refuses an even e', () => {
    const [p, q] = key.primes();
    refused(() => dealImported(p, q, { e: 65536n, shares: 5, threshold: 3 }), /not an odd number/);
    assert.ok(zeroed(p) && zeroed(q));
  });

  it('refuses an e that shares a factor with λ(n)', () => {
    // p ≡ 1 (mod 14), so 7 divides p − 1 and λ(n), and e = 7 has no inverse modulo λ(n).
    const p = Buffer.from(generatePrimeSync(1024, { add: 14n, rem: 1n }));
    const q = Buffer.from(generatePrimeSync(1024));
    refused(() => dealImported(p, q, { e: 7n, shares: 5, threshold: 3 }), /not invertible modulo lambda\(n\)/);
    assert.ok(zeroed(p) && zeroed(q));
  });

  it('leaves no OpenSSL error behind for later node:crypto calls when it refuses a key', () => {
    const p = Buffer.from(generatePrimeSync(1024, { add: 14n, rem: 1n }));
    const q = Buffer.from(generatePrimeSync(1024));
    refused(() => dealImported(p, q, { e: 7n, shares: 5, threshold: 3 }), /not invertible/);
    createPrivateKey(key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  });

  it('refuses a composite p, and zeroes both primes', () => {
    const [p0, q] = key.primes();
    const p = Buffer.from((big(p0) * 3n).toString(16).padStart(2, '0'), 'hex');
    refused(() => dealImported(p, q, { e: 65537n, shares: 5, threshold: 3 }), /distinct odd primes/);
    assert.ok(zeroed(p) && zeroed(q));
  });

  it('refuses p = q', () => {
    const [p] = key.primes();
    const q = Buffer.from(p);
    refused(() => dealImported(p, q, { e: 65537n, shares: 5, threshold: 3 }), /distinct odd primes/);
  });

  it('refuses a 512-bit key', () => {
    const [p, q] = rsa(512).primes();
    refused(
      () => dealImported(p, q, { e: 65537n, shares: 3, threshold: 2 }),
      /512-bit modulus: kofn shares moduli of 1024 to 4096 bits/,
    );
    assert.ok(zeroed(p) && zeroed(q));
  });

  it('refuses primes whose product is not the stated modulus', () => {
    const [p, q] = key.primes();
    const opts = { e: 65537n, shares: 3, threshold: 2, n: key.n + 2n };
    refused(() => dealImported(p, q, opts), /not the key's public modulus/);
  });

  it('refuses impossible share counts and thresholds, zeroing the primes', () => {
    for (const [shares, threshold] of [[0, 1], [65, 3], [5, 6], [5, 0]] as const) {
      const [p, q] = key.primes();
      refused(() => dealImported(p, q, { e: 65537n, shares, threshold }), /must be 1\.\./);
      assert.ok(zeroed(p) && zeroed(q));
    }
  });
});

describe('The native dealer\'s imported-key path', function () {
  this.timeout(60_000);
  const key = rsa(1024);
  const loose = (...args: unknown[]) => (native as unknown as { deal: (...a: unknown[]) => unknown }).deal(...args);

  it('zeroes p and q when called with too few arguments or an unknown sharing', () => {
    for (const args of [[65537n], [65537n, 3, 5, 240n, 'bogus'], [65537n, 3, 5, 240n, 7]]) {
      const [p, q] = key.primes();
      assert.throws(() => loose(p, q, ...args), { code: 'KOFN_BN_ARGUMENT' });
      assert.ok(zeroed(p) && zeroed(q), JSON.stringify(args.map(String)));
    }
  });

  it('zeroes p when q is not a Buffer', () => {
    const [p] = key.primes();
    assert.throws(() => loose(p, 'q', 65537n, 3, 5, 240n, 'lambda'), { code: 'KOFN_BN_ARGUMENT' });
    assert.ok(zeroed(p));
  });

  it('tells whether p·q = n without touching p and q', () => {
    const [p, q] = key.primes();
    assert.equal(native.rsaFactorsMatch(key.n, p, q), true);
    assert.equal(native.rsaFactorsMatch(key.n + 2n, p, q), false);
    assert.equal(big(p) * big(q), key.n);
  });
});
