import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readBindPrivate } from '../../../src/ceremony/import/bind.js';
import { readPkcs8 } from '../../../src/ceremony/import/pkcs8.js';
import type { ImportedRsaKey } from '../../../src/ceremony/import/types.js';
import { dealImported, rsaPublicKeyObject, signWithShares } from '../../../src/threshold/rsa/index.js';
import { unavailable, which } from '../../e2e/helpers/tools.js';
import type { GeneratedKey, GenerateRequest, ImportReply, ImportRequest } from '../../helpers/p11-import-child.js';
import { destroyAll } from '../../helpers/keys.js';

const execFileP = promisify(execFile);
const message = Buffer.from('example. 3600 IN SOA ns.example. hostmaster.example. 1 7200 3600 1209600 3600');
const digest = createHash('sha256').update(message).digest();
const zeroed = (b: Buffer) => b.length > 0 && b.every((x) => x === 0);

function jwkInt(key: KeyObject, field: 'n' | 'p' | 'q'): bigint {
  const v = key.export({ format: 'jwk' })[field] ?? '';
  return BigInt(`0x${Buffer.from(v, 'base64url').toString('hex')}`);
}

/** Deals the imported key 3-of-5 and signs `message` with shares 2, 4 and 5. */
async function thresholdSignature(key: ImportedRsaKey): Promise<{ sig: Buffer; publicKey: KeyObject }> {
  const dealt = dealImported(key.p, key.q, { e: key.e, n: key.n, shares: 5, threshold: 3 });
  try {
    const shares = [1, 3, 4].map((i) => dealt.shares[i]).filter((s) => s !== undefined);
    const sig = await signWithShares(dealt.publicKey, { scheme: 'pkcs1', hash: 'sha256', digest }, shares);
    return { sig, publicKey: rsaPublicKeyObject(dealt.publicKey.n, dealt.publicKey.e) };
  } finally {
    destroyAll(dealt);
  }
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('Importing a key from a PEM file', function () {
  this.timeout(60_000);
  let dir: string;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kofn-import-pem-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, content: string | Buffer): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  }

  it('reads n, e, p and q from an unencrypted PKCS#8 file, and the dealt key signs as the original', async () => {
    const path = await file('plain.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const key = await readPkcs8(path);
    assert.equal(key.n, jwkInt(privateKey, 'n'));
    assert.equal(key.e, 65537n);
    assert.equal(BigInt(`0x${key.p.toString('hex')}`), jwkInt(privateKey, 'p'));
    assert.equal(BigInt(`0x${key.q.toString('hex')}`), jwkInt(privateKey, 'q'));
    assert.equal(key.source, `PKCS#8 file ${path}`);
    const { sig } = await thresholdSignature(key);
    assert.ok(zeroed(key.p) && zeroed(key.q), 'dealing zeroes the primes');
    assert.ok(verify('sha256', message, publicKey, sig));
    assert.deepEqual(sig, sign('sha256', message, privateKey));
  });

  it('zeroes p and q on wipe()', async () => {
    const key = await readPkcs8(await file('wipe.pem', privateKey.export({ type: 'pkcs8', format: 'pem' })));
    key.wipe();
    assert.ok(zeroed(key.p) && zeroed(key.q));
  });

  it('reads an encrypted PKCS#8 file with its passphrase', async () => {
    const path = await file('enc.pem', privateKey.export({
      type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse',
    }));
    const key = await readPkcs8(path, 'correct horse');
    assert.equal(key.n, jwkInt(privateKey, 'n'));
    key.wipe();
  });

  it('says an encrypted file needs a passphrase, and that a wrong one is wrong', async () => {
    const path = await file('enc2.pem', privateKey.export({
      type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse',
    }));
    await rejects(readPkcs8(path), /enc2\.pem is encrypted: give its passphrase/);
    await rejects(readPkcs8(path, 'battery staple'), /wrong passphrase for .*enc2\.pem/);
  });

  it('reads a PKCS#1 "RSA PRIVATE KEY" file, plain or with OpenSSL\'s legacy encryption', async () => {
    const plain = await readPkcs8(await file('pkcs1.pem', privateKey.export({ type: 'pkcs1', format: 'pem' })));
    assert.equal(plain.n, jwkInt(privateKey, 'n'));
    assert.match(plain.source, /^PKCS#1 file /);
    plain.wipe();
    const path = await file('pkcs1-enc.pem', privateKey.export({
      type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw',
    }));
    await rejects(readPkcs8(path), /is encrypted/);
    const enc = await readPkcs8(path, 'pw');
    assert.equal(enc.n, plain.n);
    enc.wipe();
  });

  it('reads a DER PKCS#8 file', async () => {
    const key = await readPkcs8(await file('key.der', privateKey.export({ type: 'pkcs8', format: 'der' })));
    assert.equal(key.n, jwkInt(privateKey, 'n'));
    key.wipe();
  });

  it('refuses an EC key, saying it is not RSA', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await rejects(readPkcs8(await file('ec.pem', ec.export({ type: 'pkcs8', format: 'pem' }))), /an EC key, not RSA/);
    await rejects(readPkcs8(await file('ec1.pem', ec.export({ type: 'sec1', format: 'pem' }))), /"EC PRIVATE KEY"/);
  });

  it('refuses an RSA-PSS key, which cannot make DNSSEC\'s PKCS#1 v1.5 signatures', async () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey;
    await rejects(readPkcs8(await file('pss.pem', pss.export({ type: 'pkcs8', format: 'pem' }))), /RSA-PSS/);
  });

  it('refuses a public key and a file that is not a key at all', async () => {
    await rejects(readPkcs8(await file('pub.pem', publicKey.export({ type: 'spki', format: 'pem' }))),
      /"PUBLIC KEY", not a private key/);
    await rejects(readPkcs8(await file('junk.txt', 'hello\n')), /neither PEM nor a DER private key/);
    await rejects(readPkcs8(join(dir, 'missing.pem')), /cannot read .*missing\.pem/);
  });
});

