/**
 * The names a cluster certificate carries in its Subject Alternative Name:
 *
 *   urn:kofn:role:<role>:<identity>   one per role held; the same identity in all of them
 *   urn:kofn:x25519:<base64url>       node certificates only: the 32-byte X25519 key shares are sealed to
 *   DNS and IP names                  node server certificates, for ordinary TLS host name checks
 *
 * Putting the share-encryption key under the CA's signature is what lets a dealer trust it.
 */
import { isIP } from 'node:net';
import { PkiError } from './errors.js';
import { canonicalRoles, IDENTITY_PATTERN, isIdentity, isRole, type Role } from './roles.js';

const ROLE_PREFIX = 'urn:kofn:role:';
const SHARE_KEY_PREFIX = 'urn:kofn:x25519:';
export const SHARE_KEY_LENGTH = 32;

/** What a certificate says about its holder. */
export interface KofnIdentity {
  identity: string;
  roles: Role[];
  /** The node's X25519 share-encryption public key, 32 raw bytes. */
  shareKey?: Buffer;
}

/** Everything a certificate request may ask for; checked the same way on the node and by the CA. */
export interface RequestedNames extends KofnIdentity {
  dnsNames: string[];
  ipAddresses: string[];
}

export function roleUri(role: Role, identity: string): string {
  return `${ROLE_PREFIX}${role}:${identity}`;
}

export function shareKeyUri(shareKey: Buffer): string {
  return `${SHARE_KEY_PREFIX}${shareKey.toString('base64url')}`;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function checkDnsName(name: string): void {
  if (!DNS_NAME.test(name)) throw new PkiError(`DNS name ${JSON.stringify(name)} is not a valid host name`);
}

export function checkIpAddress(address: string): void {
  if (isIP(address) === 0) throw new PkiError(`IP address ${JSON.stringify(address)} is not a valid address`);
}

function decodeShareKey(encoded: string): Buffer {
  const key = Buffer.from(encoded, 'base64url');
  // Re-encoding catches stray characters and non-canonical padding bits, which Buffer.from silently drops.
  if (key.length !== SHARE_KEY_LENGTH || key.toString('base64url') !== encoded) {
    throw new PkiError(`${SHARE_KEY_PREFIX} name must hold ${SHARE_KEY_LENGTH} bytes in unpadded base64url`);
  }
  return key;
}

/**
 * Reads the kofn URIs of one certificate or request. Every URI must be a well-formed kofn name: anything else
 * is refused rather than ignored, so that no certificate carries names that some later reader might honour.
 */
export function parseKofnUris(uris: readonly string[]): KofnIdentity {
  const roles: Role[] = [];
  let identity: string | undefined;
  let shareKey: Buffer | undefined;
  for (const uri of uris) {
    if (uri.startsWith(ROLE_PREFIX)) {
      const rest = uri.slice(ROLE_PREFIX.length);
      const colon = rest.indexOf(':');
      const role = rest.slice(0, colon);
      const id = rest.slice(colon + 1);
      if (colon < 0 || !isRole(role)) throw new PkiError(`${JSON.stringify(uri)} does not name a known role`);
      if (!isIdentity(id)) throw new PkiError(`${JSON.stringify(uri)} does not hold a valid identity`);
      if (identity !== undefined && id !== identity) {
        throw new PkiError(`role names disagree on the identity: ${JSON.stringify(identity)} and ${JSON.stringify(id)}`);
      }
      if (roles.includes(role)) throw new PkiError(`role ${role} is named twice`);
      identity = id;
      roles.push(role);
    } else if (uri.startsWith(SHARE_KEY_PREFIX)) {
      if (shareKey !== undefined) throw new PkiError('more than one share-encryption key is named');
      shareKey = decodeShareKey(uri.slice(SHARE_KEY_PREFIX.length));
    } else {
      throw new PkiError(`${JSON.stringify(uri)} is not a kofn name (urn:kofn:role:… or urn:kofn:x25519:…)`);
    }
  }
  if (identity === undefined) throw new PkiError('no kofn role name (urn:kofn:role:<role>:<identity>) is present');
  if (shareKey !== undefined && !roles.includes('node')) {
    throw new PkiError('a share-encryption key belongs only on a node certificate');
  }
  const result: KofnIdentity = { identity, roles: canonicalRoles(roles) };
  if (shareKey !== undefined) result.shareKey = shareKey;
  return result;
}

/** Checks requested names built by a caller (createKeyAndCsr) before anything is generated. */
export function checkRequestedNames(names: RequestedNames): void {
  if (!isIdentity(names.identity)) {
    throw new PkiError(`identity ${JSON.stringify(names.identity)} must match ${String(IDENTITY_PATTERN)}`);
  }
  if (names.roles.length === 0) throw new PkiError('at least one role is required');
  for (const role of names.roles) {
    if (!isRole(role)) throw new PkiError(`${JSON.stringify(role)} is not a role`);
  }
  if (names.shareKey !== undefined && names.shareKey.length !== SHARE_KEY_LENGTH) {
    throw new PkiError(`the share-encryption key must be ${SHARE_KEY_LENGTH} bytes, got ${names.shareKey.length}`);
  }
  names.dnsNames.forEach(checkDnsName);
  names.ipAddresses.forEach(checkIpAddress);
  // Round trip through the URI form so that both sides apply exactly the same rules.
  parseKofnUris(kofnUris(names));
}

export function kofnUris(names: KofnIdentity): string[] {
  const uris = names.roles.map((role) => roleUri(role, names.identity));
  if (names.shareKey !== undefined) uris.push(shareKeyUri(names.shareKey));
  return uris;
}
