/**
 * kofn token keygen: an RSA key pair made in a running token service by the PKCS#11 calls an
 * application makes through libkofn-pkcs11.so, over the same socket, so the key is checked, dealt
 * to the nodes and stored exactly as one made by pkcs11-tool --keypairgen.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ck from '../../../pkcs11/ck.js';
import { boolAttr, ulongAttr, WireClient } from '../../../pkcs11/client/wire-client.js';
import type { Args, Outputs, StructValue } from '../../../pkcs11/protocol/codec.js';
import type { Attribute } from '../../../pkcs11/protocol/wire.js';
import { DEFAULT_SOCKET } from '../../../pkcs11/service/config.js';
import { rvName } from '../../../pkcs11/service/errors.js';
import { keyUri } from '../../../pkcs11/service/tokens.js';
import { type Command, int, str, type Values } from '../../command.js';
import { UserError } from '../../errors.js';

const NONE = { form: 'none' } as const;
const ID_BYTES = 16;

export const command: Command = {
  name: 'token keygen',
  summary: 'generate an RSA key pair in a running token service over PKCS#11 (like pkcs11-tool --keypairgen)',
  usage: [
    '--socket S           the service\'s socket (default $KOFN_SOCKET or /run/kofn/pkcs11.sock, as the shim)',
    '--token T            label of the token (default kofn)',
    '--label L            CKA_LABEL of the new key pair',
    `--id HEX             CKA_ID (default ${ID_BYTES} random bytes)`,
    '--bits N             modulus size, 1024 to 4096 (default 2048)',
    '--pin-file F         the user PIN: the file\'s first line (else $KOFN_PIN, else asked on a terminal)',
    '--json               machine-readable output',
  ],
  options: {
    'socket': { type: 'string' }, 'token': { type: 'string' }, 'label': { type: 'string' }, 'id': { type: 'string' },
    'bits': { type: 'string' }, 'pin-file': { type: 'string' }, 'json': { type: 'boolean' },
  },
  async run(v) {
    // Every mistake in the flags is reported before the PIN is asked for or the service reached.
    const socket = str(v, 'socket', process.env.KOFN_SOCKET || DEFAULT_SOCKET);
    const token = str(v, 'token', 'kofn');
    if (Buffer.byteLength(token, 'utf8') > 32) throw new UserError('--token: a token label is at most 32 bytes');
    const label = str(v, 'label');
    const id = typeof v.id === 'string' ? hexId(v.id) : randomBytes(ID_BYTES);
    const bits = int(v, 'bits', 2048);
    if (bits < 1024 || bits > 4096 || bits % 2 !== 0) {
      throw new UserError('--bits must be an even number from 1024 to 4096');
    }
    const pin = await readPin(v, token);
    let slot: bigint;
    try {
      slot = await generate(socket, token, pin, bits, label, id);
    } finally {
      pin.fill(0);
    }
    const uri = keyUri(token, id, label, 'private');
    const publicUri = keyUri(token, id, label, 'public');
    if (v.json === true) {
      process.stdout.write(`${JSON.stringify({
        token, slot: Number(slot), label, id: id.toString('hex'), bits, uri, publicUri,
      }, null, 2)}\n`);
    } else {
      process.stdout.write([
        `RSA-${bits} key pair ${label} in token ${token} (slot ${slot})`,
        `  id       ${id.toString('hex')}`,
        `  private  ${uri}`,
        `  public   ${publicUri}`,
        '',
      ].join('\n'));
    }
    return 0;
  },
};

function hexId(s: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2}){1,64}$/.test(s)) throw new UserError('--id must be 1 to 64 bytes in hex, e.g. 01a2');
  return Buffer.from(s, 'hex');
}

/** The session part: find the slot, log in, refuse a second key of the same label or id, generate. */
async function generate(socket: string, token: string, pin: Buffer, bits: number, label: string, id: Buffer):
Promise<bigint> {
  let c: WireClient;
  try {
    c = await WireClient.connect(socket);
  } catch (err) {
    const e = err as Error & { code?: string };
    throw new UserError(`cannot reach the token service at ${socket}: ${e.code ?? e.message} (--socket or $KOFN_SOCKET)`);
  }
  try {
    const slot = await findSlot(c, token);
    const flags = ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION;
    const h = (await p11(c, 'C_OpenSession', { slotID: slot, flags })).phSession as bigint;
    try {
      await p11(c, 'C_Login', { hSession: h, userType: ck.CKU_USER, pPin: pin });
      try {
        // Two private keys of one label would make the label (and a URI naming it) ambiguous.
        const cls = { type: ck.CKA_CLASS, value: ulongAttr(ck.CKO_PRIVATE_KEY) };
        if (await exists(c, h, [cls, { type: ck.CKA_LABEL, value: Buffer.from(label, 'utf8') }])) {
          throw new UserError(`token ${token} has a private key labelled ${label} already`);
        }
        if (await exists(c, h, [cls, { type: ck.CKA_ID, value: id }])) {
          throw new UserError(`token ${token} has a private key with id ${id.toString('hex')} already`);
        }
        const common: Attribute[] = [
          { type: ck.CKA_TOKEN, value: boolAttr(true) },
          { type: ck.CKA_LABEL, value: Buffer.from(label, 'utf8') },
          { type: ck.CKA_ID, value: id },
        ];
        await p11(c, 'C_GenerateKeyPair', {
          hSession: h,
          pMechanism: { type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN, param: NONE },
          pPublicKeyTemplate: [
            ...common,
            { type: ck.CKA_VERIFY, value: boolAttr(true) },
            { type: ck.CKA_MODULUS_BITS, value: ulongAttr(BigInt(bits)) },
            { type: ck.CKA_PUBLIC_EXPONENT, value: Buffer.from([0x01, 0x00, 0x01]) },
          ],
          pPrivateKeyTemplate: [
            ...common,
            { type: ck.CKA_PRIVATE, value: boolAttr(true) },
            { type: ck.CKA_SIGN, value: boolAttr(true) },
            { type: ck.CKA_SENSITIVE, value: boolAttr(true) },
            { type: ck.CKA_EXTRACTABLE, value: boolAttr(false) },
          ],
        });
      } finally {
        // The key exists once C_GenerateKeyPair answered OK: a failed logout must not say otherwise.
        await c.call('C_Logout', { hSession: h }).catch(() => undefined);
      }
    } finally {
      await c.call('C_CloseSession', { hSession: h }).catch(() => undefined);
    }
    return slot;
  } finally {
    c.close();
  }
}