/** The modulus in a DNSKEY record's public key field (RFC 3110 section 2). */
function dnskeyModulus(keyFile: string): { n: bigint; flags: number } {
  const line = keyFile.split('\n').find((l) => /\sDNSKEY\s/.test(l) && !l.startsWith(';')) ?? '';
  const words = line.trim().split(/\s+/);
  const at = words.indexOf('DNSKEY');
  const rdata = Buffer.from(words.slice(at + 4).join(''), 'base64');
  const [first = 0, hi = 0, lo = 0] = rdata;
  const [expLen, skip] = first === 0 ? [(hi << 8) | lo, 3] : [first, 1];
  return { n: BigInt(`0x${rdata.subarray(skip + expLen).toString('hex')}`), flags: Number(words[at + 1]) };
}

describe('Importing a key from BIND key files', function () {
  this.timeout(60_000);
  let dir: string;

  before(async function () {
    if (which('dnssec-keygen') === undefined) {
      unavailable(this, 'missing dnssec-keygen: apt-get install bind9-utils');
    }
    dir = await mkdtemp(join(tmpdir(), 'kofn-import-bind-'));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function keygen(...args: string[]): Promise<string> {
    const { stdout } = await execFileP('dnssec-keygen', [...args, '-K', dir, 'example.']);
    return join(dir, stdout.trim());
  }

  it('reads a dnssec-keygen RSASHA256 KSK whose modulus is the DNSKEY\'s, and the dealt key signs for it', async () => {
    const base = await keygen('-a', 'RSASHA256', '-b', '2048', '-f', 'KSK');
    const key = await readBindPrivate(`${base}.private`);
    const dnskey = dnskeyModulus(await readFile(`${base}.key`, 'utf8'));
    assert.equal(key.n, dnskey.n);
    assert.equal(key.e, 65537n);
    assert.equal(key.flags, 257);
    assert.equal(key.dnssecAlgorithm, 8);
    assert.equal(key.zone, 'example.');
    assert.equal(key.keyTag, Number(/\+(\d{5})$/.exec(base)?.[1]));
    assert.equal(key.source, `BIND key file ${base}.private`);
    const { sig, publicKey } = await thresholdSignature(key);
    assert.ok(zeroed(key.p) && zeroed(key.q));
    assert.ok(verify('sha256', message, publicKey, sig));
  });

  it('reads a ZSK without its .key file, taking the zone from the file name', async () => {
    const base = await keygen('-a', 'RSASHA512', '-b', '1024');
    await rm(`${base}.key`);
    const key = await readBindPrivate(`${base}.private`);
    assert.equal(key.dnssecAlgorithm, 10);
    assert.equal(key.zone, 'example.');
    assert.equal(key.flags, undefined);
    key.wipe();
  });

  it('refuses an ECDSA key, saying kofn shares RSA keys only', async () => {
    const base = await keygen('-a', 'ECDSAP256SHA256');
    await rejects(readBindPrivate(`${base}.private`), /algorithm 13 \(ECDSAP256SHA256\) key, not RSA/);
  });

  it('refuses a key that lives in an HSM, saying to import it from the HSM', async () => {
    const path = join(dir, 'Khsm.+008+00001.private');
    await writeFile(path, [
      'Private-key-format: v1.3', 'Algorithm: 8 (RSASHA256)', 'Modulus: AQAB', 'PublicExponent: AQAB',
      'Label: pkcs11:token=ksk;object=example-ksk', '',
    ].join('\n'));
    await rejects(readBindPrivate(path), /lives in an HSM \(pkcs11:token=ksk;object=example-ksk\)/);
    await rejects(readBindPrivate(path), /import it from that HSM \(the PKCS#11 source\) instead/);
  });

  it('refuses a file whose primes do not multiply to its modulus', async () => {
    const base = await keygen('-a', 'RSASHA256', '-b', '1024');
    const text = await readFile(`${base}.private`, 'utf8');
    const damaged = join(dir, 'Kdamaged.+008+00002.private');
    await writeFile(damaged, text.replace(/^Prime1: (.)/m, (_, c: string) => `Prime1: ${c === 'A' ? 'B' : 'A'}`));
    await rejects(readBindPrivate(damaged), /do not multiply to the modulus/);
  });

  it('refuses a .key file that belongs to another key', async () => {
    const a = await keygen('-a', 'RSASHA256', '-b', '1024');
    const b = await keygen('-a', 'RSASHA256', '-b', '1024');
    await writeFile(`${a}.key`, await readFile(`${b}.key`));
    await rejects(readBindPrivate(`${a}.private`), /is not the public half/);
  });

  it('refuses a file that is not a BIND private key', async () => {
    const path = join(dir, 'not-bind.private');
    await writeFile(path, 'hello: world\n');
    await rejects(readBindPrivate(path), /not a BIND private key file/);
  });
});

const SOFTHSM2 = '/usr/lib/softhsm/libsofthsm2.so';
const CHILD = fileURLToPath(new URL('../../helpers/p11-import-child.js', import.meta.url));

describe('Importing a key from SoftHSM2', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let keys: GeneratedKey[];
  const token = { module: SOFTHSM2, tokenLabel: 'src', pin: '1234' };

  /** SoftHSM2 runs in a child process, so that it never shares mocha's process (p11-import-child.ts). */
  async function child<T>(mode: 'generate' | 'import', request: GenerateRequest | ImportRequest): Promise<T> {
    const proc = spawn(process.execPath, [CHILD, mode], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    proc.stdin.end(JSON.stringify(request));
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    const reply = JSON.parse(out.trim().split('\n').pop() ?? '{}') as T & { fatal?: string };
    if (code !== 0 || reply.fatal !== undefined) throw new Error(`child failed (${code}): ${reply.fatal ?? out}`);
    return reply;
  }

  before(async function () {
    if (which('softhsm2-util') === undefined || !existsSync(SOFTHSM2)) {
      unavailable(this, `missing softhsm2-util or ${SOFTHSM2}: apt-get install softhsm2`);
    }
    dir = await mkdtemp(join(tmpdir(), 'kofn-import-softhsm2-'));
    const conf = join(dir, 'softhsm2.conf');
    await writeFile(conf, [
      `directories.tokendir = ${dir}`, 'objectstore.backend = file', 'log.level = ERROR', 'slots.removable = false', '',
    ].join('\n'));
    env = { ...process.env, SOFTHSM2_CONF: conf };
    await execFileP('softhsm2-util', ['--init-token', '--free', '--label', 'src', '--so-pin', '12345678', '--pin', '1234'],
      { env });
    keys = await child<GeneratedKey[]>('generate', {
      ...token, data: message.toString('hex'), keys: [
        { label: 'ksk-sensitive', id: 'a1', extractable: true, sensitive: true },
        { label: 'zsk-plain', id: 'b2', extractable: true, sensitive: false },
        { label: 'locked', id: 'c3', extractable: false, sensitive: true },
      ],
    });
    assert.ok((await readdir(dir)).length > 1, 'the token exists');
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  function publicKeyOf(k: GeneratedKey): KeyObject {
    const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');
    return createPublicKey({ key: { kty: 'RSA', n: b64(k.modulus), e: b64(k.exponent) }, format: 'jwk' });
  }

  async function imported(request: Partial<ImportRequest>) {
    const reply = await child<ImportReply>('import', {
      ...token, shares: 5, threshold: 3, data: message.toString('hex'), subsets: [[1, 2, 3], [2, 4, 5], [1, 3, 5]],
      ...request,
    });
    if ('error' in reply) throw new Error(reply.error);
    return reply.ok;
  }

  for (const [kind, index] of [['sensitive (wrapped out with CKM_AES_KEY_WRAP_PAD)', 0], ['non-sensitive', 1]] as const) {
    it(`imports an extractable, ${kind} key whose threshold signatures equal SoftHSM2's own`, async () => {
      const source = keys[index];
      assert.ok(source !== undefined);
      const got = await imported({ id: source.id });
      assert.equal(got.n, BigInt(`0x${source.modulus}`).toString(16));
      assert.equal(got.label, source.label);
      assert.equal(got.ckaId, source.id);
      assert.equal(got.sharing, 'lambda');
      assert.ok(got.wiped, 'dealing zeroed p and q');
      assert.match(got.source, new RegExp(`token "src" key "${source.label}" \\(id ${source.id}\\)`));
      assert.equal(got.signatures.length, 3);
      for (const sig of got.signatures) {
        assert.ok(verify('sha256', message, publicKeyOf(source), Buffer.from(sig, 'hex')));
        assert.equal(sig, source.signature);
      }
    });
  }

  it('finds the key by its label as well', async () => {
    const got = await imported({ label: 'zsk-plain', subsets: [[1, 2, 3]] });
    assert.equal(got.ckaId, 'b2');
  });

  it('refuses a key made with CKA_EXTRACTABLE=false, saying to roll it over', async () => {
    await rejects(imported({ id: 'c3' }),
      /not extractable: SoftHSM2 keys made with CKA_EXTRACTABLE=false cannot be imported; roll the key over instead/);
  });

  it('says which token, PIN or key is wrong', async () => {
    await rejects(imported({ id: 'a1', tokenLabel: 'nope' }), /no token labelled "nope" \(tokens: "src"\)/);
    await rejects(imported({ id: 'a1', pin: '9999' }), /logging in to token "src": wrong PIN/);
    await rejects(imported({ id: 'ff' }), /token "src" has no RSA private key with id ff/);
    await rejects(imported({}), /several RSA private keys/);
  });
});
