import assert from 'node:assert/strict';
import { constants, createHash, verify } from 'node:crypto';
import {
  combineShares,
  type DealtKey,
  generateKey,
  type HashName,
  messageRepresentative,
  type PublicKeyJson,
  type SignatureShare,
  signWithShares,
  ThresholdError,
  ThresholdPublicKey,
  toSignatureBytes,
  verifyShareProof,
} from '../../../src/threshold/rsa/index.js';
import { destroyAll, subsets, testKey } from '../../helpers/keys.js';

const HASHES: HashName[] = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const message = Buffer.from('example.com. 3600 IN DNSKEY 257 3 8 AwEAAa...');

function opensslVerifies(key: DealtKey, hash: HashName, sig: Buffer, pss?: { saltLength: number }): boolean {
  const keyObject = key.publicKey.toKeyObject();
  if (pss === undefined) return verify(hash, message, keyObject, sig);
  return verify(
    hash,
    message,
    { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength },
    sig,
  );
}

describe('Threshold RSA key generation', function () {
  this.timeout(120_000);

  it('gives a 1024-bit modulus for every one of 24 fresh 1024-bit keys', async () => {
    for (let i = 0; i < 24; i++) {
      const key = await generateKey({ bits: 1024, shares: 3 });
      assert.equal(key.publicKey.bits, 1024);
      assert.equal(key.publicKey.n.toString(2).length, 1024);
      destroyAll(key);
    }
  });

  it('gives exactly the requested size for 2048-, 3072- and 4096-bit keys', async () => {
    const fresh = await generateKey({ bits: 2048, shares: 3 });
    assert.equal(fresh.publicKey.bits, 2048);
    destroyAll(fresh);
    for (const bits of [2048, 3072, 4096]) {
      const key = await testKey({ bits, shares: 3 });
      assert.equal(key.publicKey.n.toString(2).length, bits);
      destroyAll(key);
    }
  });

  it('defaults to 2048 bits, 5 shares, threshold 3 and e = 65537', async () => {
    const key = await testKey({ bits: 2048 });
    assert.equal(key.publicKey.l, 5);
    assert.equal(key.publicKey.k, 3);
    assert.equal(key.publicKey.e, 65537n);
    assert.equal(key.shares.length, 5);
    assert.deepEqual(
      key.shares.map((s) => s.index),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(key.warnings, []);
    destroyAll(key);
  });

  it('warns, but deals, when the threshold is not a majority', async () => {
    const key = await generateKey({ bits: 1024, shares: 4, threshold: 2 });
    assert.equal(key.warnings.length, 1);
    assert.match(key.warnings[0] ?? '', /not a majority/);
    destroyAll(key);
  });

  it('refuses impossible parameters with INVALID_PARAMETERS', async () => {
    const bad = [
      { bits: 1024, shares: 0 },
      { bits: 1024, shares: 65 },
      { bits: 1024, shares: 3, threshold: 4 },
      { bits: 1024, shares: 3, threshold: 0 },
      { bits: 1023, shares: 3 },
      { bits: 512, shares: 3 },
      { bits: 8192, shares: 3 },
      { bits: 1024, shares: 3, e: 65536n },
      { bits: 1024, shares: 3, e: 9n },
      { bits: 1024, shares: 7, e: 7n },
    ];
    for (const opts of bad) {
      await assert.rejects(generateKey(opts), { name: 'ThresholdError', code: 'INVALID_PARAMETERS' });
    }
  });

  it('accepts any prime e greater than the number of shares', async () => {
    const key = await generateKey({ bits: 1024, shares: 5, e: 7n });
    const digest = createHash('sha256').update(message).digest();
    const sig = await signWithShares(key.publicKey, { scheme: 'pkcs1', hash: 'sha256', digest }, key.shares);
    assert.ok(opensslVerifies(key, 'sha256', sig));
    destroyAll(key);
  });

  it('refuses primes that are not safe, or equal', async () => {
    const { dealFromPrimes } = await import('../../../src/threshold/rsa/index.js');
    const p = Buffer.from('f7', 'hex'); // 247 = 13·19, not prime
    assert.throws(() => dealFromPrimes(p, Buffer.from('e3', 'hex')), { code: 'INVALID_PARAMETERS' });
    assert.deepEqual([...p], [0], 'the prime buffer is wiped even on failure');
  });
});

describe('Threshold RSA signing', function () {
  this.timeout(120_000);

  for (const [k, l] of [
    [3, 5],
    [4, 7],
  ] as const) {
    it(`combines every ${k}-subset of a ${k}-of-${l} key into the same signature, which OpenSSL verifies`, async () => {
      const key = await testKey({ bits: 2048, shares: l, threshold: k });
      const digest = createHash('sha256').update(message).digest();
      const x = messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, key.publicKey.bits);
      const all = key.shares.map((s) => s.sign(x));
      const sigs = new Set<string>();
      const groups = subsets(all, k);
      assert.equal(groups.length, k === 3 ? 10 : 35);
      for (const group of groups) {
        const r = combineShares(key.publicKey, x, group);
        assert.deepEqual(r.invalid, []);
        sigs.add(toSignatureBytes(key.publicKey, r.y).toString('hex'));
      }
      assert.equal(sigs.size, 1);
      const [sig] = [...sigs];
      assert.ok(opensslVerifies(key, 'sha256', Buffer.from(sig ?? '', 'hex')));
      destroyAll(key);
    });
  }

  for (const bits of [1024, 2048, 3072, 4096]) {
    it(`makes ${bits}-bit PKCS#1 v1.5 and PSS signatures with every hash that OpenSSL verifies`, async () => {
      const key = await testKey({ bits, shares: 5 });
      for (const hash of HASHES) {
        const digest = createHash(hash).update(message).digest();
        const sig = await signWithShares(
          key.publicKey,
          { scheme: 'pkcs1', hash, digest },
          key.shares.slice(2),
        );
        assert.equal(sig.length, bits / 8);
        assert.ok(opensslVerifies(key, hash, sig), `pkcs1 ${hash}`);
        // RFC 8017 9.1.1: hLen + sLen + 2 ≤ emLen, so SHA-512 on 1024 bits takes a shorter salt.
        const saltLength = Math.min(digest.length, Math.ceil((bits - 1) / 8) - digest.length - 2);
        const pss = await signWithShares(
          key.publicKey,
          { scheme: 'pss', hash, digest, saltLength },
          key.shares,
        );
        assert.ok(opensslVerifies(key, hash, pss, { saltLength }), `pss ${hash}`);
      }
      destroyAll(key);
    });
  }

  it('signs a caller-supplied DigestInfo as CKM_RSA_PKCS does, identically to the hashed form', async () => {
    const key = await testKey({ bits: 2048, shares: 5 });
    const digest = createHash('sha256').update(message).digest();
    const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest]);
    const raw = await signWithShares(key.publicKey, { scheme: 'pkcs1-raw', data: digestInfo }, key.shares);
    const hashed = await signWithShares(
      key.publicKey,
      { scheme: 'pkcs1', hash: 'sha256', digest },
      key.shares,
    );
    assert.deepEqual(raw, hashed);
    assert.ok(opensslVerifies(key, 'sha256', raw));
    destroyAll(key);
  });

  it('signs with 1-of-1, 5-of-5 and 33-of-64 keys', async () => {
    const digest = createHash('sha512').update(message).digest();
    for (const [k, l] of [
      [1, 1],
      [5, 5],
      [33, 64],
    ] as const) {
      const key = await testKey({ bits: 1024, shares: l, threshold: k });
      const sig = await signWithShares(
        key.publicKey,
        { scheme: 'pkcs1', hash: 'sha512', digest },
        key.shares.slice(-k),
      );
      assert.ok(opensslVerifies(key, 'sha512', sig), `${k}-of-${l}`);
      destroyAll(key);
    }
  });

  it('computes shares off the event loop, many at once', async () => {
    const key = await testKey({ bits: 2048, shares: 5 });
    const digest = createHash('sha256').update(message).digest();
    const x = messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, 2048);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const signers = Array.from({ length: 40 }, (_, i) => key.shares[i % 5]).filter((s) => s !== undefined);
    const shares = await Promise.all(signers.map((s) => s.signAsync(x)));
    clearInterval(timer);
    assert.ok(ticks > 0, 'the event loop kept running');
    const sync = key.shares.map((s) => s.sign(x).xi);
    shares.forEach((s, i) => {
      assert.equal(s?.xi, sync[i % 5]);
    });
    destroyAll(key);
  });
});

