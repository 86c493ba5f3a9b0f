import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  EnvelopeError,
  envelopeInfo,
  generateShareKeyPair,
  openShare,
  sealShare,
  type SealedShareInput,
} from '../../../src/node/envelope.js';

describe('Share envelope (format version 1)', () => {
  const node = generateShareKeyPair();
  const share = randomBytes(300);
  const keyId = 'example.com-ksk-1';
  const index = 3;
  const sealed = sealShare({ recipientPublicKey: node.publicKey, keyId, index, share });

  function open(overrides: Partial<{ privateKey: Buffer; keyId: string; index: number; sealed: SealedShareInput }>) {
    return () => openShare({ privateKey: node.privateKey, keyId, index, sealed, ...overrides });
  }

  it('makes 32-byte raw X25519 key pairs', () => {
    assert.equal(node.publicKey.length, 32);
    assert.equal(node.privateKey.length, 32);
  });

  it('opens what it sealed, for the node it was sealed to', () => {
    assert.equal(sealed.version, 1);
    assert.equal(sealed.ephemeralPublicKey.length, 32);
    assert.equal(sealed.nonce.length, 12);
    assert.equal(sealed.ciphertext.length, share.length + 16);
    assert.ok(open({})().equals(share));
  });

  it('never seals the same share to the same bytes twice', () => {
    const again = sealShare({ recipientPublicKey: node.publicKey, keyId, index, share });
    assert.ok(!again.ephemeralPublicKey.equals(sealed.ephemeralPublicKey));
    assert.ok(!again.ciphertext.equals(sealed.ciphertext));
  });

  it('does not open with another node\'s private key', () => {
    assert.throws(open({ privateKey: generateShareKeyPair().privateKey }), EnvelopeError);
  });

  it('does not open when one bit of the ciphertext or the tag is flipped', () => {
    for (const at of [0, share.length - 1, share.length + 15]) {
      const ciphertext = Buffer.from(sealed.ciphertext);
      ciphertext[at] = (ciphertext[at] ?? 0) ^ 1;
      assert.throws(open({ sealed: { ...sealed, ciphertext } }), EnvelopeError, `byte ${at}`);
    }
    const nonce = Buffer.from(sealed.nonce);
    nonce[0] = (nonce[0] ?? 0) ^ 0x80;
    assert.throws(open({ sealed: { ...sealed, nonce } }), EnvelopeError);
  });

  it('does not open under another key id or share index', () => {
    assert.throws(open({ keyId: 'example.com-ksk-2' }), /does not open/);
    assert.throws(open({ index: 4 }), /does not open/);
  });

  it('refuses format version 2 and malformed lengths with a clear message', () => {
    assert.throws(open({ sealed: { ...sealed, version: 2 } }), /version 2 is not supported/);
    assert.throws(open({ sealed: { ...sealed, nonce: sealed.nonce.subarray(1) } }), /nonce must be 12 bytes/);
    assert.throws(open({ sealed: { ...sealed, ephemeralPublicKey: Buffer.alloc(31) } }), EnvelopeError);
    assert.throws(open({ sealed: { ...sealed, ciphertext: Buffer.alloc(16) } }), EnvelopeError);
    assert.throws(open({ privateKey: Buffer.alloc(16) }), EnvelopeError);
  });

  it('refuses a low-order recipient key whose shared secret would be zero', () => {
    assert.throws(
      () => sealShare({ recipientPublicKey: Buffer.alloc(32), keyId, index, share }),
      /shared secret is zero/,
    );
    assert.throws(open({ sealed: { ...sealed, ephemeralPublicKey: Buffer.alloc(32) } }), /shared secret is zero/);
  });

  it('binds key id and index unambiguously into the context', () => {
    const info = envelopeInfo('ab', 1);
    assert.equal(
      info.toString('hex'),
      Buffer.concat([Buffer.from('kofn/share-envelope/v1'), Buffer.from('00000002', 'hex'), Buffer.from('ab'), Buffer.from('00000001', 'hex')]).toString('hex'),
    );
  });

  it('keeps share bytes out of its error messages', () => {
    try {
      open({ index: 9 })();
      assert.fail('opened');
    } catch (err) {
      assert.ok(err instanceof EnvelopeError);
      assert.equal(err.name, 'EnvelopeError');
      assert.ok(!err.message.includes(share.toString('hex').slice(0, 8)));
      assert.ok(!err.message.includes('\n'));
    }
  });
});
