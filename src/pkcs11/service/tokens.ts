/** Creating tokens (kofn token init) and describing them (token list/show, PKCS#11 URIs of RFC 7512). */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { UserError } from '../../cli/errors.js';
import { loadCluster } from '../../cluster/cluster-file.js';
import * as ck from '../ck.js';
import { makePin, sealSecrets } from './pin.js';
import type { TokenRow, TokenStore } from './store.js';
import { MAX_PIN, MIN_PIN } from './token-service.js';

export interface NewToken {
  label: string;
  soPin: string;
  userPin: string;
  /** Directory of the cluster's cluster.yaml; the token signs with its coordinator identity. */
  clusterDir: string;
}

function checkPin(what: string, pin: string): Buffer {
  const b = Buffer.from(pin, 'utf8');
  if (b.length < MIN_PIN || b.length > MAX_PIN) throw new UserError(`${what} must be ${MIN_PIN} to ${MAX_PIN} bytes`);
  return b;
}

export async function createToken(store: TokenStore, t: NewToken): Promise<TokenRow> {
  const label = Buffer.from(t.label, 'utf8');
  if (label.length === 0 || label.length > 32) throw new UserError('the label must be 1 to 32 bytes');
  if (store.tokenByLabel(t.label) !== undefined) throw new UserError(`a token labelled ${t.label} exists already`);
  const so = checkPin('the SO PIN', t.soPin);
  const user = checkPin('the user PIN', t.userPin);
  const cluster = loadCluster(resolve(t.clusterDir));
  const identity = cluster.tlsFor('coordinator');
  const master = randomBytes(32);
  const secret = Buffer.from(JSON.stringify({ certPem: identity.certPem, keyPem: identity.keyPem }), 'utf8');
  try {
    const id = store.createToken({
      label: t.label,
      serial: randomBytes(8).toString('hex'),
      clusterDir: cluster.dir,
      nodes: cluster.endpoints.map((e) => e.id),
      threshold: cluster.file.threshold,
      soPin: await makePin(so, master),
      userPin: await makePin(user, master),
      soFailures: 0,
      userFailures: 0,
      secrets: sealSecrets(master, secret),
      keygenPolicy: 'all',
      created: new Date().toISOString(),
    });
    const row = store.token(id);
    if (row === undefined) throw new Error('token vanished');
    return row;
  } finally {
    master.fill(0);
    secret.fill(0);
    so.fill(0);
    user.fill(0);
  }
}

/** RFC 7512 percent-encoding of a path attribute value; `every` octet for binary values such as ids. */
function pct(s: string | Buffer, every = false): string {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return [...b].map((c) => {
    const ch = String.fromCharCode(c);
    return !every && /[A-Za-z0-9\-._~!$&'()*+,=:@]/.test(ch) ? ch : `%${c.toString(16).padStart(2, '0').toUpperCase()}`;
  }).join('');
}

export function tokenUri(t: TokenRow): string {
  return `pkcs11:model=${pct(`kofn ${t.threshold}-of-${t.nodes.length}`)};manufacturer=kofn;serial=${t.serial};token=${pct(t.label)}`;
}

/**
 * The RFC 7512 URI of a key object, as token show and token keygen print it. The id is binary, so
 * all of it is percent-encoded, as RFC 7512 recommends (and p11-kit does): %30 rather than 0.
 */
export function keyUri(token: string, id: Buffer, label: string | Buffer, type: 'public' | 'private'): string {
  return `pkcs11:token=${pct(token)};id=${pct(id, true)};object=${pct(label)};type=${type}`;
}

export interface KeySummary {
  label: string;
  id: string;
  cls: 'public' | 'private';
  bits: number;
  uri: string;
  keyId?: string;
  nodes?: string[];
}

/** Keys of a token (public metadata only) with their PKCS#11 URIs. */
export function listKeys(store: TokenStore, t: TokenRow): KeySummary[] {
  const out: KeySummary[] = [];
  for (const o of store.find(t.id, {}, true)) {
    const cls = o.attrs.get(ck.CKA_CLASS);
    if (cls !== ck.CKO_PUBLIC_KEY && cls !== ck.CKO_PRIVATE_KEY) continue;
    const label = (o.attrs.get(ck.CKA_LABEL) as Buffer | undefined) ?? Buffer.alloc(0);
    const id = (o.attrs.get(ck.CKA_ID) as Buffer | undefined) ?? Buffer.alloc(0);
    const n = o.attrs.get(ck.CKA_MODULUS) as Buffer | undefined;
    const type = cls === ck.CKO_PUBLIC_KEY ? 'public' : 'private';
    const placement = o.placement === null
      ? undefined
      : (JSON.parse(o.placement) as { keyId: string; nodes: string[] });
    out.push({
      label: label.toString('utf8'), id: id.toString('hex'), cls: type, bits: n ? n.length * 8 : 0,
      uri: keyUri(t.label, id, label, type),
      ...(placement ? { keyId: placement.keyId, nodes: placement.nodes } : {}),
    });
  }
  return out;
}
