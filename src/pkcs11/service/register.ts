/**
 * The PKCS#11 objects of a threshold RSA key pair, built in one place whatever made the key:
 * C_GenerateKeyPair (dealt on the spot or taken from the pre-dealt pool) or a key ceremony. The
 * attribute table (attributes.ts) gives the defaults; this file adds what every threshold key is.
 *
 * A ceremony registers its keys by writing to the token's store file while the service may be
 * running; that is safe because the service reads objects from the store on every find and keeps
 * no copy of the object list.
 */
import { bitLength, i2osp } from '../../threshold/bytes.js';
import type { PublicKeyJson, ThresholdPublicKey } from '../../threshold/rsa/index.js';
import * as ck from '../ck.js';
import { UNAVAILABLE } from '../protocol/wire.js';
import type { Attrs, AttrValue } from './attributes.js';
import { CkError } from './errors.js';
import { buildObject } from './objects.js';
import { exponentBytes, type TokenStore } from './store.js';

/**
 * 'generated': dealt by kofn (in the service or a ceremony), so it never existed whole outside.
 * 'imported': it existed elsewhere first (e.g. a SoftHSM2 key split by a ceremony).
 */
export type KeyOrigin = 'generated' | 'imported';

/** Where a key's shares live, stored with its private-key object and in the pool (docs/token-service.md). */
export interface PlacementJson {
  v: 1;
  keyId: string;
  nodes: string[];
  publicKey: PublicKeyJson;
  /** For the auditor (kofn audit keys); absent in placements written before they existed. */
  origin?: KeyOrigin;
  /** ISO time the key was dealt. */
  created?: string;
  /** The key ceremony that dealt it; absent for a key dealt by C_GenerateKeyPair. */
  ceremony?: string;
}

export function placementJson(keyId: string, nodes: readonly string[], publicKey: ThresholdPublicKey,
  meta: { origin?: KeyOrigin; ceremony?: string } = {}): string {
  const json: PlacementJson = {
    v: 1, keyId, nodes: [...nodes], publicKey: publicKey.toJSON(), origin: meta.origin ?? 'generated',
    created: new Date().toISOString(), ...(meta.ceremony === undefined ? {} : { ceremony: meta.ceremony }),
  };
  return JSON.stringify(json);
}

export interface KeyPair<T> {
  pub: T;
  priv: T;
}

/**
 * The attributes of both objects from the caller's templates. Without `n` only the templates are
 * checked, before primes are spent on a key. `fixed` holds values the caller insists on (a
 * ceremony's CKA_TOKEN…): a template that contradicts them is CKR_TEMPLATE_INCONSISTENT.
 */
export function thresholdKeyPair(
  origin: KeyOrigin,
  templates: KeyPair<Attrs>,
  key: { e: bigint; n?: bigint },
  fixed: Partial<KeyPair<Attrs>> = {},
): KeyPair<Attrs> {
  if (templates.priv.get(ck.CKA_EXTRACTABLE) === true || templates.priv.get(ck.CKA_SENSITIVE) === false) {
    throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID, 'a threshold key is never extractable nor readable');
  }
  const privTemplate: Attrs = new Map(templates.priv);
  // The table's default (false) suits data objects; a private key stays behind the user PIN unless asked.
  if (!privTemplate.has(ck.CKA_PRIVATE)) privTemplate.set(ck.CKA_PRIVATE, true);
  const generated = origin === 'generated';
  const common = (cls: bigint): [bigint, AttrValue][] => {
    const a: [bigint, AttrValue][] = [
      [ck.CKA_CLASS, cls], [ck.CKA_KEY_TYPE, ck.CKK_RSA], [ck.CKA_LOCAL, generated],
      [ck.CKA_KEY_GEN_MECHANISM, generated ? ck.CKM_RSA_PKCS_KEY_PAIR_GEN : UNAVAILABLE],
      [ck.CKA_PUBLIC_EXPONENT, exponentBytes(key.e)],
    ];
    if (key.n !== undefined) a.push([ck.CKA_MODULUS, i2osp(key.n, Math.ceil(bitLength(key.n) / 8))]);
    return a;
  };
  const pubFixed: Attrs = new Map([...(fixed.pub ?? []), ...common(ck.CKO_PUBLIC_KEY)]);
  if (key.n !== undefined) pubFixed.set(ck.CKA_MODULUS_BITS, BigInt(bitLength(key.n)));
  const privFixed: Attrs = new Map([
    ...(fixed.priv ?? []), ...common(ck.CKO_PRIVATE_KEY),
    // Whoever held an imported key before may have read it; a key kofn dealt was never whole anywhere.
    [ck.CKA_ALWAYS_SENSITIVE, generated], [ck.CKA_NEVER_EXTRACTABLE, generated],
    [ck.CKA_SENSITIVE, true], [ck.CKA_EXTRACTABLE, false],
    // A copy would share the same shares, and destroying either would destroy both.
    [ck.CKA_COPYABLE, false],
  ]);
  return {
    pub: buildObject('generate', templates.pub, pubFixed),
    priv: buildObject('generate', privTemplate, privFixed),
  };
}

