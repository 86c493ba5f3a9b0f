import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ARG_PARAMS, type ArgKind, CALL_BY_NAME, CALLS, V2_CALLS } from '../../../src/pkcs11/protocol/calls.js';

const header = readFileSync(
  fileURLToPath(new URL('../../../../native/include/p11-kit/pkcs11.h', import.meta.url)),
  'utf8',
);

/** Member names of struct ck_function_list, in order. */
function functionListOrder(): string[] {
  const body = /struct ck_function_list\s*\{([^}]*)\}/.exec(header)?.[1] ?? '';
  return [...body.matchAll(/CK_C_\w+\s+(C_\w+);/g)].map((m) => m[1] ?? '');
}

/** Parameter types of every declared function: 'unsigned char *pin' → 'unsigned char *'. */
function declarations(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of header.matchAll(/_CK_DECLARE_FUNCTION\s*\((C_\w+),\s*\(([^;]*)\)\);/g)) {
    const params = (m[2] ?? '').split(',').map((p) =>
      p.replace(/\s+/g, ' ').trim().replace(/\s*\w+$/, '').replace(/\s*\*\s*/g, ' *').trim());
    out.set(m[1] ?? '', params);
  }
  return out;
}

const isPtr = (t: string) => t.endsWith('*');
const PARAM_TYPES: Record<ArgKind, ((t: string) => boolean)[]> = {
  'ulong': [(t) => !isPtr(t) && t !== 'unsigned char' && t !== 'ck_notify_t'],
  'bool': [(t) => t === 'unsigned char'],
  'bytes': [(t) => t === 'unsigned char *', (t) => t === 'unsigned long'],
  'label32': [(t) => t === 'unsigned char *'],
  'out-bytes': [(t) => t === 'unsigned char *', (t) => t === 'unsigned long *'],
  'out-bytes-fixed': [(t) => t === 'unsigned char *', (t) => t === 'unsigned long'],
  'out-ulongs': [(t) => isPtr(t) && !t.startsWith('unsigned char') && !t.startsWith('struct'),
    (t) => t === 'unsigned long *'],
  'out-ulongs-max': [(t) => isPtr(t) && !t.startsWith('struct'), (t) => t === 'unsigned long',
    (t) => t === 'unsigned long *'],
  'out-ulong': [(t) => isPtr(t) && !t.startsWith('unsigned char') && !t.startsWith('struct') && t !== 'void *'],
  'template': [(t) => t === 'struct ck_attribute *', (t) => t === 'unsigned long'],
  'get-template': [(t) => t === 'struct ck_attribute *', (t) => t === 'unsigned long'],
  'mechanism': [(t) => t === 'struct ck_mechanism *'],
  'out-info': [(t) => t === 'struct ck_info *'],
  'out-slot-info': [(t) => t === 'struct ck_slot_info *'],
  'out-token-info': [(t) => t === 'struct ck_token_info *'],
  'out-session-info': [(t) => t === 'struct ck_session_info *'],
  'out-mechanism-info': [(t) => t === 'struct ck_mechanism_info *'],
  'app-pointer': [(t) => t === 'void *'],
  'notify': [(t) => t === 'ck_notify_t'],
  'reserved': [() => true],
};

describe('The PKCS#11 call table of the shim protocol', () => {
  it('numbers the 2.40 calls exactly in CK_FUNCTION_LIST order', () => {
    const order = functionListOrder();
    assert.equal(order.length, V2_CALLS);
    assert.deepEqual(
      CALLS.slice(0, V2_CALLS).map((c) => c.name),
      order,
    );
    CALLS.forEach((c, i) => {
      assert.equal(c.id, i);
      assert.equal(c.v3 === true, i >= V2_CALLS, c.name);
    });
    assert.equal(CALL_BY_NAME.size, CALLS.length, 'names are unique');
  });

  it('describes every parameter of every 2.40 declaration with a kind of the right C type', () => {
    const decls = declarations();
    for (const call of CALLS.slice(0, V2_CALLS)) {
      const types = decls.get(call.name);
      assert.ok(types, `${call.name} is declared`);
      let at = 0;
      for (const [arg, kind] of call.args) {
        const checks = PARAM_TYPES[kind];
        assert.equal(checks.length, ARG_PARAMS[kind], kind);
        checks.forEach((ok, k) => {
          const t = types[at + k];
          assert.ok(t !== undefined && ok(t), `${call.name}.${arg} (${kind}): parameter ${at + k + 1} is '${t}'`);
        });
        at += ARG_PARAMS[kind];
      }
      assert.equal(at, types.length, `${call.name}: ${at} of ${types.length} parameters described`);
    }
  });

  it('answers only initialisation and function-list calls in the shim, and never retries effects', () => {
    assert.deepEqual(
      CALLS.filter((c) => c.local).map((c) => c.name).sort(),
      ['C_Finalize', 'C_GetFunctionList', 'C_GetInterface', 'C_GetInterfaceList', 'C_Initialize'],
    );
    for (const name of ['C_Sign', 'C_SignFinal', 'C_GenerateKeyPair', 'C_DestroyObject', 'C_Login', 'C_InitToken',
      'C_FindObjects', 'C_SetAttributeValue', 'C_GenerateRandom']) {
      assert.equal(CALL_BY_NAME.get(name)?.retry, 'once', name);
    }
  });
});
