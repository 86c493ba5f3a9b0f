/**
 * The child process of test/unit/ceremony/import.test.ts's SoftHSM2 cases: SoftHSM2 is loaded here,
 * never in mocha's process (see test/helpers/p11-driver.ts for why). SOFTHSM2_CONF comes from the
 * parent's environment. Reads one JSON request on stdin, prints one JSON line.
 *
 *   generate: makes RSA-2048 key pairs on the token with pkcs11js and signs `data` with each
 *             (CKM_SHA256_RSA_PKCS), answering their public halves and signatures.
 *   import:   readPkcs11Key → dealImported → signWithShares for each subset of shares, answering
 *             the signatures (the primes never leave this process), or { error } with the message.
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { readPkcs11Key } from '../../src/ceremony/import/softhsm.js';
import { dealImported, signWithShares } from '../../src/threshold/rsa/index.js';

export interface GenerateRequest {
  module: string;
  tokenLabel: string;
  pin: string;
  data: string;
  keys: { label: string; id: string; extractable: boolean; sensitive: boolean }[];
}

export interface GeneratedKey {
  label: string;
  id: string;
  modulus: string;
  exponent: string;
  signature: string;
}

export interface ImportRequest {
  module: string;
  tokenLabel: string;
  pin: string;
  id?: string;
  label?: string;
  shares: number;
  threshold: number;
  data: string;
  subsets: number[][];
}

export type ImportReply =
  | {
    ok: {
      n: string; e: string; label?: string; ckaId?: string; source: string; sharing: string;
      signatures: string[]; wiped: boolean;
    };
  }
  | { error: string };

async function stdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function generate(r: GenerateRequest): GeneratedKey[] {
  const p11 = new pkcs11js.PKCS11();
  p11.load(r.module);
  p11.C_Initialize();
  try {
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === r.tokenLabel);
    if (slot === undefined) throw new Error(`no token ${r.tokenLabel}`);
    const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p11.C_Login(session, pkcs11js.CKU_USER, r.pin);
    const out: GeneratedKey[] = [];
    for (const k of r.keys) {
      const id = Buffer.from(k.id, 'hex');
      const pair = p11.C_GenerateKeyPair(session, { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN }, [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: k.label },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ], [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_LABEL, value: k.label },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: k.extractable },
        { type: pkcs11js.CKA_SENSITIVE, value: k.sensitive },
      ]);
      p11.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, pair.privateKey);
      const signature = p11.C_Sign(session, Buffer.from(r.data, 'hex'), Buffer.alloc(512));
      const [modulus, exponent] = p11.C_GetAttributeValue(session, pair.publicKey, [
        { type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT },
      ]).map((a) => a.value);
      if (!modulus || !exponent) throw new Error('no public key attributes');
      out.push({
        label: k.label, id: k.id, modulus: modulus.toString('hex'), exponent: exponent.toString('hex'),
        signature: signature.toString('hex'),
      });
    }
    p11.C_Logout(session);
    p11.C_CloseSession(session);
    return out;
  } finally {
    p11.C_Finalize();
    p11.close();
  }
}

async function importKey(r: ImportRequest): Promise<ImportReply> {
  let key;
  try {
    key = await readPkcs11Key({
      module: r.module, tokenLabel: r.tokenLabel, pin: r.pin,
      ...(r.id === undefined ? {} : { id: Buffer.from(r.id, 'hex') }),
      ...(r.label === undefined ? {} : { label: r.label }),
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { p, q } = key;
  const dealt = dealImported(p, q, { e: key.e, n: key.n, shares: r.shares, threshold: r.threshold });
  const wiped = p.every((b) => b === 0) && q.every((b) => b === 0);
  const signatures: string[] = [];
  for (const subset of r.subsets) {
    const shares = subset.map((i) => {
      const s = dealt.shares[i - 1];
      if (s === undefined) throw new Error(`no share ${i}`);
      return s;
    });
    const digest = createHash('sha256').update(Buffer.from(r.data, 'hex')).digest();
    const sig = await signWithShares(dealt.publicKey, { scheme: 'pkcs1', hash: 'sha256', digest }, shares);
    signatures.push(sig.toString('hex'));
  }
  for (const s of dealt.shares) s.destroy();
  key.wipe();
  return {
    ok: {
      n: key.n.toString(16), e: key.e.toString(16), source: key.source, sharing: dealt.sharing, signatures, wiped,
      ...(key.label === undefined ? {} : { label: key.label }),
      ...(key.ckaId === undefined ? {} : { ckaId: key.ckaId.toString('hex') }),
    },
  };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const request = JSON.parse(await stdin()) as unknown;
  let reply: unknown;
  if (mode === 'generate') reply = generate(request as GenerateRequest);
  else if (mode === 'import') reply = await importKey(request as ImportRequest);
  else throw new Error(`unknown mode ${mode}`);
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stdout.write(`${JSON.stringify({ fatal: e instanceof Error ? e.stack : String(e) })}\n`);
    process.exit(1);
  },
);