export interface ThresholdKey {
  keyId: string;
  /** Share i is on nodes[i-1]. */
  nodes: string[];
  publicKey: ThresholdPublicKey;
  label: Buffer;
  ckaId: Buffer;
  origin: KeyOrigin;
  /** The ceremony that dealt it, recorded in the placement for the auditor. */
  ceremony?: string;
  /** More template attributes (CKA_SUBJECT, CKA_START_DATE…); the label and id above win. */
  extraPub?: Attrs;
  extraPriv?: Attrs;
}

/**
 * Stores a dealt key as a token's public- and private-key objects, with its placement, in one
 * transaction; returns their row ids. Refuses a label or CKA_ID that a private key of the token
 * has already: OpenDNSSEC and the URIs of `kofn token show` name keys by them.
 */
export function registerThresholdKey(store: TokenStore, tokenId: number, k: ThresholdKey): KeyPair<number> {
  const t = store.token(tokenId);
  if (t === undefined) throw new Error(`no token ${tokenId} in ${store.path}`);
  if (k.label.length === 0 || k.ckaId.length === 0) throw new Error(`key ${k.keyId}: a label and a CKA_ID are required`);
  if (k.nodes.length !== k.publicKey.l) {
    throw new Error(`key ${k.keyId}: ${k.nodes.length} nodes for a key of ${k.publicKey.l} shares`);
  }
  const named = (extra: Attrs | undefined): Attrs =>
    new Map<bigint, AttrValue>([...(extra ?? []), [ck.CKA_LABEL, k.label], [ck.CKA_ID, k.ckaId]]);
  const attrs = thresholdKeyPair(k.origin, { pub: named(k.extraPub), priv: named(k.extraPriv) },
    { e: k.publicKey.e, n: k.publicKey.n }, {
      pub: new Map<bigint, AttrValue>([[ck.CKA_TOKEN, true], [ck.CKA_VERIFY, true]]),
      priv: new Map<bigint, AttrValue>([[ck.CKA_TOKEN, true], [ck.CKA_PRIVATE, true], [ck.CKA_SIGN, true]]),
    });
  const placement = placementJson(k.keyId, k.nodes, k.publicKey, {
    origin: k.origin, ...(k.ceremony === undefined ? {} : { ceremony: k.ceremony }),
  });
  return store.atomically(() => {
    const priv = { cls: ck.CKO_PRIVATE_KEY };
    if (store.find(tokenId, { ...priv, label: k.label }, true).length > 0) {
      throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID,
        `token ${t.label} has a private key labelled ${k.label.toString('utf8')} already`);
    }
    if (store.find(tokenId, { ...priv, ckid: k.ckaId }, true).length > 0) {
      throw new CkError(ck.CKR_ATTRIBUTE_VALUE_INVALID,
        `token ${t.label} has a private key with CKA_ID ${k.ckaId.toString('hex')} already`);
    }
    return { pub: store.insertObject(tokenId, attrs.pub), priv: store.insertObject(tokenId, attrs.priv, placement) };
  });
}