describe('Threshold RSA robustness against bad shares', function () {
  this.timeout(60_000);
  let key: DealtKey;
  let x: bigint;

  before(async () => {
    key = await testKey({ bits: 2048, shares: 5 });
    const digest = createHash('sha256').update(message).digest();
    x = messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, 2048);
  });
  after(() => destroyAll(key));

  const corrupt = (s: SignatureShare): SignatureShare => ({ ...s, xi: (s.xi * 2n) % key.publicKey.n });

  it('gives each share a proof that verifies against v and v_i', () => {
    for (const share of key.shares) {
      const s = share.signWithProof(x);
      assert.ok(s.proof);
      assert.ok(verifyShareProof(key.publicKey, x, s.index, s.xi, s.proof));
      assert.ok(!verifyShareProof(key.publicKey, x + 1n, s.index, s.xi, s.proof), 'other message');
      assert.ok(!verifyShareProof(key.publicKey, x, (s.index % 5) + 1, s.xi, s.proof), 'other index');
      assert.ok(!verifyShareProof(key.publicKey, x, s.index, corrupt(s).xi, s.proof), 'other share');
      assert.ok(!verifyShareProof(key.publicKey, x, s.index, s.xi, { ...s.proof, c: s.proof.c ^ 1n }));
      assert.ok(!verifyShareProof(key.publicKey, x, s.index, s.xi, { ...s.proof, z: s.proof.z + 1n }));
      assert.ok(!verifyShareProof(key.publicKey, x, s.index, s.xi, { c: -1n, z: s.proof.z }));
      assert.ok(!verifyShareProof(key.publicKey, x, s.index, s.xi, { c: s.proof.c, z: 1n << 5000n }));
      assert.ok(!verifyShareProof(key.publicKey, x, s.index, 0n, s.proof));
    }
  });

  it('excludes a corrupted share by its proof and signs with the remaining k', () => {
    const proven = key.shares.map((s) => s.signWithProof(x));
    for (const bad of [0, 1, 2]) {
      const shares = proven.map((s, i) => (i === bad ? corrupt(s) : s));
      const r = combineShares(key.publicKey, x, shares);
      assert.deepEqual(r.invalid, [bad + 1]);
      assert.ok(!r.used.includes(bad + 1));
      assert.ok(key.publicKey.verifyRepresentative(x, r.y));
    }
  });

  it('signs with n−k = 2 lying shares among 5 and names both', () => {
    const proven = key.shares.map((s) => s.signWithProof(x));
    const shares = proven.map((s, i) => (i === 0 || i === 3 ? corrupt(s) : s));
    const r = combineShares(key.publicKey, x, shares);
    assert.deepEqual(r.invalid, [1, 4]);
    assert.deepEqual(r.used, [2, 3, 5]);
  });

  it('asks for proofs when the optimistic combination fails and no proofs are at hand', () => {
    const plain = key.shares.map((s) => s.sign(x));
    plain[1] = corrupt(plain[1] as SignatureShare);
    assert.throws(
      () => combineShares(key.publicKey, x, plain),
      (err: unknown) =>
        err instanceof ThresholdError && err.code === 'PROOFS_NEEDED' && err.unproven.length === 5,
    );
  });

  it('never returns a signature when fewer than k shares are good', () => {
    const proven = key.shares.map((s) => s.signWithProof(x));
    const shares = proven.map((s, i) => (i < 3 ? corrupt(s) : s));
    assert.throws(
      () => combineShares(key.publicKey, x, shares),
      (err: unknown) =>
        err instanceof ThresholdError && err.code === 'NOT_ENOUGH_SHARES' && err.invalid.join() === '1,2,3',
    );
    assert.throws(() => combineShares(key.publicKey, x, proven.slice(0, 2)), { code: 'NOT_ENOUGH_SHARES' });
  });

  it('rejects a forged proof for a wrong share even when its challenge is recomputed', () => {
    // A liar who knows only public values picks z and derives c: it cannot make c match.
    const s = key.shares[0]?.sign(x);
    assert.ok(s);
    const bad = corrupt(s);
    const proof = { c: 12345n, z: 67890n };
    assert.ok(!verifyShareProof(key.publicKey, x, 1, bad.xi, proof));
  });

  it('ignores duplicate indices and rejects out-of-range ones', () => {
    const s = key.shares.map((sh) => sh.sign(x));
    const dup = [s[0], s[0], s[0], s[1], s[2]].filter((v) => v !== undefined);
    assert.deepEqual(combineShares(key.publicKey, x, dup).used, [1, 2, 3]);
    assert.throws(() => combineShares(key.publicKey, x, [...s, { index: 6, xi: 2n }]), {
      code: 'INVALID_SHARE',
    });
    const outOfRange = [{ index: 1, xi: key.publicKey.n }, s[1], s[2], s[3]].filter((v) => v !== undefined);
    assert.throws(
      () => combineShares(key.publicKey, x, outOfRange),
      (err: unknown) =>
        err instanceof ThresholdError &&
        err.code === 'PROOFS_NEEDED' &&
        err.invalid.join() === '1' &&
        err.unproven.join() === '2,3,4',
    );
  });

  it('refuses message representatives outside [1, n)', () => {
    const share = key.shares[0];
    assert.ok(share);
    for (const bad of [0n, -1n, key.publicKey.n, key.publicKey.n + 5n]) {
      assert.throws(() => share.sign(bad), { code: 'INVALID_MESSAGE' });
      assert.throws(() => combineShares(key.publicKey, bad, []), { code: 'INVALID_MESSAGE' });
    }
  });
});

