/**
 * TLS 1.3 with client certificates for node traffic, the cluster CA pinned on both sides.
 *
 * The server *requests* a client certificate but lets the handshake finish without one, and every
 * RPC then verifies the certificate itself (chain to the pinned CA, validity, role): that is what
 * lets a refusal carry a gRPC status and land in the audit log, instead of being a reset socket.
 */
import * as grpc from '@grpc/grpc-js';
import { createSecureContext, type PeerCertificate, TLSSocket } from 'node:tls';
import { parseIdentity, type Role, verifyPeerCertificate } from '../../pki/index.js';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

class RequestClientCertCredentials extends grpc.ServerCredentials {
  constructor(tls: TlsMaterial) {
    super(
      { requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
      { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.3' },
    );
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function serverCredentials(tls: TlsMaterial): grpc.ServerCredentials {
  return new RequestClientCertCredentials(tls);
}

/**
 * Client credentials that accept only a server certificate from the pinned CA naming the expected
 * node (its `urn:kofn:role:node:<id>` SAN), whatever host name was dialled.
 */
export function channelCredentials(tls: TlsMaterial, expectedNode: string): grpc.ChannelCredentials {
  const context = createSecureContext({ ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.3' });
  return grpc.credentials.createFromSecureContext(context, {
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      try {
        const id = parseIdentity(cert.raw);
        if (id.identity === expectedNode && id.roles.includes('node')) return undefined;
        return new Error(`server certificate names ${id.identity} [${id.roles.join(',')}], expected node ${expectedNode}`);
      } catch (err) {
        return err instanceof Error ? err : new Error('server certificate has no kofn identity');
      }
    },
  });
}

export type Caller =
  | { ok: true; identity: string; roles: Role[]; label: string }
  | { ok: false; reason: string; message: string; label: string };

/**
 * The client certificate as presented, whether or not TLS liked it. grpc-js's public
 * `getAuthContext()` hides certificates that OpenSSL did not verify, which would report a foreign or
 * expired certificate as "no certificate"; so the TLS socket is read through grpc-js's call object
 * (pinned by the lockfile, and the mTLS integration test fails if that path moves), falling back to
 * the public API. Verification itself is always ours: `verifyPeerCertificate`.
 *
 * A connection's certificate cannot change (TLS 1.3 has no renegotiation, and post-handshake
 * authentication is not enabled), so it is read once per socket: `getPeerCertificate()` builds a
 * large object with several fingerprints, which would otherwise be paid on every call.
 */
const bySocket = new WeakMap<TLSSocket, Buffer | undefined>();

/** Any server-side call, unary or streaming. */
type PeerCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

function presentedCertificate(call: PeerCall): Buffer | undefined {
  const raw = (c: { raw?: unknown } | undefined) =>
    c && Buffer.isBuffer(c.raw) && c.raw.length > 0 ? c.raw : undefined;
  try {
    const socket = (call as unknown as { call?: { stream?: { session?: { socket?: unknown } } } }).call?.stream
      ?.session?.socket;
    if (socket instanceof TLSSocket) {
      if (bySocket.has(socket)) return bySocket.get(socket);
      const cert = raw(socket.getPeerCertificate());
      bySocket.set(socket, cert);
      return cert;
    }
    return raw(call.getAuthContext()?.sslPeerCertificate);
  } catch {
    return undefined;
  }
}

/** Who is calling, checked against the pinned CA now. Never throws. */
export function callerOf(call: PeerCall, caPem: string): Caller {
  const v = verifyPeerCertificate(presentedCertificate(call), caPem);
  if (v.ok) return { ok: true, identity: v.identity, roles: v.roles, label: `${v.identity}[${v.roles.join(',')}]` };
  return { ok: false, reason: v.reason, message: v.message, label: `unauthenticated(${v.reason})` };
}
