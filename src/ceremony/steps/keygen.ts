/**
 * Step 3, Key generation and slicing: what to make (a new key, an imported one, or a batch for the
 * pre-dealt pool), on which nodes and with which threshold; then deal, and check every share and
 * several k-subsets (check.ts) before step 4 ships anything.
 */
import { randomBytes } from 'node:crypto';
import { UserError } from '../../cli/errors.js';
import { newKeyId } from '../../coordinator/coordinator.js';
import type { TokenRow, TokenStore } from '../../pkcs11/service/store.js';
import { type DealtKey, dealImported, generateKey } from '../../threshold/rsa/index.js';
import { checkDealtKey } from '../check.js';
import { dnssecRecords, type DnssecRecords, fqdn, KSK_FLAGS, RSA_ALGORITHMS, ZSK_FLAGS } from '../dnssec.js';
import { readAloud } from '../fingerprint.js';
import { readBindPrivate } from '../import/bind.js';
import { readPkcs11Key } from '../import/softhsm.js';
import { readPkcs8 } from '../import/pkcs8.js';
import type { ImportedRsaKey } from '../import/types.js';
import { progress } from '../progress.js';
import type { Session } from '../session.js';

export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface PlannedKey {
  keyId: string;
  dealt: DealtKey;
  nodes: string[];
  origin: 'generated' | 'imported';
  /** Empty for pool keys: the application names them in C_GenerateKeyPair. */
  label: string;
  ckaId: Buffer;
  algorithm: number;
  flags: number;
  zone: string;
  source: string;
  records?: DnssecRecords;
}

export interface KeygenPlan {
  kind: 'key' | 'pool';
  token: TokenRow;
  keys: PlannedKey[];
  /** For the pool: also switch the token's C_GenerateKeyPair to take pool keys. */
  poolPolicy: boolean;
}

const SOURCES = [
  { name: 'generate a new key', value: 'generate' },
  { name: 'import a PKCS#8 PEM file', value: 'import-pkcs8' },
  { name: 'import a BIND K*.private file', value: 'import-bind' },
  { name: 'import an extractable key from a PKCS#11 module (SoftHSM2)', value: 'import-pkcs11' },
  { name: 'deal a batch of keys into the pre-dealt pool', value: 'pool' },
] as const;

const HEX_ID = /^(?:[0-9a-f]{2}){1,64}$/;

function wholeNumber(min: number, max: number) {
  return (a: unknown) => {
    const n = Number(a);
    return /^\d+$/.test(String(a)) && n >= min && n <= max ? undefined : `a whole number from ${min} to ${max}`;
  };
}

async function chooseNodes(s: Session, token: TokenRow): Promise<{ nodes: string[]; k: number }> {
  const nodes = (await s.ask({
    id: 'keygen.nodes', kind: 'checkbox', message: 'Nodes that will hold a share (one share each):',
    choices: token.nodes.map((n) => ({ name: n, value: n })), default: token.nodes,
    check: (a) => (Array.isArray(a) && a.length >= 1 ? undefined : 'choose at least one node'),
  })) as string[];
  const k = Number(await s.askText({
    id: 'keygen.threshold', message: `Shares needed to sign, k (more than half of ${nodes.length}):`,
    default: String(Math.floor(nodes.length / 2) + 1),
    check: (a) => {
      const n = Number(a);
      return Number.isInteger(n) && n > nodes.length / 2 && n <= nodes.length
        ? undefined
        : `k must be more than ${nodes.length / 2} and at most ${nodes.length}`;
    },
  }));
  return { nodes, k };
}

async function naming(s: Session, store: TokenStore, token: TokenRow, dflt: { label?: string; id?: Buffer }):
Promise<{ label: string; ckaId: Buffer }> {
  const taken = (field: 'label' | 'ckid', v: Buffer) =>
    store.find(token.id, field === 'label' ? { label: v } : { ckid: v }, true).length > 0;
  const label = await s.askText({
    id: 'keygen.label', message: 'CKA_LABEL (what OpenDNSSEC and BIND look the key up by):',
    ...(dflt.label === undefined ? {} : { default: dflt.label }),
    check: (a) => {
      const b = Buffer.from(String(a), 'utf8');
      if (b.length === 0 || b.length > 64) return '1 to 64 bytes';
      return taken('label', b) ? `token ${token.label} already has an object labelled ${String(a)}` : undefined;
    },
  });
  const id = await s.askText({
    id: 'keygen.id', message: 'CKA_ID in hex:', default: (dflt.id ?? randomBytes(16)).toString('hex'),
    check: (a) => {
      const v = String(a).toLowerCase();
      if (!HEX_ID.test(v)) return '1 to 64 bytes in hex';
      return taken('ckid', Buffer.from(v, 'hex')) ? `token ${token.label} already has an object with that CKA_ID` : undefined;
    },
  });
  return { label, ckaId: Buffer.from(id.toLowerCase(), 'hex') };
}