/** One call; anything but CKR_OK ends the command with one line naming the call. */
async function p11(c: WireClient, name: string, args: Args): Promise<Outputs> {
  let r: Awaited<ReturnType<WireClient['call']>>;
  try {
    r = await c.call(name, args);
  } catch (err) {
    throw new UserError(`${name}: ${(err as Error).message}`);
  }
  if (r.rv !== ck.CKR_OK) throw new UserError(`${name}: ${rvName(r.rv)}`);
  return r.outputs;
}

/** The slot of the token labelled `token` (CK_TOKEN_INFO labels are 32 bytes, blank padded). */
async function findSlot(c: WireClient, token: string): Promise<bigint> {
  const n = (await p11(c, 'C_GetSlotList', { tokenPresent: true, pSlotList: { given: false, length: 0n } }))
    .pSlotList as { count: bigint };
  const list = await p11(c, 'C_GetSlotList', { tokenPresent: true, pSlotList: { given: true, length: n.count } });
  const slots = (list.pSlotList as { values?: bigint[] }).values ?? [];
  const want = token.replace(/ +$/, '');
  const seen: string[] = [];
  for (const slot of slots) {
    const info = (await p11(c, 'C_GetTokenInfo', { slotID: slot })).pInfo as StructValue;
    const label = typeof info.label === 'string' ? info.label : '';
    if (label === want) return slot;
    seen.push(label);
  }
  throw new UserError(`no token labelled ${token} in the service (tokens: ${seen.join(', ') || 'none'})`);
}

async function exists(c: WireClient, h: bigint, tpl: Attribute[]): Promise<boolean> {
  await p11(c, 'C_FindObjectsInit', { hSession: h, pTemplate: tpl });
  try {
    const found = (await p11(c, 'C_FindObjects', { hSession: h, phObject: { max: 1n } })).phObject as { values: bigint[] };
    return found.values.length > 0;
  } finally {
    await c.call('C_FindObjectsFinal', { hSession: h }).catch(() => undefined);
  }
}

/** The user PIN, from --pin-file, $KOFN_PIN or the terminal; never echoed nor printed. */
async function readPin(v: Values, token: string): Promise<Buffer> {
  const file = v['pin-file'];
  if (typeof file === 'string') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UserError(`--pin-file ${file} cannot be read`);
    }
    const line = text.split(/\r?\n/, 1)[0] ?? '';
    if (line === '') throw new UserError(`--pin-file ${file}: the first line is empty`);
    return Buffer.from(line, 'utf8');
  }
  const env = process.env.KOFN_PIN;
  if (env !== undefined && env !== '') return Buffer.from(env, 'utf8');
  if (process.stdin.isTTY) return ask(`user PIN of token ${token}: `);
  throw new UserError('no user PIN: give --pin-file F or set KOFN_PIN');
}

/** Reads one line from the terminal in raw mode, so nothing typed is echoed. */
function ask(question: string): Promise<Buffer> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    const typed: number[] = [];
    const done = (err?: UserError) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(Buffer.from(typed));
      typed.fill(0);
    };
    const onData = (chunk: Buffer) => {
      let end: 'enter' | 'cancel' | undefined;
      for (const b of chunk) {
        if (b === 0x0d || b === 0x0a) end = 'enter';
        // Raw mode turns ^C and ^D into bytes: they cancel.
        else if (b === 0x03 || b === 0x04) end = 'cancel';
        else if (b === 0x7f || b === 0x08) {
          // Backspace removes one character: its UTF-8 continuation bytes, then its first byte.
          let last = typed.pop();
          while (last !== undefined && (last & 0xc0) === 0x80) last = typed.pop();
        } else {
          typed.push(b);
        }
        if (end !== undefined) break;
      }
      chunk.fill(0);
      if (end !== undefined) done(end === 'cancel' ? new UserError('no PIN given') : undefined);
    };
    stdin.on('data', onData);
  });
}
