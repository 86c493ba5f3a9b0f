/**
 * The process that actually loads a PKCS#11 module for the conformance tests, so that a module
 * that crashes or hangs cannot take mocha down, and so that each child is one PKCS#11
 * "application" (its own C_Initialize, sessions and login state), as OpenDNSSEC's daemons are.
 *
 *   node dist/test/helpers/p11-child.js rpc MODULE
 *     Loads MODULE with pkcs11js (without calling C_Initialize) and answers JSON lines on stdin,
 *     {"id": n, "fn": "C_Login", "args": [...]}, with one JSON line each on stdout:
 *     {"id": n, "ok": value} or {"id": n, "ckr": "CKR_PIN_INCORRECT", "code": 160} or
 *     {"id": n, "error": "message"} for a failure that is not a PKCS#11 return value.
 *     Buffers travel as {"$b": "hex"} both ways. Ends (C_Finalize if initialised) when stdin ends.
 *
 *   node dist/test/helpers/p11-child.js graphene MODULE
 *     Reads one JSON object on stdin (see GrapheneArgs) and prints one JSON result (GrapheneResult):
 *     the same module driven through graphene-pk11's object API instead of raw calls.
 *
 * The parent side is test/helpers/p11-driver.ts.
 */
import * as graphene from 'graphene-pk11';
import pkcs11js from 'pkcs11js';
import { createInterface } from 'node:readline';
import { decode, encode, type GrapheneArgs, type GrapheneResult, type Json, type RpcRequest } from './p11-json.js';

/**
 * pkcs11js reports a CK_RV other than CKR_OK by throwing an Error that is either its Pkcs11Error
 * (message "CKR_PIN_INCORRECT", code 160) or, from the functions it does not wrap, the native
 * error itself (message "CKR_ATTRIBUTE_READ_ONLY:16").
 */
function ckrOf(e: unknown): { ckr: string; code: number } | undefined {
  if (!(e instanceof Error)) return undefined;
  const native = /^(CKR_[A-Z0-9_]+):(\d+)/.exec(e.message);
  if (native?.[1] !== undefined && native[2] !== undefined) return { ckr: native[1], code: Number(native[2]) };
  const code = (e as { code?: unknown }).code;
  if (!/^CKR_[A-Z0-9_]+$/.test(e.message) || typeof code !== 'number') return undefined;
  return { ckr: e.message, code };
}

function failure(e: unknown): { ckr: string; code: number } | { error: string } {
  return ckrOf(e) ?? { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

async function rpc(modulePath: string): Promise<void> {
  const p11 = new pkcs11js.PKCS11();
  p11.load(modulePath);
  let initialized = false;
  const table = p11 as unknown as Record<string, (...a: unknown[]) => unknown>;
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const req = JSON.parse(line) as RpcRequest;
    let reply: Record<string, Json>;
    try {
      const fn = table[req.fn];
      if (!req.fn.startsWith('C_') || typeof fn !== 'function') throw new Error(`no such function ${req.fn}`);
      const value = fn.apply(p11, decode(req.args) as unknown[]);
      if (req.fn === 'C_Initialize') initialized = true;
      if (req.fn === 'C_Finalize') initialized = false;
      reply = { id: req.id, ok: encode(value) };
    } catch (e) {
      reply = { id: req.id, ...failure(e) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
  if (initialized) {
    try {
      p11.C_Finalize();
    } catch {
      // the parent has its answers; a failing C_Finalize changes none of them
    }
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Key generation, signing and verification through graphene-pk11's objects. */
async function grapheneScenario(modulePath: string): Promise<void> {
  const a = JSON.parse(await readStdin()) as GrapheneArgs;
  const mod = graphene.Module.load(modulePath, 'module under test');
  mod.initialize();
  try {
    const slots = mod.getSlots(true);
    let slot: graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots.items(i);
      if (s.getToken().label.trim() === a.tokenLabel) slot = s;
    }
    if (slot === undefined) throw new Error(`no token labelled ${a.tokenLabel}`);
    const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    session.login(a.userPin, graphene.UserType.USER);
    const id = Buffer.from(a.id, 'hex');
    const keys = session.generateKeyPair(
      graphene.KeyGenMechanism.RSA,
      {
        keyType: graphene.KeyType.RSA, token: true, id, label: a.label, verify: true, encrypt: false, wrap: false,
        modulusBits: 1024, publicExponent: Buffer.from([1, 0, 1]),
      },
      {
        keyType: graphene.KeyType.RSA, token: true, private: true, id, label: a.label, sign: true, decrypt: false,
        unwrap: false, sensitive: true, extractable: false,
      },
    );
    const data = Buffer.from(a.data, 'hex');
    const signature = session.createSign('SHA256_RSA_PKCS', keys.privateKey).once(data);
    const verified = session.createVerify('SHA256_RSA_PKCS', keys.publicKey).once(data, signature);
    let tamperedVerified: boolean;
    try {
      tamperedVerified = session.createVerify('SHA256_RSA_PKCS', keys.publicKey).once(Buffer.concat([data, data]), signature);
    } catch (e) {
      if (ckrOf(e)?.ckr !== 'CKR_SIGNATURE_INVALID') throw e;
      tamperedVerified = false;
    }
    const pub = keys.publicKey.getAttribute({ modulus: null, publicExponent: null }) as {
      modulus: Buffer; publicExponent: Buffer;
    };
    const found = session.find({ id }).length;
    session.logout();
    session.close();
    const result: GrapheneResult = {
      modulus: pub.modulus.toString('hex'), publicExponent: pub.publicExponent.toString('hex'),
      signature: signature.toString('hex'), verified, tamperedVerified, found,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    mod.finalize();
  }
}

async function main(): Promise<void> {
  const [mode, modulePath] = process.argv.slice(2);
  if (modulePath === undefined) throw new Error('usage: p11-child.js rpc|graphene MODULE');
  if (mode === 'rpc') await rpc(modulePath);
  else if (mode === 'graphene') await grapheneScenario(modulePath);
  else throw new Error(`unknown mode ${mode}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stdout.write(`${JSON.stringify({ ...failure(e), fatal: true })}\n`);
    process.exit(1);
  },
);
