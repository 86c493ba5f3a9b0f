import assert from 'node:assert/strict';
import { dnssecRecords, keyTag, nameWire, rsaPublicKeyRdata } from '../../../src/ceremony/dnssec.js';
import { os2ip } from '../../../src/threshold/bytes.js';

// RFC 5702 section 6.1: an RSA/SHA-256 ZSK of example.net. with key tag 9033.
const RFC5702_KEY = 'AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=';

describe('DNSKEY and DS records', () => {
  const key = Buffer.from(RFC5702_KEY, 'base64');
  const e = os2ip(key.subarray(1, 1 + (key[0] ?? 0)));
  const n = os2ip(key.subarray(1 + (key[0] ?? 0)));

  it('encodes an RSA public key as RFC 3110 does (the RFC 5702 example round-trips)', () => {
    assert.equal(rsaPublicKeyRdata(n, e).toString('base64'), RFC5702_KEY);
  });

  it('computes the RFC 5702 example\'s key tag 9033', () => {
    const r = dnssecRecords({ owner: 'example.net', flags: 256, algorithm: 8, n, e });
    assert.equal(r.keyTag, 9033);
    assert.equal(keyTag(r.rdata), 9033);
    assert.equal(r.dnskey, `example.net. 3600 IN DNSKEY 256 3 8 ${RFC5702_KEY}`);
    assert.match(r.ds, /^example\.net\. 3600 IN DS 9033 8 2 [0-9A-F]{64}$/);
  });

  it('writes a long exponent with the three-octet length form', () => {
    const big = (1n << 2100n) + 1n;
    const rd = rsaPublicKeyRdata(n, big);
    assert.equal(rd[0], 0);
    assert.equal(rd.readUInt16BE(1), 263);
  });

  it('puts owner names in canonical lower-case wire form and refuses an over-long label', () => {
    assert.deepEqual(nameWire('Example.NET.'), Buffer.from('076578616d706c65036e657400', 'hex'));
    assert.throws(() => nameWire(`${'a'.repeat(64)}.net`), /1 to 63 octets/);
  });

  it('refuses a non-RSA algorithm', () => {
    assert.throws(() => dnssecRecords({ owner: 'x.', flags: 257, algorithm: 13, n, e }), /not an RSA one/);
  });
});
