/**
 * PKCS#11 conformance: the same calls, with the exact return values of PKCS#11 2.40, against every
 * module in `modules` — SoftHSM2 as the reference, then kofn's libkofn-pkcs11.so. Each module runs
 * in child processes (test/helpers/p11-driver.ts), one per PKCS#11 application.
 *
 * Where modules legitimately differ the expectation is a field of the module's harness
 * (test/helpers/pkcs11-module.ts), never a branch here.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, constants, type KeyObject, randomBytes, verify } from 'node:crypto';
import type { Attribute } from 'pkcs11js';
import {
  attributes, bool, CK, handle, type P11, raw, runGraphene, rvOf, startApplication, tokenSlot, ulong, withApplication,
} from '../helpers/p11-driver.js';
import { type ModuleUnderTest, softhsm2 } from '../helpers/pkcs11-module.js';
import { kofn } from '../helpers/pkcs11-module-kofn.js';

/** The modules under test, in order. */
const modules: ModuleUnderTest[] = [softhsm2(), kofn()];

const SERIAL = CK.CKF_SERIAL_SESSION;
const RW = CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION;
/** pkcs11js's tag for a CK_RSA_PKCS_PSS_PARAMS mechanism parameter (pkcs11js.CK_PARAMS_RSA_PSS). */
const CK_PARAMS_RSA_PSS = 5;
/** DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1): what OpenDNSSEC hands to CKM_RSA_PKCS. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const MESSAGE = Buffer.from('example. 3600 IN DNSKEY 257 3 8 AwEAAc...; a zone apex RRset to sign');

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const pss = (hashAlg: number, mgf: number, saltLen: number) => ({ type: CK_PARAMS_RSA_PSS, hashAlg, mgf, saltLen });

interface KeyPairIds {
  id: Buffer;
  label: string;
}

/** The templates OpenDNSSEC's libhsm uses for a KSK/ZSK (hsm_generate_rsa_key), 1024 bits for speed. */
function odsTemplates(k: KeyPairIds, over: { pub?: Attribute[]; priv?: Attribute[] } = {}): [Attribute[], Attribute[]] {
  const pub: Attribute[] = [
    { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }, { type: CK.CKA_KEY_TYPE, value: CK.CKK_RSA },
    { type: CK.CKA_TOKEN, value: true }, { type: CK.CKA_PRIVATE, value: false },
    { type: CK.CKA_ID, value: k.id }, { type: CK.CKA_LABEL, value: k.label },
    { type: CK.CKA_VERIFY, value: true }, { type: CK.CKA_ENCRYPT, value: false }, { type: CK.CKA_WRAP, value: false },
    { type: CK.CKA_MODULUS_BITS, value: 1024 }, { type: CK.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
  ];
  const priv: Attribute[] = [
    { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }, { type: CK.CKA_KEY_TYPE, value: CK.CKK_RSA },
    { type: CK.CKA_TOKEN, value: true }, { type: CK.CKA_PRIVATE, value: true },
    { type: CK.CKA_ID, value: k.id }, { type: CK.CKA_LABEL, value: k.label },
    { type: CK.CKA_SIGN, value: true }, { type: CK.CKA_DECRYPT, value: false }, { type: CK.CKA_UNWRAP, value: false },
    { type: CK.CKA_SENSITIVE, value: true }, { type: CK.CKA_EXTRACTABLE, value: false },
  ];
  const merge = (base: Attribute[], extra: Attribute[] = []) =>
    [...base.filter((a) => !extra.some((e) => e.type === a.type)), ...extra];
  return [merge(pub, over.pub), merge(priv, over.priv)];
}

const RSA_KEYGEN = { mechanism: CK.CKM_RSA_PKCS_KEY_PAIR_GEN };

function newIds(what: string): KeyPairIds {
  const id = randomBytes(16);
  return { id, label: `conformance ${what} ${id.toString('hex').slice(0, 8)}` };
}

async function find(p: P11, session: Buffer, template: Attribute[]): Promise<Buffer[]> {
  await p.C_FindObjectsInit(session, template);
  try {
    return await p.C_FindObjects(session, 100);
  } finally {
    await p.C_FindObjectsFinal(session);
  }
}

async function findOne(p: P11, session: Buffer, template: Attribute[]): Promise<Buffer> {
  const found = await find(p, session, template);
  assert.equal(found.length, 1, 'exactly one object matches');
  return found[0] as Buffer;
}

/** The RSA public key as Node sees it, from the token's CKA_MODULUS and CKA_PUBLIC_EXPONENT (via JWK). */
async function publicKeyOf(p: P11, session: Buffer, pub: Buffer): Promise<KeyObject> {
  const a = await attributes(p, session, pub, [CK.CKA_MODULUS, CK.CKA_PUBLIC_EXPONENT]);
  return keyFrom(a.get(CK.CKA_MODULUS), a.get(CK.CKA_PUBLIC_EXPONENT));
}

function keyFrom(n: Buffer | undefined, e: Buffer | undefined): KeyObject {
  assert.ok(n !== undefined && e !== undefined, 'modulus and exponent are readable');
  return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
}

/** An application with one session, logged in as the user when asked. */
async function userSession(p: P11, m: ModuleUnderTest, flags = RW, login = true): Promise<Buffer> {
  const s = await p.C_OpenSession(await tokenSlot(p, m), flags);
  if (login) await p.C_Login(s, CK.CKU_USER, m.userPin);
  return s;
}

for (const m of modules) {
  describe(`PKCS#11 conformance of ${m.name}`, function () {
    this.timeout(60_000 + 4 * m.keyGenMs);

    before(async () => {
      await m.setup();
    });

    after(async () => {
      await m.teardown();
    });

    describe('Library and slots', () => {
      it('C_GetInfo reports Cryptoki version 2.40 or later, a manufacturer and flags 0', async () => {
        await withApplication(m, async (p) => {
          const info = await p.C_GetInfo();
          const { major, minor } = info.cryptokiVersion;
          assert.ok(major > 2 || (major === 2 && minor >= 40), `Cryptoki ${major}.${minor}`);
          assert.notEqual(info.manufacturerID.trim(), '');
          assert.equal(info.flags, 0);
        });
      });

      it('calls before C_Initialize return CKR_CRYPTOKI_NOT_INITIALIZED, a second C_Initialize CKR_CRYPTOKI_ALREADY_INITIALIZED', async () => {
        const p = await startApplication(m, { initialize: false });
        try {
          assert.equal(await rvOf(p.C_GetInfo()), 'CKR_CRYPTOKI_NOT_INITIALIZED');
          assert.equal(await rvOf(p.C_Initialize()), 'CKR_OK');
          assert.equal(await rvOf(p.C_Initialize()), 'CKR_CRYPTOKI_ALREADY_INITIALIZED');
          assert.equal(await rvOf(p.C_Finalize()), 'CKR_OK');
          assert.equal(await rvOf(p.C_Finalize()), 'CKR_CRYPTOKI_NOT_INITIALIZED');
          assert.equal(await rvOf(p.C_Initialize()), 'CKR_OK', 'the library can be initialised again after C_Finalize');
        } finally {
          await p.close();
        }
      });

      it('C_GetSlotList with tokenPresent true lists the token, and with false at least as many slots', async () => {
        await withApplication(m, async (p) => {
          const present = await p.C_GetSlotList(true);
          const all = await p.C_GetSlotList(false);
          assert.ok(present.length >= 1);
          assert.ok(all.length >= present.length);
          for (const s of present) assert.ok(all.some((a) => a.equals(s)), 'every slot with a token is a slot');
          const slot = await tokenSlot(p, m);
          assert.ok((await p.C_GetSlotInfo(slot)).flags & CK.CKF_TOKEN_PRESENT);
        });
      });

      it('C_GetSlotList answers a NULL-buffer length query with the count, and a buffer one short with CKR_BUFFER_TOO_SMALL and the count', async () => {
        interface Q { rv: string; count: number }
        const r = await raw<{ allQuery: Q; presentQuery: Q; tooSmall: Q & { given: number }; full: Q }>(m, 'slots');
        assert.equal(r.allQuery.rv, 'CKR_OK');
        assert.equal(r.presentQuery.rv, 'CKR_OK');
        assert.ok(r.allQuery.count >= r.presentQuery.count && r.presentQuery.count >= 1);
        assert.equal(r.tooSmall.rv, 'CKR_BUFFER_TOO_SMALL');
        assert.equal(r.tooSmall.count, r.allQuery.count, 'the needed count is written back');
        assert.equal(r.full.rv, 'CKR_OK');
        assert.equal(r.full.count, r.allQuery.count);
      });

      it('C_GetSlotInfo and C_GetTokenInfo on a slot that does not exist return CKR_SLOT_ID_INVALID', async () => {
        await withApplication(m, async (p) => {
          const all = (await p.C_GetSlotList(false)).map((s) => s.readBigUInt64LE());
          let bad = 0x7ffffff0n;
          while (all.includes(bad)) bad++;
          assert.equal(await rvOf(p.C_GetSlotInfo(handle(bad))), 'CKR_SLOT_ID_INVALID');
          assert.equal(await rvOf(p.C_GetTokenInfo(handle(bad))), 'CKR_SLOT_ID_INVALID');
          assert.equal(await rvOf(p.C_OpenSession(handle(bad), SERIAL)), 'CKR_SLOT_ID_INVALID');
        });
      });

      it('C_GetTokenInfo describes an initialised token with its label, a user PIN, login required and an RNG', async () => {
        await withApplication(m, async (p) => {
          const t = await p.C_GetTokenInfo(await tokenSlot(p, m));
          assert.equal(t.label.trim(), m.tokenLabel);
          for (const [flag, name] of [
            [CK.CKF_TOKEN_INITIALIZED, 'CKF_TOKEN_INITIALIZED'], [CK.CKF_USER_PIN_INITIALIZED, 'CKF_USER_PIN_INITIALIZED'],
            [CK.CKF_LOGIN_REQUIRED, 'CKF_LOGIN_REQUIRED'], [CK.CKF_RNG, 'CKF_RNG'],
          ] as const) assert.ok(t.flags & flag, name);
          assert.equal(t.flags & CK.CKF_WRITE_PROTECTED, 0, 'not write-protected');
          assert.ok(t.minPinLen >= 1 && t.minPinLen <= m.userPin.length && t.maxPinLen >= m.soPin.length);
        });
      });
    });

    describe('Sessions', () => {
      it('C_OpenSession without CKF_SERIAL_SESSION returns CKR_SESSION_PARALLEL_NOT_SUPPORTED', async () => {
        await withApplication(m, async (p) => {
          const slot = await tokenSlot(p, m);
          assert.equal(await rvOf(p.C_OpenSession(slot, 0)), 'CKR_SESSION_PARALLEL_NOT_SUPPORTED');
          assert.equal(await rvOf(p.C_OpenSession(slot, CK.CKF_RW_SESSION)), 'CKR_SESSION_PARALLEL_NOT_SUPPORTED');
        });
      });

      it('C_GetSessionInfo reports the public states, then the user-functions states once the user logs in', async () => {
        await withApplication(m, async (p) => {
          const slot = await tokenSlot(p, m);
          const ro = await p.C_OpenSession(slot, SERIAL);
          const rw = await p.C_OpenSession(slot, RW);
          let i = await p.C_GetSessionInfo(ro);
          assert.equal(i.state, CK.CKS_RO_PUBLIC_SESSION);
          assert.equal(i.flags, CK.CKF_SERIAL_SESSION);
          assert.ok(i.slotID.equals(slot));
          i = await p.C_GetSessionInfo(rw);
          assert.equal(i.state, CK.CKS_RW_PUBLIC_SESSION);
          assert.equal(i.flags, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
          await p.C_Login(ro, CK.CKU_USER, m.userPin);
          assert.equal((await p.C_GetSessionInfo(ro)).state, CK.CKS_RO_USER_FUNCTIONS);
          assert.equal((await p.C_GetSessionInfo(rw)).state, CK.CKS_RW_USER_FUNCTIONS, 'login is per application');
          await p.C_Logout(rw);
          assert.equal((await p.C_GetSessionInfo(ro)).state, CK.CKS_RO_PUBLIC_SESSION);
        });
      });

      it('C_GetSessionInfo reports CKS_RW_SO_FUNCTIONS when the security officer is logged in', async () => {
        await withApplication(m, async (p) => {
          const rw = await p.C_OpenSession(await tokenSlot(p, m), RW);
          await p.C_Login(rw, CK.CKU_SO, m.soPin);
          assert.equal((await p.C_GetSessionInfo(rw)).state, CK.CKS_RW_SO_FUNCTIONS);
          await p.C_Logout(rw);
        });
      });

      it('C_CloseSession on a handle that is not open returns CKR_SESSION_HANDLE_INVALID', async () => {
        await withApplication(m, async (p) => {
          const s = await p.C_OpenSession(await tokenSlot(p, m), SERIAL);
          await p.C_CloseSession(s);
          assert.equal(await rvOf(p.C_CloseSession(s)), 'CKR_SESSION_HANDLE_INVALID', 'already closed');
          assert.equal(await rvOf(p.C_GetSessionInfo(s)), 'CKR_SESSION_HANDLE_INVALID');
          assert.equal(await rvOf(p.C_CloseSession(handle(0x7ffffffe))), 'CKR_SESSION_HANDLE_INVALID', 'never opened');
        });
      });

      it('C_CloseAllSessions closes every session of the slot and logs the application out', async () => {
        await withApplication(m, async (p) => {
          const slot = await tokenSlot(p, m);
          const a = await p.C_OpenSession(slot, SERIAL);
          const b = await p.C_OpenSession(slot, RW);
          await p.C_Login(a, CK.CKU_USER, m.userPin);
          await p.C_CloseAllSessions(slot);
          assert.equal(await rvOf(p.C_GetSessionInfo(a)), 'CKR_SESSION_HANDLE_INVALID');
          assert.equal(await rvOf(p.C_GetSessionInfo(b)), 'CKR_SESSION_HANDLE_INVALID');
          const c = await p.C_OpenSession(slot, SERIAL);
          assert.equal((await p.C_GetSessionInfo(c)).state, CK.CKS_RO_PUBLIC_SESSION, 'a new session is public again');
        });
      });
    });

    describe('Login and PINs', () => {
      it('C_Login with a wrong user PIN returns CKR_PIN_INCORRECT and sets CKF_USER_PIN_COUNT_LOW', async () => {
        await withApplication(m, async (p) => {
          const slot = await tokenSlot(p, m);
          const s = await p.C_OpenSession(slot, SERIAL);
          assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, `${m.userPin}9`)), 'CKR_PIN_INCORRECT');
          const t = await p.C_GetTokenInfo(slot);
          assert.ok(t.flags & CK.CKF_USER_PIN_COUNT_LOW, 'CKF_USER_PIN_COUNT_LOW after a failure');
          assert.equal(t.flags & CK.CKF_USER_PIN_LOCKED, 0, 'one failure does not lock the PIN');
          assert.equal((await p.C_GetSessionInfo(s)).state, CK.CKS_RO_PUBLIC_SESSION);
        });
      });

      it('C_Login with the right PIN then succeeds and clears CKF_USER_PIN_COUNT_LOW', async () => {
        await withApplication(m, async (p) => {
          const slot = await tokenSlot(p, m);
          const s = await p.C_OpenSession(slot, SERIAL);
          assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, m.userPin)), 'CKR_OK');
          assert.equal((await p.C_GetTokenInfo(slot)).flags & CK.CKF_USER_PIN_COUNT_LOW, 0);
        });
      });

      it('a second C_Login returns CKR_USER_ALREADY_LOGGED_IN', async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, SERIAL);
          assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, m.userPin)), 'CKR_USER_ALREADY_LOGGED_IN');
        });
      });

      it(`C_Logout when nobody is logged in returns ${m.expect.logoutWhenNotLoggedIn}`, async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, SERIAL, false);
          assert.equal(await rvOf(p.C_Logout(s)), m.expect.logoutWhenNotLoggedIn);
        });
      });

      it('C_Login with an unknown user type returns CKR_USER_TYPE_INVALID', async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, SERIAL, false);
          assert.equal(await rvOf(p.C_Login(s, 7, m.userPin)), 'CKR_USER_TYPE_INVALID');
        });
      });

      it('C_Login as security officer while a read-only session is open returns CKR_SESSION_READ_ONLY_EXISTS', async () => {
        await withApplication(m, async (p) => {
          const slot = await tokenSlot(p, m);
          await p.C_OpenSession(slot, SERIAL);
          const rw = await p.C_OpenSession(slot, RW);
          assert.equal(await rvOf(p.C_Login(rw, CK.CKU_SO, m.soPin)), 'CKR_SESSION_READ_ONLY_EXISTS');
        });
      });

      it('C_SetPIN in a read-only session returns CKR_SESSION_READ_ONLY', async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, SERIAL);
          assert.equal(await rvOf(p.C_SetPIN(s, m.userPin, '98765')), 'CKR_SESSION_READ_ONLY');
        });
      });

      it('C_SetPIN in a read-write user session changes the PIN, and the old PIN is then refused', async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, RW);
          assert.equal(await rvOf(p.C_SetPIN(s, m.userPin, '98765')), 'CKR_OK');
          try {
            await p.C_Logout(s);
            assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, m.userPin)), 'CKR_PIN_INCORRECT');
            assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, '98765')), 'CKR_OK');
          } finally {
            await p.C_SetPIN(s, '98765', m.userPin);
          }
        });
      });

      it('C_InitPIN as security officer sets a user PIN that C_Login then accepts', async () => {
        await withApplication(m, async (p) => {
          const s = await p.C_OpenSession(await tokenSlot(p, m), RW);
          await p.C_Login(s, CK.CKU_SO, m.soPin);
          assert.equal(await rvOf(p.C_InitPIN(s, '55555')), 'CKR_OK');
          try {
            await p.C_Logout(s);
            assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, m.userPin)), 'CKR_PIN_INCORRECT');
            assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, '55555')), 'CKR_OK');
            await p.C_Logout(s);
          } finally {
            await p.C_Login(s, CK.CKU_SO, m.soPin);
            await p.C_InitPIN(s, m.userPin);
            await p.C_Logout(s);
          }
          assert.equal(await rvOf(p.C_Login(s, CK.CKU_USER, m.userPin)), 'CKR_OK');
        });
      });

      it('C_InitPIN from a user session returns CKR_USER_NOT_LOGGED_IN', async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, RW);
          assert.equal(await rvOf(p.C_InitPIN(s, '55555')), 'CKR_USER_NOT_LOGGED_IN');
        });
      });

      it('C_InitPIN and C_SetPIN with a PIN shorter than ulMinPinLen or longer than ulMaxPinLen return CKR_PIN_LEN_RANGE', async () => {
        await withApplication(m, async (p) => {
          const slot = await tokenSlot(p, m);
          const t = await p.C_GetTokenInfo(slot);
          const short = '1'.repeat(t.minPinLen - 1);
          const long = '1'.repeat(t.maxPinLen + 1);
          const s = await p.C_OpenSession(slot, RW);
          await p.C_Login(s, CK.CKU_SO, m.soPin);
          if (short.length > 0) assert.equal(await rvOf(p.C_InitPIN(s, short)), 'CKR_PIN_LEN_RANGE', 'too short');
          assert.equal(await rvOf(p.C_InitPIN(s, long)), 'CKR_PIN_LEN_RANGE', 'too long');
          await p.C_Logout(s);
          await p.C_Login(s, CK.CKU_USER, m.userPin);
          assert.equal(await rvOf(p.C_SetPIN(s, m.userPin, long)), 'CKR_PIN_LEN_RANGE', 'C_SetPIN too long');
        });
      });
    });

    describe('Keys, attributes, signing', () => {
      /** The key pair made with OpenDNSSEC's templates, shared by the tests below. */
      const main = newIds('main');
      /** A key pair whose private key has CKA_SIGN false. */
      const noSign = newIds('no-sign');
      let publicKey: KeyObject;

      before(async function () {
        this.timeout(2 * m.keyGenMs + 30_000);
        await withApplication(m, async (p) => {
          const s = await userSession(p, m);
          const keys = await p.C_GenerateKeyPair(s, RSA_KEYGEN, ...odsTemplates(main));
          publicKey = await publicKeyOf(p, s, keys.publicKey);
          const priv = [{ type: CK.CKA_SIGN, value: false }];
          await p.C_GenerateKeyPair(s, RSA_KEYGEN, ...odsTemplates(noSign, { priv }));
        });
      });

      /** A user session and the main key pair's handles. */
      const mainKeys = async (p: P11, flags = RW) => {
        const s = await userSession(p, m, flags);
        const pub = await findOne(p, s, [
          { type: CK.CKA_ID, value: main.id }, { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }]);
        const priv = await findOne(p, s, [
          { type: CK.CKA_ID, value: main.id }, { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }]);
        return { s, pub, priv };
      };

      describe('C_GenerateKeyPair', () => {
        it('makes a 1024-bit RSA key pair with exponent 65537 from OpenDNSSEC\'s templates', async () => {
          await withApplication(m, async (p) => {
            const { s, pub } = await mainKeys(p);
            const a = await attributes(p, s, pub, [
              CK.CKA_MODULUS_BITS, CK.CKA_MODULUS, CK.CKA_PUBLIC_EXPONENT, CK.CKA_KEY_TYPE]);
            assert.equal(ulong(a.get(CK.CKA_MODULUS_BITS)), 1024);
            assert.equal(a.get(CK.CKA_MODULUS)?.length, 128);
            assert.equal(a.get(CK.CKA_PUBLIC_EXPONENT)?.toString('hex').replace(/^(00)+/, ''), '010001');
            assert.equal(ulong(a.get(CK.CKA_KEY_TYPE)), CK.CKK_RSA);
            assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, 1024);
          });
        });

        it('records CKA_LOCAL, CKA_KEY_GEN_MECHANISM, CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE on the private key', async () => {
          await withApplication(m, async (p) => {
            const { s, priv, pub } = await mainKeys(p);
            const a = await attributes(p, s, priv, [
              CK.CKA_LOCAL, CK.CKA_KEY_GEN_MECHANISM, CK.CKA_ALWAYS_SENSITIVE, CK.CKA_NEVER_EXTRACTABLE,
              CK.CKA_SENSITIVE, CK.CKA_EXTRACTABLE, CK.CKA_SIGN, CK.CKA_PRIVATE, CK.CKA_TOKEN, CK.CKA_LABEL,
              CK.CKA_ID]);
            assert.equal(bool(a.get(CK.CKA_LOCAL)), true, 'CKA_LOCAL');
            const keyGen = CK.CKM_RSA_PKCS_KEY_PAIR_GEN;
            assert.equal(ulong(a.get(CK.CKA_KEY_GEN_MECHANISM)), keyGen, 'CKA_KEY_GEN_MECHANISM');
            assert.equal(bool(a.get(CK.CKA_ALWAYS_SENSITIVE)), true, 'CKA_ALWAYS_SENSITIVE');
            assert.equal(bool(a.get(CK.CKA_NEVER_EXTRACTABLE)), true, 'CKA_NEVER_EXTRACTABLE');
            assert.equal(bool(a.get(CK.CKA_SENSITIVE)), true);
            assert.equal(bool(a.get(CK.CKA_EXTRACTABLE)), false);
            assert.equal(bool(a.get(CK.CKA_SIGN)), true);
            assert.equal(bool(a.get(CK.CKA_PRIVATE)), true);
            assert.equal(bool(a.get(CK.CKA_TOKEN)), true);
            assert.equal(a.get(CK.CKA_LABEL)?.toString(), main.label);
            assert.ok(a.get(CK.CKA_ID)?.equals(main.id));
            const b = await attributes(p, s, pub, [CK.CKA_LOCAL, CK.CKA_KEY_GEN_MECHANISM]);
            assert.equal(bool(b.get(CK.CKA_LOCAL)), true, 'public CKA_LOCAL');
            assert.equal(ulong(b.get(CK.CKA_KEY_GEN_MECHANISM)), keyGen, 'public CKA_KEY_GEN_MECHANISM');
          });
        });

        it('without a logged-in user returns CKR_USER_NOT_LOGGED_IN', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m, RW, false);
            assert.equal(await rvOf(p.C_GenerateKeyPair(s, RSA_KEYGEN, ...odsTemplates(newIds('no-login')))),
              'CKR_USER_NOT_LOGGED_IN');
          });
        });

        it('of token objects in a read-only session returns CKR_SESSION_READ_ONLY', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m, SERIAL);
            assert.equal(await rvOf(p.C_GenerateKeyPair(s, RSA_KEYGEN, ...odsTemplates(newIds('ro')))),
              'CKR_SESSION_READ_ONLY');
          });
        });

        it('without CKA_MODULUS_BITS returns CKR_TEMPLATE_INCOMPLETE', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            const [pub, priv] = odsTemplates(newIds('no-bits'));
            const noBits = pub.filter((a) => a.type !== CK.CKA_MODULUS_BITS);
            assert.equal(await rvOf(p.C_GenerateKeyPair(s, RSA_KEYGEN, noBits, priv)), 'CKR_TEMPLATE_INCOMPLETE');
          });
        });
      });

      describe('C_GetAttributeValue', () => {
        interface Len { rv: string; length: number }
        interface Attrs {
          lengthQuery: { rv: string; modulus: number; publicExponent: number };
          tooSmall: { rv: string; modulus: number };
          read: Len & { modulus: string };
          sensitive: Len;
          sensitiveQuery: Len;
          unknownType: Len;
          mixed: { rv: string; modulus: number; privateExponent: number; signLength: number; sign: number };
        }
        let r: Attrs;
        before(async () => {
          r = await raw<Attrs>(m, 'attributes', m.tokenLabel, m.userPin, main.id.toString('hex'));
        });

        it('answers a length query (pValue NULL) with CKR_OK and each attribute\'s length', () => {
          assert.equal(r.lengthQuery.rv, 'CKR_OK');
          assert.equal(r.lengthQuery.modulus, 128);
          assert.equal(r.lengthQuery.publicExponent, publicKeyExponentBytes(publicKey));
        });

        it('returns CKA_MODULUS and CKA_PUBLIC_EXPONENT of the public key, the modulus Node\'s', () => {
          assert.equal(r.read.rv, 'CKR_OK');
          assert.equal(r.read.length, 128);
          const jwk = publicKey.export({ format: 'jwk' });
          assert.equal(Buffer.from(r.read.modulus, 'hex').toString('base64url'), jwk.n);
        });

        it('returns CKR_BUFFER_TOO_SMALL with ulValueLen CK_UNAVAILABLE_INFORMATION for a buffer too small', () => {
          assert.equal(r.tooSmall.rv, 'CKR_BUFFER_TOO_SMALL');
          assert.equal(r.tooSmall.modulus, -1);
        });

        it('returns CKR_ATTRIBUTE_SENSITIVE with ulValueLen CK_UNAVAILABLE_INFORMATION for CKA_PRIVATE_EXPONENT', () => {
          assert.equal(r.sensitive.rv, 'CKR_ATTRIBUTE_SENSITIVE');
          assert.equal(r.sensitive.length, -1);
          assert.equal(r.sensitiveQuery.rv, 'CKR_ATTRIBUTE_SENSITIVE', 'also for a length query');
          assert.equal(r.sensitiveQuery.length, -1);
        });

        it('returns CKR_ATTRIBUTE_TYPE_INVALID with ulValueLen CK_UNAVAILABLE_INFORMATION for an unknown type', () => {
          assert.equal(r.unknownType.rv, 'CKR_ATTRIBUTE_TYPE_INVALID');
          assert.equal(r.unknownType.length, -1);
        });

        it('still returns the readable attributes of a template that also asks for a sensitive one', () => {
          assert.equal(r.mixed.rv, 'CKR_ATTRIBUTE_SENSITIVE');
          assert.equal(r.mixed.modulus, 128);
          assert.equal(r.mixed.privateExponent, -1);
          assert.equal(r.mixed.signLength, 1);
          assert.equal(r.mixed.sign, 1);
        });

        it('through pkcs11js, CKA_PRIVATE_EXPONENT gives CKR_ATTRIBUTE_SENSITIVE and CKA_PRIME_1 as well', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            assert.equal(await rvOf(p.C_GetAttributeValue(s, priv, [{ type: CK.CKA_PRIVATE_EXPONENT }])),
              'CKR_ATTRIBUTE_SENSITIVE');
            assert.equal(await rvOf(p.C_GetAttributeValue(s, priv, [{ type: CK.CKA_PRIME_1 }])), 'CKR_ATTRIBUTE_SENSITIVE');
          });
        });
      });

      describe('C_SetAttributeValue', () => {
        it('changes CKA_LABEL', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            const priv = await findOne(p, s, [
              { type: CK.CKA_ID, value: noSign.id }, { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }]);
            const label = `${noSign.label} renamed`;
            assert.equal(await rvOf(p.C_SetAttributeValue(s, priv, [{ type: CK.CKA_LABEL, value: label }])), 'CKR_OK');
            assert.equal((await attributes(p, s, priv, [CK.CKA_LABEL])).get(CK.CKA_LABEL)?.toString(), label);
          });
        });

        it('on CKA_CLASS returns CKR_ATTRIBUTE_READ_ONLY', async () => {
          await withApplication(m, async (p) => {
            const { s, pub } = await mainKeys(p);
            assert.equal(await rvOf(p.C_SetAttributeValue(s, pub, [{ type: CK.CKA_CLASS, value: CK.CKO_DATA }])),
              'CKR_ATTRIBUTE_READ_ONLY');
          });
        });

        it('turning CKA_SENSITIVE from true to false returns CKR_ATTRIBUTE_READ_ONLY', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            assert.equal(await rvOf(p.C_SetAttributeValue(s, priv, [{ type: CK.CKA_SENSITIVE, value: false }])),
              'CKR_ATTRIBUTE_READ_ONLY');
            assert.equal(bool((await attributes(p, s, priv, [CK.CKA_SENSITIVE])).get(CK.CKA_SENSITIVE)), true);
          });
        });

        it('turning CKA_EXTRACTABLE from false to true returns CKR_ATTRIBUTE_READ_ONLY', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            assert.equal(await rvOf(p.C_SetAttributeValue(s, priv, [{ type: CK.CKA_EXTRACTABLE, value: true }])),
              'CKR_ATTRIBUTE_READ_ONLY');
            assert.equal(bool((await attributes(p, s, priv, [CK.CKA_EXTRACTABLE])).get(CK.CKA_EXTRACTABLE)), false);
          });
        });
      });

      describe('C_FindObjects', () => {
        it('finds the key pair by CKA_ID, one key by CKA_ID and CKA_CLASS, and both by CKA_LABEL', async () => {
          await withApplication(m, async (p) => {
            const { s, pub, priv } = await mainKeys(p);
            const byId = await find(p, s, [{ type: CK.CKA_ID, value: main.id }]);
            assert.equal(byId.length, 2);
            assert.ok(byId.some((h) => h.equals(pub)) && byId.some((h) => h.equals(priv)));
            const byLabel = await find(p, s, [{ type: CK.CKA_LABEL, value: main.label }]);
            assert.equal(byLabel.length, 2);
            const privs = await find(p, s, [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }]);
            assert.ok(privs.some((h) => h.equals(priv)) && !privs.some((h) => h.equals(pub)), 'by CKA_CLASS');
            assert.equal((await find(p, s, [{ type: CK.CKA_ID, value: randomBytes(16) }])).length, 0, 'nothing for an unknown id');
          });
        });

        it('hands out the results in batches across C_FindObjects calls', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            await p.C_FindObjectsInit(s, [{ type: CK.CKA_ID, value: main.id }]);
            const first = await p.C_FindObjects(s, 1);
            const second = await p.C_FindObjects(s, 1);
            const third = await p.C_FindObjects(s, 1);
            await p.C_FindObjectsFinal(s);
            assert.deepEqual([first.length, second.length, third.length], [1, 1, 0]);
            assert.ok(!(first[0] as Buffer).equals(second[0] as Buffer));
          });
        });

        it('a second C_FindObjectsInit while a search is active returns CKR_OPERATION_ACTIVE', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            await p.C_FindObjectsInit(s, [{ type: CK.CKA_ID, value: main.id }]);
            assert.equal(await rvOf(p.C_FindObjectsInit(s, [])), 'CKR_OPERATION_ACTIVE');
            await p.C_FindObjectsFinal(s);
            assert.equal(await rvOf(p.C_FindObjectsInit(s, [])), 'CKR_OK', 'free again after C_FindObjectsFinal');
            await p.C_FindObjectsFinal(s);
          });
        });

        it('C_FindObjects and C_FindObjectsFinal without C_FindObjectsInit return CKR_OPERATION_NOT_INITIALIZED', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            assert.equal(await rvOf(p.C_FindObjects(s, 10)), 'CKR_OPERATION_NOT_INITIALIZED');
            assert.equal(await rvOf(p.C_FindObjectsFinal(s)), 'CKR_OPERATION_NOT_INITIALIZED');
          });
        });

        it('does not show private objects before login', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m, SERIAL, false);
            const found = await find(p, s, [{ type: CK.CKA_ID, value: main.id }]);
            assert.equal(found.length, 1, 'only the public key');
            const cls = ulong((await attributes(p, s, found[0] as Buffer, [CK.CKA_CLASS])).get(CK.CKA_CLASS));
            assert.equal(cls, CK.CKO_PUBLIC_KEY);
            await p.C_Login(s, CK.CKU_USER, m.userPin);
            assert.equal((await find(p, s, [{ type: CK.CKA_ID, value: main.id }])).length, 2, 'both after login');
          });
        });
      });

      describe('C_Sign', () => {
        it('with CKM_RSA_PKCS over a SHA-256 DigestInfo (as OpenDNSSEC sends) makes a signature Node verifies', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            await p.C_SignInit(s, { mechanism: CK.CKM_RSA_PKCS }, priv);
            const sig = await p.C_Sign(s, Buffer.concat([SHA256_DIGEST_INFO, sha256(MESSAGE)]), Buffer.alloc(512));
            assert.equal(sig.length, 128);
            assert.ok(verify('sha256', MESSAGE, publicKey, sig));
          });
        });

        it('with CKM_SHA256_RSA_PKCS in one part makes a signature Node verifies', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            const sig = await p.C_Sign(s, MESSAGE, Buffer.alloc(512));
            assert.ok(verify('sha256', MESSAGE, publicKey, sig));
          });
        });

        it('with CKM_SHA256_RSA_PKCS in parts (C_SignUpdate, C_SignFinal) makes the same signature', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            const one = await p.C_Sign(s, MESSAGE, Buffer.alloc(512));
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            await p.C_SignUpdate(s, MESSAGE.subarray(0, 7));
            await p.C_SignUpdate(s, MESSAGE.subarray(7, 20));
            await p.C_SignUpdate(s, MESSAGE.subarray(20));
            const parts = await p.C_SignFinal(s, Buffer.alloc(512));
            assert.ok(verify('sha256', MESSAGE, publicKey, parts));
            assert.ok(parts.equals(one), 'PKCS#1 v1.5 is deterministic');
          });
        });

        it('with CKM_SHA256_RSA_PKCS_PSS and its parameters makes a signature Node verifies', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            const parameter = pss(CK.CKM_SHA256, CK.CKG_MGF1_SHA256, 32);
            const mech = { mechanism: CK.CKM_SHA256_RSA_PKCS_PSS, parameter };
            await p.C_SignInit(s, mech, priv);
            const sig = await p.C_Sign(s, MESSAGE, Buffer.alloc(512));
            assert.ok(verify('sha256', MESSAGE, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig));
          });
        });

        it('with CKM_RSA_PKCS_PSS over a SHA-256 digest and its parameters makes a signature Node verifies', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            const mech = { mechanism: CK.CKM_RSA_PKCS_PSS, parameter: pss(CK.CKM_SHA256, CK.CKG_MGF1_SHA256, 32) };
            await p.C_SignInit(s, mech, priv);
            const sig = await p.C_Sign(s, sha256(MESSAGE), Buffer.alloc(512));
            assert.ok(verify('sha256', MESSAGE, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig));
          });
        });

        interface SignLengths {
          lengthQuery: { rv: string; length: number };
          tooSmall: { rv: string; given: number; length: number };
          sign: { rv: string; length: number; signature: string };
          after: { rv: string };
        }
        const lengthRules = (name: string, single: boolean) => {
          it(`${name}: a NULL buffer gives CKR_OK and the length, a short one CKR_BUFFER_TOO_SMALL with the operation still active, then the signature`, async () => {
            const r = await raw<SignLengths>(m, single ? 'sign' : 'signfinal', m.tokenLabel, m.userPin,
              main.id.toString('hex'), String(CK.CKM_SHA256_RSA_PKCS), MESSAGE.toString('hex'));
            assert.equal(r.lengthQuery.rv, 'CKR_OK');
            assert.equal(r.lengthQuery.length, 128);
            assert.equal(r.tooSmall.rv, 'CKR_BUFFER_TOO_SMALL');
            assert.equal(r.tooSmall.length, 128, 'the needed length is written back');
            assert.equal(r.sign.rv, 'CKR_OK', 'the operation survived the length query and the short buffer');
            assert.equal(r.sign.length, 128);
            assert.ok(verify('sha256', MESSAGE, publicKey, Buffer.from(r.sign.signature, 'hex')));
            assert.equal(r.after.rv, 'CKR_OPERATION_NOT_INITIALIZED', 'a successful call ends the operation');
          });
        };
        lengthRules('C_Sign', true);
        lengthRules('C_SignFinal', false);

        it('C_Sign without C_SignInit returns CKR_OPERATION_NOT_INITIALIZED', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            assert.equal(await rvOf(p.C_Sign(s, MESSAGE, Buffer.alloc(512))), 'CKR_OPERATION_NOT_INITIALIZED');
            assert.equal(await rvOf(p.C_SignUpdate(s, MESSAGE)), 'CKR_OPERATION_NOT_INITIALIZED');
            assert.equal(await rvOf(p.C_SignFinal(s, Buffer.alloc(512))), 'CKR_OPERATION_NOT_INITIALIZED');
          });
        });

        it('a second C_SignInit while signing returns CKR_OPERATION_ACTIVE', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            assert.equal(await rvOf(p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv)), 'CKR_OPERATION_ACTIVE');
          });
        });

        it(`C_SignInit with the public key returns ${m.expect.signInitWithPublicKey}`, async () => {
          await withApplication(m, async (p) => {
            const { s, pub } = await mainKeys(p);
            assert.equal(await rvOf(p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, pub)),
              m.expect.signInitWithPublicKey);
          });
        });

        it('C_SignInit with a mechanism the token cannot sign with returns CKR_MECHANISM_INVALID', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            assert.equal(await rvOf(p.C_SignInit(s, { mechanism: CK.CKM_VENDOR_DEFINED | 0x4b4f }, priv)),
              'CKR_MECHANISM_INVALID', 'a vendor mechanism nobody defines');
            assert.equal(await rvOf(p.C_SignInit(s, { mechanism: CK.CKM_SHA256 }, priv)), 'CKR_MECHANISM_INVALID',
              'a digest mechanism');
          });
        });

        it('C_SignInit with a key whose CKA_SIGN is false returns CKR_KEY_FUNCTION_NOT_PERMITTED', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            const priv = await findOne(p, s, [
              { type: CK.CKA_ID, value: noSign.id }, { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }]);
            assert.equal(await rvOf(p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv)),
              'CKR_KEY_FUNCTION_NOT_PERMITTED');
          });
        });

        it(`C_SignInit with a handle that names no object returns ${m.expect.signInitWithBadKeyHandle}`, async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            assert.equal(await rvOf(p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, handle(0x7ffffff1))),
              m.expect.signInitWithBadKeyHandle);
          });
        });
      });

      describe('C_Verify', () => {
        it('accepts the token\'s own signature and returns CKR_SIGNATURE_INVALID for a tampered one', async () => {
          await withApplication(m, async (p) => {
            const { s, pub, priv } = await mainKeys(p);
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            const sig = await p.C_Sign(s, MESSAGE, Buffer.alloc(512));
            await p.C_VerifyInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, pub);
            assert.equal(await rvOf(p.C_Verify(s, MESSAGE, sig)), 'CKR_OK');
            const bad = Buffer.from(sig);
            bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
            await p.C_VerifyInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, pub);
            assert.equal(await rvOf(p.C_Verify(s, MESSAGE, bad)), 'CKR_SIGNATURE_INVALID');
            await p.C_VerifyInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, pub);
            assert.equal(await rvOf(p.C_Verify(s, Buffer.concat([MESSAGE, Buffer.from('!')]), sig)), 'CKR_SIGNATURE_INVALID');
          });
        });

        it('verifies in parts (C_VerifyUpdate, C_VerifyFinal)', async () => {
          await withApplication(m, async (p) => {
            const { s, pub, priv } = await mainKeys(p);
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            const sig = await p.C_Sign(s, MESSAGE, Buffer.alloc(512));
            await p.C_VerifyInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, pub);
            await p.C_VerifyUpdate(s, MESSAGE.subarray(0, 10));
            await p.C_VerifyUpdate(s, MESSAGE.subarray(10));
            assert.equal(await rvOf(p.C_VerifyFinal(s, sig)), 'CKR_OK');
          });
        });
      });

      describe('C_CreateObject, C_CopyObject, C_DestroyObject', () => {
        it('C_CreateObject makes a CKO_DATA object whose CKA_VALUE reads back', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            const value = randomBytes(40);
            const h = await p.C_CreateObject(s, [
              { type: CK.CKA_CLASS, value: CK.CKO_DATA }, { type: CK.CKA_TOKEN, value: false },
              { type: CK.CKA_LABEL, value: 'conformance data' }, { type: CK.CKA_APPLICATION, value: 'kofn tests' },
              { type: CK.CKA_VALUE, value }]);
            const a = await attributes(p, s, h, [CK.CKA_VALUE, CK.CKA_CLASS, CK.CKA_APPLICATION]);
            assert.ok(a.get(CK.CKA_VALUE)?.equals(value));
            assert.equal(ulong(a.get(CK.CKA_CLASS)), CK.CKO_DATA);
            assert.equal(a.get(CK.CKA_APPLICATION)?.toString(), 'kofn tests');
          });
        });

        it('C_CreateObject makes an RSA public key from a modulus and exponent, and C_Verify uses it', async () => {
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            const jwk = publicKey.export({ format: 'jwk' });
            const imported = await p.C_CreateObject(s, [
              { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }, { type: CK.CKA_KEY_TYPE, value: CK.CKK_RSA },
              { type: CK.CKA_TOKEN, value: false }, { type: CK.CKA_VERIFY, value: true },
              { type: CK.CKA_MODULUS, value: Buffer.from(jwk.n ?? '', 'base64url') },
              { type: CK.CKA_PUBLIC_EXPONENT, value: Buffer.from(jwk.e ?? '', 'base64url') }]);
            const a = await attributes(p, s, imported, [CK.CKA_LOCAL, CK.CKA_MODULUS_BITS]);
            assert.equal(bool(a.get(CK.CKA_LOCAL)), false, 'an imported key is not CKA_LOCAL');
            assert.equal(ulong(a.get(CK.CKA_MODULUS_BITS)), 1024);
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            const sig = await p.C_Sign(s, MESSAGE, Buffer.alloc(512));
            await p.C_VerifyInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, imported);
            assert.equal(await rvOf(p.C_Verify(s, MESSAGE, sig)), 'CKR_OK');
          });
        });

        it('C_CreateObject of a token object in a read-only session returns CKR_SESSION_READ_ONLY', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m, SERIAL);
            assert.equal(await rvOf(p.C_CreateObject(s, [
              { type: CK.CKA_CLASS, value: CK.CKO_DATA }, { type: CK.CKA_TOKEN, value: true },
              { type: CK.CKA_VALUE, value: Buffer.from('x') }])), 'CKR_SESSION_READ_ONLY');
          });
        });

        it('C_CopyObject copies an object with a new label and leaves the original as it was', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            const value = randomBytes(16);
            const orig = await p.C_CreateObject(s, [
              { type: CK.CKA_CLASS, value: CK.CKO_DATA }, { type: CK.CKA_TOKEN, value: false },
              { type: CK.CKA_LABEL, value: 'original' }, { type: CK.CKA_VALUE, value }]);
            const copy = await p.C_CopyObject(s, orig, [{ type: CK.CKA_LABEL, value: 'copy' }]);
            assert.ok(!copy.equals(orig));
            const a = await attributes(p, s, copy, [CK.CKA_LABEL, CK.CKA_VALUE]);
            assert.equal(a.get(CK.CKA_LABEL)?.toString(), 'copy');
            assert.ok(a.get(CK.CKA_VALUE)?.equals(value));
            assert.equal((await attributes(p, s, orig, [CK.CKA_LABEL])).get(CK.CKA_LABEL)?.toString(), 'original');
          });
        });

        it('C_DestroyObject removes an object, and its handle then returns CKR_OBJECT_HANDLE_INVALID', async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m);
            const h = await p.C_CreateObject(s, [
              { type: CK.CKA_CLASS, value: CK.CKO_DATA }, { type: CK.CKA_TOKEN, value: true },
              { type: CK.CKA_LABEL, value: 'to destroy' }, { type: CK.CKA_VALUE, value: Buffer.from('bye') }]);
            assert.equal(await rvOf(p.C_DestroyObject(s, h)), 'CKR_OK');
            assert.equal(await rvOf(p.C_GetAttributeValue(s, h, [{ type: CK.CKA_LABEL }])), 'CKR_OBJECT_HANDLE_INVALID');
            assert.equal(await rvOf(p.C_DestroyObject(s, h)), 'CKR_OBJECT_HANDLE_INVALID');
            assert.equal((await find(p, s, [{ type: CK.CKA_LABEL, value: 'to destroy' }])).length, 0);
          });
        });

        it('C_GetObjectSize answers CKR_OK for an object', async () => {
          await withApplication(m, async (p) => {
            const { s, pub } = await mainKeys(p);
            assert.equal(await rvOf(p.C_GetObjectSize(s, pub)), 'CKR_OK');
            assert.equal(await rvOf(p.C_GetObjectSize(s, handle(0x7ffffff2))), 'CKR_OBJECT_HANDLE_INVALID');
          });
        });

        it('a session object disappears when its session closes', async () => {
          await withApplication(m, async (p) => {
            const a = await userSession(p, m);
            const b = await p.C_OpenSession(await tokenSlot(p, m), RW);
            const label = `session object ${randomBytes(4).toString('hex')}`;
            const h = await p.C_CreateObject(a, [
              { type: CK.CKA_CLASS, value: CK.CKO_DATA }, { type: CK.CKA_TOKEN, value: false },
              { type: CK.CKA_LABEL, value: label }, { type: CK.CKA_VALUE, value: Buffer.from('short-lived') }]);
            assert.equal((await find(p, b, [{ type: CK.CKA_LABEL, value: label }])).length, 1,
              'visible to the application\'s other sessions');
            await p.C_CloseSession(a);
            assert.equal((await find(p, b, [{ type: CK.CKA_LABEL, value: label }])).length, 0);
            assert.equal(await rvOf(p.C_GetAttributeValue(b, h, [{ type: CK.CKA_LABEL }])), 'CKR_OBJECT_HANDLE_INVALID');
          });
        });

        it('a session object is invisible to another application', async () => {
          await withApplication(m, async (p) => {
            await withApplication(m, async (q) => {
              const a = await userSession(p, m);
              const b = await userSession(q, m);
              const label = `private session object ${randomBytes(4).toString('hex')}`;
              await p.C_CreateObject(a, [
                { type: CK.CKA_CLASS, value: CK.CKO_DATA }, { type: CK.CKA_TOKEN, value: false },
                { type: CK.CKA_LABEL, value: label }, { type: CK.CKA_VALUE, value: Buffer.from('mine') }]);
              assert.equal((await find(q, b, [{ type: CK.CKA_LABEL, value: label }])).length, 0);
            });
          });
        });
      });

      describe('Several applications', () => {
        it('a key pair generated by one application is found at once by another one already running', async function () {
          this.timeout(m.keyGenMs + 30_000);
          await withApplication(m, async (p) => {
            await withApplication(m, async (q) => {
              const observer = await userSession(q, m, SERIAL);
              assert.equal((await find(q, observer, [])).length > 0, true, 'the observer is up and searching');
              const ids = newIds('cross-process');
              const s = await userSession(p, m);
              const keys = await p.C_GenerateKeyPair(s, RSA_KEYGEN, ...odsTemplates(ids));
              const seen = await find(q, observer, [{ type: CK.CKA_ID, value: ids.id }]);
              assert.equal(seen.length, 2, 'both keys, immediately');
              const priv = await findOne(q, observer, [
                { type: CK.CKA_ID, value: ids.id }, { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }]);
              await q.C_SignInit(observer, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
              const sig = await q.C_Sign(observer, MESSAGE, Buffer.alloc(512));
              assert.ok(verify('sha256', MESSAGE, await publicKeyOf(p, s, keys.publicKey), sig),
                'the other application signs with it');
            });
          });
        });

        it('an application killed while logged in leaves the others working', async () => {
          const victim = await startApplication(m);
          await withApplication(m, async (p) => {
            const { s, priv } = await mainKeys(p);
            await userSession(victim, m);
            await victim.kill();
            await p.C_SignInit(s, { mechanism: CK.CKM_SHA256_RSA_PKCS }, priv);
            assert.ok(verify('sha256', MESSAGE, publicKey, await p.C_Sign(s, MESSAGE, Buffer.alloc(512))));
          });
          await withApplication(m, async (p) => {
            const s = await userSession(p, m, SERIAL, false);
            assert.equal((await p.C_GetSessionInfo(s)).state, CK.CKS_RO_PUBLIC_SESSION, 'the victim\'s login did not leak');
          });
        });

        it('graphene-pk11 generates a key pair, signs with SHA256_RSA_PKCS and verifies, and Node agrees', async function () {
          this.timeout(m.keyGenMs + 60_000);
          const ids = newIds('graphene');
          const r = await runGraphene(m, {
            tokenLabel: m.tokenLabel, userPin: m.userPin, id: ids.id.toString('hex'), label: ids.label,
            data: MESSAGE.toString('hex'),
          });
          assert.equal(r.verified, true);
          assert.equal(r.tamperedVerified, false);
          assert.equal(r.found, 2);
          const key = keyFrom(Buffer.from(r.modulus, 'hex'), Buffer.from(r.publicExponent, 'hex'));
          assert.ok(verify('sha256', MESSAGE, key, Buffer.from(r.signature, 'hex')));
        });
      });
    });

    describe('Digests and random numbers', () => {
      for (const [mech, name, node] of [
        [CK.CKM_SHA_1, 'CKM_SHA_1', 'sha1'], [CK.CKM_SHA256, 'CKM_SHA256', 'sha256'],
      ] as const) {
        it(`C_Digest with ${name} equals Node's ${node}, in one part and in parts`, async () => {
          await withApplication(m, async (p) => {
            const s = await userSession(p, m, SERIAL, false);
            const data = randomBytes(1000);
            const expected = createHash(node).update(data).digest();
            await p.C_DigestInit(s, { mechanism: mech });
            assert.ok((await p.C_Digest(s, data, Buffer.alloc(64))).equals(expected));
            await p.C_DigestInit(s, { mechanism: mech });
            await p.C_DigestUpdate(s, data.subarray(0, 333));
            await p.C_DigestUpdate(s, data.subarray(333));
            assert.ok((await p.C_DigestFinal(s, Buffer.alloc(64))).equals(expected));
            assert.equal(await rvOf(p.C_DigestFinal(s, Buffer.alloc(64))), 'CKR_OPERATION_NOT_INITIALIZED');
          });
        });
      }

      it('C_GenerateRandom returns as many bytes as asked, different each time', async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, SERIAL, false);
          for (const n of [1, 32, 1000]) assert.equal((await p.C_GenerateRandom(s, Buffer.alloc(n))).length, n);
          const a = await p.C_GenerateRandom(s, Buffer.alloc(32));
          const b = await p.C_GenerateRandom(s, Buffer.alloc(32));
          assert.ok(!a.equals(b));
        });
      });

      it('C_SeedRandom accepts a seed', async () => {
        await withApplication(m, async (p) => {
          const s = await userSession(p, m, SERIAL, false);
          assert.equal(await rvOf(p.C_SeedRandom(s, randomBytes(32))), 'CKR_OK');
        });
      });
    });

    describe('Mechanisms', () => {
      it('C_GetMechanismList includes the RSA mechanisms DNSSEC signers use and SHA-1/SHA-256', async () => {
        await withApplication(m, async (p) => {
          const list = await p.C_GetMechanismList(await tokenSlot(p, m));
          for (const name of [
            'CKM_RSA_PKCS_KEY_PAIR_GEN', 'CKM_RSA_PKCS', 'CKM_SHA1_RSA_PKCS', 'CKM_SHA256_RSA_PKCS', 'CKM_SHA512_RSA_PKCS',
            'CKM_RSA_PKCS_PSS', 'CKM_SHA256_RSA_PKCS_PSS', 'CKM_SHA_1', 'CKM_SHA256',
          ] as const) assert.ok(list.includes(CK[name]), name);
        });
      });

      it(`C_GetMechanismInfo for CKM_RSA_PKCS_KEY_PAIR_GEN has CKF_GENERATE_KEY_PAIR and sizes ${m.expect.rsaKeySizes.min} to ${m.expect.rsaKeySizes.max}`, async () => {
        await withApplication(m, async (p) => {
          const i = await p.C_GetMechanismInfo(await tokenSlot(p, m), CK.CKM_RSA_PKCS_KEY_PAIR_GEN);
          assert.ok(i.flags & CK.CKF_GENERATE_KEY_PAIR);
          assert.deepEqual({ min: i.minKeySize, max: i.maxKeySize }, m.expect.rsaKeySizes);
        });
      });

      it('C_GetMechanismInfo for CKM_SHA256_RSA_PKCS has CKF_SIGN and CKF_VERIFY', async () => {
        await withApplication(m, async (p) => {
          const i = await p.C_GetMechanismInfo(await tokenSlot(p, m), CK.CKM_SHA256_RSA_PKCS);
          assert.ok(i.flags & CK.CKF_SIGN && i.flags & CK.CKF_VERIFY);
          assert.ok(i.minKeySize <= 1024 && i.maxKeySize >= 4096);
        });
      });

      it('C_GetMechanismInfo for a mechanism not in the list returns CKR_MECHANISM_INVALID', async () => {
        await withApplication(m, async (p) => {
          assert.equal(await rvOf(p.C_GetMechanismInfo(await tokenSlot(p, m), CK.CKM_VENDOR_DEFINED | 0x4b4f)),
            'CKR_MECHANISM_INVALID');
        });
      });
    });
  });
}

function publicKeyExponentBytes(k: KeyObject): number {
  return Buffer.from(k.export({ format: 'jwk' }).e ?? '', 'base64url').length;
}
