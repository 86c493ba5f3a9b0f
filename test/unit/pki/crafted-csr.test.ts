import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { type CertAndKey, createCa, parseIdentity, PkiError, signCsr } from '../../../src/pki/index.js';
import { ECDSA_P256, ECDSA_SHA256, x509 } from '../../../src/pki/provider.js';

/** A correctly self-signed request with whatever names it likes: what a hostile or buggy node could send. */
async function craftCsr(names: x509.JsonGeneralNames, keys?: webcrypto.CryptoKeyPair): Promise<string> {
  const pair = keys ?? await webcrypto.subtle.generateKey({ ...ECDSA_P256 }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: ['crafted'] }],
    keys: pair,
    signingAlgorithm: ECDSA_SHA256,
    extensions: names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)],
  });
  return csr.toString('pem');
}

const role = (value: string) => ({ type: 'url' as const, value });

describe('Signing requests that were not made by createKeyAndCsr', () => {
  let ca: CertAndKey;

  before(async () => {
    ca = await createCa({ clusterId: 'crafted' });
  });

  const refusals: [string, x509.JsonGeneralNames, RegExp][] = [
    ['no names at all', [], /no Subject Alternative Name/],
    ['an unknown role', [role('urn:kofn:role:root:n1')], /known role/],
    ['an upper-case identity', [role('urn:kofn:role:node:N1')], /valid identity/],
    ['a role name without identity', [role('urn:kofn:role:node')], /known role/],
    ['two identities', [role('urn:kofn:role:node:n1'), role('urn:kofn:role:auditor:n2')], /disagree/],
    ['a foreign URI', [role('urn:kofn:role:node:n1'), role('https://example.com/')], /not a kofn name/],
    ['a short share key', [role('urn:kofn:role:node:n1'), role('urn:kofn:x25519:AAAA')], /32 bytes/],
    ['a share key but no role', [role(`urn:kofn:x25519:${Buffer.alloc(32, 1).toString('base64url')}`)], /no kofn role/],
    ['an e-mail name', [role('urn:kofn:role:node:n1'), { type: 'email', value: 'a@b.c' }], /type email/],
    ['a wildcard DNS name', [role('urn:kofn:role:node:n1'), { type: 'dns', value: '*.example' }], /DNS name/],
  ];
  for (const [what, names, message] of refusals) {
    it(`refuses a request with ${what}`, async () => {
      await assert.rejects(signCsr({ ca, csrPem: await craftCsr(names), allowedRoles: ['node', 'auditor'] }), (err: unknown) => {
        assert.ok(err instanceof PkiError, String(err));
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }

  it('copies role, share key, DNS and IPv4/IPv6 names into the certificate', async () => {
    const shareKey = Buffer.alloc(32, 7);
    const csrPem = await craftCsr([
      role('urn:kofn:role:node:n1'),
      role(`urn:kofn:x25519:${shareKey.toString('base64url')}`),
      { type: 'dns', value: 'n1.example' },
      { type: 'ip', value: '::1' },
      { type: 'ip', value: '10.0.0.1' },
    ]);
    const certPem = await signCsr({ ca, csrPem, allowedRoles: ['node'] });
    assert.deepEqual(parseIdentity(certPem), { identity: 'n1', roles: ['node'], shareKey });
    const san = new x509.X509Certificate(certPem).getExtension('2.5.29.17');
    assert.ok(san instanceof x509.SubjectAlternativeNameExtension);
    assert.deepEqual(
      san.names.toJSON().filter((n) => n.type !== 'url').map((n) => n.value),
      ['n1.example', '::1', '10.0.0.1'],
    );
  });

  it('ignores whatever else a request asks for, such as being a CA', async () => {
    const keys = await webcrypto.subtle.generateKey({ ...ECDSA_P256 }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: [{ CN: ['evil'] }],
      keys,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.SubjectAlternativeNameExtension([role('urn:kofn:role:node:n1')]),
      ],
    });
    const certPem = await signCsr({ ca, csrPem: csr.toString('pem'), allowedRoles: ['node'] });
    const cert = new x509.X509Certificate(certPem);
    assert.equal(cert.getExtension<x509.BasicConstraintsExtension>('2.5.29.19')?.ca, false);
    assert.equal(cert.subject, 'CN=n1');
  });
});
