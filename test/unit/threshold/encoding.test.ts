import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, privateEncrypt, sign, verify } from 'node:crypto';
import { i2osp, os2ip } from '../../../src/threshold/bytes.js';
import {
  digestInfo,
  emsaPkcs1v15,
  emsaPss,
  type HashName,
  messageRepresentative,
  mgf1,
} from '../../../src/threshold/rsa/index.js';

const HASHES: HashName[] = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const msg = Buffer.from('www.example. 300 IN A 192.0.2.1');

/** Raw RSA (no padding) with an ordinary OpenSSL key: lets OpenSSL judge our encodings. */
function rawSign(key: ReturnType<typeof generateKeyPairSync>['privateKey'], em: Buffer, bytes: number) {
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, i2osp(os2ip(em), bytes));
}

describe('Message encodings (RFC 8017)', () => {
  for (const bits of [1025, 2048]) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const bytes = Math.ceil(bits / 8);

    it(`encodes EMSA-PKCS1-v1_5 exactly as OpenSSL signs, for every hash (${bits}-bit key)`, () => {
      for (const hash of HASHES) {
        const em = emsaPkcs1v15(digestInfo(hash, createHash(hash).update(msg).digest()), bits);
        assert.deepEqual(rawSign(privateKey, em, bytes), sign(hash, msg, privateKey), hash);
      }
    });

    it(`encodes EMSA-PSS so that OpenSSL verifies it, for every hash and salt length (${bits}-bit key)`, () => {
      for (const hash of HASHES) {
        const digest = createHash(hash).update(msg).digest();
        const maxSalt = Math.ceil((bits - 1) / 8) - digest.length - 2;
        for (const saltLength of [0, 20, Math.min(digest.length, maxSalt), maxSalt]) {
          const em = emsaPss(digest, bits, { hash, saltLength });
          const sig = rawSign(privateKey, em, bytes);
          const ok = verify(
            hash,
            msg,
            { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
            sig,
          );
          assert.ok(ok, `${hash} salt ${saltLength}`);
        }
      }
    });
  }

  it('builds the DigestInfo of RFC 8017 §9.2 note 1 for SHA-256 of the empty string', () => {
    const d = createHash('sha256').digest();
    assert.equal(
      digestInfo('sha256', d).toString('hex'),
      '3031300d060960864801650304020105000420e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('pads a caller-supplied DigestInfo as 00 01 FF… 00 T', () => {
    const em = emsaPkcs1v15(Buffer.from('abcd', 'hex'), 1024);
    assert.equal(em.length, 128);
    assert.equal(em.subarray(0, 2).toString('hex'), '0001');
    assert.ok(em.subarray(2, 125).every((b) => b === 0xff));
    assert.equal(em.subarray(125).toString('hex'), '00abcd');
  });

  it('uses a fixed salt when one is given, and the MGF1 of RFC 8017 B.2.1', () => {
    const digest = createHash('sha256').update(msg).digest();
    const salt = Buffer.alloc(32, 7);
    const a = emsaPss(digest, 2048, { hash: 'sha256', saltLength: 32, salt });
    const b = emsaPss(digest, 2048, { hash: 'sha256', saltLength: 32, salt });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, emsaPss(digest, 2048, { hash: 'sha256', saltLength: 32 }));
    // The widely quoted MGF1-SHA1 examples ("foo", 3) and ("bar", 50).
    assert.equal(mgf1('sha1', Buffer.from('foo'), 3).toString('hex'), '1ac907');
    assert.equal(
      mgf1('sha1', Buffer.from('bar'), 50).toString('hex'),
      'bc0c655e016bc2931d85a2e675181adcef7f581f76df2739da74faac41627be2f7f415c89e983fd0ce80ced9878641cb4876',
    );
  });

  it('rejects wrong digest lengths, overlong data and oversize salts with INVALID_MESSAGE', () => {
    const bad = { code: 'INVALID_MESSAGE' };
    assert.throws(() => digestInfo('sha256', Buffer.alloc(31)), bad);
    assert.throws(() => digestInfo('md5' as HashName, Buffer.alloc(16)), bad);
    assert.throws(() => emsaPkcs1v15(Buffer.alloc(118), 1024), bad);
    emsaPkcs1v15(Buffer.alloc(117), 1024);
    assert.throws(() => emsaPss(Buffer.alloc(64), 1024, { hash: 'sha512', saltLength: 63 }), bad);
    assert.throws(() => emsaPss(Buffer.alloc(32), 2048, { hash: 'sha256', saltLength: -1 }), bad);
    assert.throws(
      () => emsaPss(Buffer.alloc(32), 2048, { hash: 'sha256', saltLength: 4, salt: Buffer.alloc(3) }),
      bad,
    );
    assert.throws(() => messageRepresentative({ scheme: 'rsa-x931' } as never, 2048), bad);
  });
});