describe('Threshold RSA public keys', () => {
  it('round-trips through JSON and refuses malformed ones', async () => {
    const key = await testKey({ bits: 1024, shares: 3 });
    const json = JSON.parse(JSON.stringify(key.publicKey)) as PublicKeyJson;
    const back = ThresholdPublicKey.fromJSON(json);
    assert.equal(back.n, key.publicKey.n);
    assert.deepEqual(back.vks, key.publicKey.vks);
    assert.throws(() => ThresholdPublicKey.fromJSON({ ...json, version: 2 } as unknown as PublicKeyJson), { code: 'INVALID_PARAMETERS' });
    assert.throws(() => ThresholdPublicKey.fromJSON({ ...json, vks: json.vks.slice(1) }), {
      code: 'INVALID_PARAMETERS',
    });
    assert.throws(() => ThresholdPublicKey.fromJSON({ ...json, n: 'zz' }), { code: 'INVALID_PARAMETERS' });
    assert.throws(() => ThresholdPublicKey.fromJSON({ ...json, k: 4 }), { code: 'INVALID_PARAMETERS' });
    destroyAll(key);
  });

  it('exports a PKCS#1 public key that OpenSSL reads with the same modulus', async () => {
    const key = await testKey({ bits: 2048, shares: 3 });
    const jwk = key.publicKey.toKeyObject().export({ format: 'jwk' });
    assert.equal(BigInt(`0x${Buffer.from(jwk.n ?? '', 'base64url').toString('hex')}`), key.publicKey.n);
    assert.equal(jwk.e, 'AQAB');
    destroyAll(key);
  });
});
