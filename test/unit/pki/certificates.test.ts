import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import {
  type CertAndKey,
  createCa,
  createKeyAndCsr,
  fingerprint,
  issueCertificate,
  parseIdentity,
  PkiError,
  signCsr,
} from '../../../src/pki/index.js';

describe('Cluster PKI: CA, requests and certificates', () => {
  let ca: CertAndKey;

  before(async () => {
    ca = await createCa({ clusterId: 'test' });
  });

  it('creates a self-signed P-256 CA that may sign leaves only', () => {
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.subject, 'CN=kofn cluster CA test');
    assert.equal(cert.ca, true);
    assert.ok(cert.checkIssued(cert) && cert.verify(cert.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('signs a node request and the certificate names the identity, the role and the share key', async () => {
    const shareKey = randomBytes(32);
    const { keyPem, csrPem } = await createKeyAndCsr({
      identity: 'node-1',
      roles: ['node'],
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      shareKey,
    });
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const certPem = await signCsr({ ca, csrPem, allowedRoles: ['node'] });
    const id = parseIdentity(certPem);
    assert.equal(id.identity, 'node-1');
    assert.deepEqual(id.roles, ['node']);
    assert.ok(id.shareKey?.equals(shareKey));

    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, 'CN=node-1');
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
    assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
    assert.ok(cert.checkHost('localhost'));
    assert.ok(cert.checkIP('127.0.0.1'));
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.equal(cert.serialNumber.length, 32);
  });

  it('reads the identity from DER as well as from PEM', async () => {
    const { certPem } = await issueCertificate({ ca, identity: 'coord', roles: ['coordinator', 'auditor'] });
    const der = new X509Certificate(certPem).raw;
    assert.deepEqual(parseIdentity(der), { identity: 'coord', roles: ['coordinator', 'auditor'] });
    assert.equal(fingerprint(der), fingerprint(certPem));
    assert.match(fingerprint(certPem), /^[0-9a-f]{64}$/);
  });

  it('refuses to sign a role that the enrolment does not allow', async () => {
    const { csrPem } = await createKeyAndCsr({ identity: 'node-2', roles: ['node', 'coordinator'] });
    await assert.rejects(signCsr({ ca, csrPem, allowedRoles: ['node'] }), (err: unknown) => {
      assert.ok(err instanceof PkiError);
      assert.match(err.message, /role coordinator/);
      return true;
    });
  });

  it('refuses a bad identity before generating anything', async () => {
    for (const identity of ['Node1', '', '-x', 'a b', 'x'.repeat(64), 'a:b']) {
      await assert.rejects(createKeyAndCsr({ identity, roles: ['node'] }), PkiError, identity);
    }
  });

  it('refuses a request with an unknown role or a share key on a non-node', async () => {
    await assert.rejects(createKeyAndCsr({ identity: 'x', roles: ['root' as 'node'] }), PkiError);
    await assert.rejects(createKeyAndCsr({ identity: 'x', roles: [] }), PkiError);
    await assert.rejects(createKeyAndCsr({ identity: 'x', roles: ['auditor'], shareKey: randomBytes(32) }), PkiError);
    await assert.rejects(createKeyAndCsr({ identity: 'x', roles: ['node'], shareKey: randomBytes(31) }), PkiError);
  });

  it('refuses a tampered request whose signature no longer verifies', async () => {
    const { csrPem } = await createKeyAndCsr({ identity: 'node-3', roles: ['node'] });
    const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const at = der.indexOf('urn:kofn:role:node:node-3');
    assert.ok(at > 0);
    der.write('urn:kofn:role:node:node-4', at, 'latin1');
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(signCsr({ ca, csrPem: tampered, allowedRoles: ['node'] }), /signature does not verify/);
  });

  it('refuses a request that is not a CSR at all', async () => {
    await assert.rejects(signCsr({ ca, csrPem: 'hello', allowedRoles: ['node'] }), PkiError);
  });

  it('refuses to sign with a CA key that does not belong to the CA certificate', async () => {
    const other = await createCa({ clusterId: 'other' });
    const { csrPem } = await createKeyAndCsr({ identity: 'node-5', roles: ['node'] });
    await assert.rejects(
      signCsr({ ca: { certPem: ca.certPem, keyPem: other.keyPem }, csrPem, allowedRoles: ['node'] }),
      /does not belong/,
    );
  });

  it('refuses to read an identity from a certificate that has none', () => {
    assert.throws(() => parseIdentity(ca.certPem), PkiError);
    assert.throws(() => parseIdentity(Buffer.from('garbage')), PkiError);
  });
});
