import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { type CertAndKey, createCa, issueCertificate, verifyPeerCertificate } from '../../../src/pki/index.js';

const DAY = 86_400_000;

describe('Peer certificate verification', () => {
  let ca: CertAndKey;
  let foreignCa: CertAndKey;
  let member: CertAndKey;

  before(async () => {
    ca = await createCa({ clusterId: 'test' });
    // Same cluster id, so the same subject: only the signature tells them apart.
    foreignCa = await createCa({ clusterId: 'test' });
    member = await issueCertificate({ ca, identity: 'coord', roles: ['coordinator'] });
  });

  it('accepts a member certificate of this cluster, as PEM or DER, and names its holder', () => {
    const der = new X509Certificate(member.certPem).raw;
    for (const cert of [member.certPem, der]) {
      assert.deepEqual(verifyPeerCertificate(cert, ca.certPem), { ok: true, identity: 'coord', roles: ['coordinator'] });
    }
  });

  it('calls a certificate from another CA with the same name untrusted', async () => {
    const stranger = await issueCertificate({ ca: foreignCa, identity: 'coord', roles: ['coordinator'] });
    const v = verifyPeerCertificate(stranger.certPem, ca.certPem);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.reason, 'untrusted');
  });

  it('calls a certificate whose notAfter has passed expired', async () => {
    const old = await issueCertificate({
      ca,
      identity: 'coord',
      roles: ['coordinator'],
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const v = verifyPeerCertificate(old.certPem, ca.certPem);
    assert.equal(!v.ok && v.reason, 'expired');
  });

  it('calls a certificate whose notBefore is in the future not yet valid', async () => {
    const early = await issueCertificate({
      ca,
      identity: 'coord',
      roles: ['coordinator'],
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 10 * DAY),
    });
    const v = verifyPeerCertificate(early.certPem, ca.certPem);
    assert.equal(!v.ok && v.reason, 'not-yet-valid');
    assert.equal(verifyPeerCertificate(early.certPem, ca.certPem, new Date(Date.now() + 2 * DAY)).ok, true);
  });

  it('refuses the CA certificate itself as not a leaf', () => {
    const v = verifyPeerCertificate(ca.certPem, ca.certPem);
    assert.equal(!v.ok && v.reason, 'not-a-leaf');
  });

  it('says no-certificate when the peer sent none', () => {
    for (const none of [undefined, Buffer.alloc(0), '']) {
      const v = verifyPeerCertificate(none, ca.certPem);
      assert.equal(!v.ok && v.reason, 'no-certificate');
    }
  });

  it('calls every peer untrusted when the configured CA itself is unreadable', () => {
    const v = verifyPeerCertificate(member.certPem, 'not a CA');
    assert.equal(!v.ok && v.reason, 'untrusted');
  });

  it('calls garbage untrusted instead of throwing', () => {
    const pemGarbage = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    for (const garbage of [Buffer.from('not a certificate'), Buffer.from([0x30, 0x82, 0xff, 0xff, 0]), pemGarbage]) {
      const v = verifyPeerCertificate(garbage, ca.certPem);
      assert.equal(!v.ok && v.reason, 'untrusted');
    }
  });
});