async function dnssecRole(s: Session, dflt: { algorithm?: number; flags?: number; zone?: string }) {
  const zone = fqdn(await s.askText({
    id: 'keygen.zone', message: 'Zone (owner name of the DNSKEY):', ...(dflt.zone ? { default: dflt.zone } : {}),
    check: (a) => (/^([a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}\.?$/i.test(String(a)) ? undefined : 'a domain name'),
  }));
  const algorithm = Number(await s.select('keygen.algorithm', 'DNSSEC algorithm:',
    Object.entries(RSA_ALGORITHMS).map(([n, a]) => ({ name: `${n} ${a.name}`, value: n })),
    String(dflt.algorithm ?? 8)));
  const role = await s.select('keygen.role', 'Key role:', [
    { name: 'KSK (flags 257, gets a DS at the parent)', value: 'KSK' }, { name: 'ZSK (flags 256)', value: 'ZSK' },
  ], dflt.flags === ZSK_FLAGS ? 'ZSK' : 'KSK');
  return { zone, algorithm, flags: role === 'KSK' ? KSK_FLAGS : ZSK_FLAGS };
}

async function importSource(s: Session, source: string): Promise<ImportedRsaKey> {
  if (source === 'import-pkcs8') {
    const file = await s.askText({ id: 'import.file', message: 'PKCS#8 PEM file:' });
    const pass = await s.askText({ id: 'import.passphrase', message: 'Its passphrase (empty if none):', default: '' },
      { secret: true });
    return readPkcs8(file, pass.length > 0 ? pass : undefined);
  }
  if (source === 'import-bind') {
    return readBindPrivate(await s.askText({ id: 'import.file', message: 'BIND K*.private file:' }));
  }
  const module = await s.askText({ id: 'import.module', message: 'PKCS#11 module:', default: SOFTHSM2_MODULE });
  const tokenLabel = await s.askText({ id: 'import.token', message: 'Token label in that module:' });
  const pin = await s.askText({ id: 'import.pin', message: 'Its user PIN:' }, { secret: true });
  const id = await s.askText({ id: 'import.key-id', message: 'CKA_ID of the key in hex (empty to choose by label):',
    default: '', check: (a) => (String(a) === '' || HEX_ID.test(String(a).toLowerCase()) ? undefined : 'hex') });
  const label = id === '' ? await s.askText({ id: 'import.key-label', message: 'CKA_LABEL of the key:' }) : undefined;
  return readPkcs11Key({
    module, tokenLabel, pin, ...(id === '' ? {} : { id: Buffer.from(id, 'hex') }),
    ...(label === undefined ? {} : { label }),
  });
}

function describe(k: PlannedKey): string[] {
  const pub = k.dealt.publicKey;
  const fp = readAloud(pub.fingerprint());
  const lines = [
    `  key ${k.keyId}: RSA-${pub.bits}, ${pub.k} of ${pub.l} on ${k.nodes.join(', ')}`,
    `    public key fingerprint ${fp.hex}`,
    `    ${fp.words.join(' ')}`,
  ];
  if (k.records) lines.push(`    ${k.records.dnskey}`, `    ${k.records.ds}`);
  return lines;
}

async function deal(s: Session, k: Omit<PlannedKey, 'dealt' | 'records'>, make: () => Promise<DealtKey>):
Promise<PlannedKey> {
  const bar = progress(`dealing ${k.label || 'pool key'}`);
  const dealt = await make();
  bar.finish(`RSA-${dealt.publicKey.bits}, ${dealt.publicKey.l} shares`);
  const check = progress('checking every share and test-signing with k-subsets');
  const verdict = await checkDealtKey(dealt, k.keyId);
  check.finish(`${verdict.proven.length}/${dealt.publicKey.l} shares proven, ${
    verdict.subsets.filter((x) => x.ok).length}/${verdict.subsets.length} subsets signed`);
  s.event('check', { keyId: k.keyId, proven: verdict.proven, subsets: verdict.subsets });
  if (!verdict.ok) {
    for (const sh of dealt.shares) sh.destroy();
    throw new Error(`key ${k.keyId} failed its checks: nothing was shipped`);
  }
  const pub = dealt.publicKey;
  const records = k.zone === ''
    ? undefined
    : dnssecRecords({
        owner: k.zone, flags: k.flags, algorithm: k.algorithm, n: pub.n, e: pub.e,
      });
  const planned: PlannedKey = { ...k, dealt, ...(records ? { records } : {}) };
  s.say(...describe(planned));
  s.event('key', {
    keyId: k.keyId, label: k.label, ckaId: k.ckaId.toString('hex'), bits: pub.bits, k: pub.k, n: pub.l,
    nodes: k.nodes, origin: k.origin, source: k.source, fingerprint: pub.fingerprint(),
    words: readAloud(pub.fingerprint()).words, algorithm: k.algorithm, zone: k.zone,
    ...(records ? { dnskey: records.dnskey, ds: records.ds, keyTag: records.keyTag } : {}),
  });
  return planned;
}

/** Reports nodes that are down before minutes go into dealing a key they could not take. */
async function checkNodes(s: Session, nodes: string[], probe: (nodes: string[]) => Promise<Map<string, string>>) {
  const down = await probe(nodes);
  if (down.size === 0) return;
  for (const [node, why] of down) s.warn(`${node} does not answer now: ${why}`);
  const go = await s.confirm('keygen.proceed-with-unreachable',
    `Deal anyway? Shipping waits up to 30 s for ${[...down.keys()].join(', ')}, then offers retry or abort.`);
  if (!go) throw new UserError(`${[...down.keys()].join(', ')} unreachable: stopped before key generation`);
}

export async function keygenStep(s: Session, store: TokenStore,
  probe: (nodes: string[]) => Promise<Map<string, string>>): Promise<KeygenPlan> {
  s.step(3, 'Key generation and slicing');
  const tokenLabel = await s.askText({
    id: 'keygen.token', message: 'Token that will use the key:', default: store.tokens()[0]?.label ?? 'kofn',
    check: (a) => (store.tokenByLabel(String(a)) ? undefined : `no token labelled ${String(a)}`),
  });
  const token = store.tokenByLabel(tokenLabel);
  if (token === undefined) throw new UserError(`no token labelled ${tokenLabel}`);
  const source = await s.select('keygen.source', 'What will this ceremony make?', SOURCES, 'generate');
  const { nodes, k } = await chooseNodes(s, token);
  await checkNodes(s, nodes, probe);

  if (source === 'pool') {
    const count = Number(await s.askText({ id: 'pool.count', message: 'How many keys for the pool?', default: '4',
      check: wholeNumber(1, 100) }));
    const bits = Number(await s.select('pool.bits', 'Modulus size:',
      ['2048', '3072', '4096'].map((b) => ({ name: `RSA-${b}`, value: b })), '2048'));
    const poolPolicy = await s.confirm('pool.policy',
      `Switch token ${token.label} to the pool policy (C_GenerateKeyPair takes pool keys, never deals)?`, true);
    s.say(`About to deal ${count} RSA-${bits} keys, ${k} of ${nodes.length}, for the pool of token ${token.label}.`);
    if (!(await s.confirm('keygen.confirm', 'Generate now?', true))) throw new UserError('stopped before key generation');
    const keys: PlannedKey[] = [];
    for (let i = 0; i < count; i++) {
      keys.push(await deal(s, {
        keyId: newKeyId(), nodes, origin: 'generated', label: '', ckaId: Buffer.alloc(0), algorithm: 8, flags: 0,
        zone: '', source: 'generated in the ceremony for the pool',
      }, () => generateKey({ bits, shares: nodes.length, threshold: k })));
    }
    return { kind: 'pool', token, keys, poolPolicy };
  }

  let imported: ImportedRsaKey | undefined;
  let bits = 0;
  if (source === 'generate') {
    bits = Number(await s.select('keygen.bits', 'Modulus size:',
      ['2048', '3072', '4096'].map((b) => ({ name: `RSA-${b}`, value: b })), '2048'));
  } else {
    imported = await importSource(s, source);
    s.say(`  read ${imported.source}`);
  }
  try {
    const role = await dnssecRole(s, {
      ...(imported?.dnssecAlgorithm === undefined ? {} : { algorithm: imported.dnssecAlgorithm }),
      ...(imported?.flags === undefined ? {} : { flags: imported.flags }),
      ...(imported?.zone === undefined ? {} : { zone: imported.zone }),
    });
    const name = await naming(s, store, token, {
      label: imported?.label ?? `${role.zone.replace(/\.$/, '')}-${role.flags === KSK_FLAGS ? 'ksk' : 'zsk'}`,
      ...(imported?.ckaId === undefined ? {} : { id: imported.ckaId }),
    });
    const what = imported ? `import of ${imported.source}` : `a new RSA-${bits} key`;
    s.say(`About to deal ${what} as ${name.label} (id ${name.ckaId.toString('hex')}) into ${nodes.length} shares,`,
      `${k} needed to sign, for token ${token.label}.`);
    if (!(await s.confirm('keygen.confirm', 'Deal the key now?', true))) throw new UserError('stopped before key generation');
    const base = {
      keyId: newKeyId(), nodes, label: name.label, ckaId: name.ckaId, ...role,
      origin: imported ? ('imported' as const) : ('generated' as const),
      source: imported ? imported.source : 'generated in the ceremony',
    };
    const key = await deal(s, base, async () => {
      if (!imported) return generateKey({ bits, shares: nodes.length, threshold: k });
      return dealImported(imported.p, imported.q, { e: imported.e, shares: nodes.length, threshold: k, n: imported.n });
    });
    if (imported && key.dealt.publicKey.n !== imported.n) throw new Error('the dealt modulus differs from the source key');
    return { kind: 'key', token, keys: [key], poolPolicy: false };
  } finally {
    imported?.wipe();
  }
}
