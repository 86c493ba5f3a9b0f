import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { type CertAndKey, createCa, issueCertificate, verifyPeerCertificate } from '../../../src/pki/index.js';

describe('Mutual TLS 1.3 with cluster certificates', () => {
  let ca: CertAndKey;
  let server: Server;
  let port: number;
  let accepted: TLSSocket[];
  let clientErrors: Error[];

  before(async () => {
    ca = await createCa({ clusterId: 'tls' });
    const node = await issueCertificate({
      ca,
      identity: 'node-1',
      roles: ['node'],
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    server = createServer({
      key: node.keyPem,
      cert: node.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      accepted.push(socket);
      socket.end('hello');
    });
    server.on('tlsClientError', (err: Error) => clientErrors.push(err));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  beforeEach(() => {
    accepted = [];
    clientErrors = [];
  });

  after(async () => {
    server.close();
    await once(server, 'close');
  });

  function dial(client: CertAndKey): TLSSocket {
    return connect({ host: '127.0.0.1', port, ca: ca.certPem, cert: client.certPem, key: client.keyPem, minVersion: 'TLSv1.3' });
  }

  it('completes a handshake in which each side proves a certificate of the cluster', async () => {
    const coordinator = await issueCertificate({ ca, identity: 'coord', roles: ['coordinator'] });
    const socket = dial(coordinator);
    await once(socket, 'secureConnect');
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    assert.equal(socket.authorized, true);
    const [data] = (await once(socket, 'data')) as [Buffer];
    assert.equal(data.toString(), 'hello');
    const fromNode = verifyPeerCertificate(socket.getPeerCertificate().raw, ca.certPem);
    assert.equal(fromNode.ok && fromNode.identity, 'node-1');

    assert.equal(accepted.length, 1);
    const [serverSide] = accepted as [TLSSocket];
    assert.equal(serverSide.authorized, true);
    const fromClient = verifyPeerCertificate(serverSide.getPeerCertificate().raw, ca.certPem);
    assert.deepEqual(fromClient, { ok: true, identity: 'coord', roles: ['coordinator'] });
    socket.destroy();
  });

  it('rejects a client whose certificate comes from a foreign CA', async () => {
    const foreignCa = await createCa({ clusterId: 'tls' });
    const stranger = await issueCertificate({ ca: foreignCa, identity: 'coord', roles: ['coordinator'] });
    const socket = dial(stranger);
    // In TLS 1.3 the client finishes its side of the handshake before the server has judged the client
    // certificate; the server then drops the connection, so the verdict is read on the server side.
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    await once(socket, 'close');
    assert.equal(accepted.length, 0);
    assert.equal(clientErrors.length, 1);
    assert.equal(received.length, 0);
  });
});
