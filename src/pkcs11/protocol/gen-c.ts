/**
 * Generates the C side of the call table for the native shim (native/src/pkcs11/calls.gen.c) from
 * CALLS: call ids, one descriptor per call (argument kinds, retry class, epoch and service-down
 * classes), one stub per PKCS#11 function with its exact C signature that packs its parameters into
 * the generic per-kind argument array and calls the one generic forwarder, and the 2.40 and 3.0
 * function lists. Nothing per function is written by hand in C except the local calls.
 *
 *   npm run gen:shim       (rewrites the committed file; test/unit/pkcs11/gen-c.test.ts checks it)
 */
import { pathToFileURL } from 'node:url';
import { ARG_PARAMS, type ArgKind, type Call, CALLS, V2_CALLS } from './calls.js';

/** C enumerator of a kind: 'out-bytes' → KOFN_K_OUT_BYTES. */
export const kindEnum = (k: ArgKind): string => `KOFN_K_${k.toUpperCase().replace(/-/g, '_')}`;

const ALL_KINDS = Object.keys(ARG_PARAMS) as ArgKind[];

/** C types of 'ulong' arguments, by name (all are CK_ULONG underneath; the names document). */
function ulongType(name: string): string {
  if (name === 'hSession') return 'CK_SESSION_HANDLE';
  if (name === 'slotID') return 'CK_SLOT_ID';
  if (name === 'flags') return 'CK_FLAGS';
  if (name === 'userType') return 'CK_USER_TYPE';
  if (name === 'type') return 'CK_MECHANISM_TYPE';
  if (/^h[A-Z]/.test(name)) return 'CK_OBJECT_HANDLE';
  return 'CK_ULONG';
}

/** Parameters of local calls, whose C types the table does not describe (kind 'reserved'). */
const RESERVED_TYPES: Readonly<Record<string, string>> = {
  pInitArgs: 'CK_VOID_PTR',
  pReserved: 'CK_VOID_PTR',
  ppFunctionList: 'CK_FUNCTION_LIST_PTR_PTR',
  pInterfacesList: 'CK_INTERFACE_PTR',
  pulCount: 'CK_ULONG_PTR',
  pInterfaceName: 'CK_UTF8CHAR_PTR',
  pVersion: 'CK_VERSION_PTR',
  ppInterface: 'CK_INTERFACE_PTR_PTR',
};

const STRUCT_PTR: Partial<Record<ArgKind, string>> = {
  'out-info': 'CK_INFO_PTR',
  'out-slot-info': 'CK_SLOT_INFO_PTR',
  'out-token-info': 'CK_TOKEN_INFO_PTR',
  'out-session-info': 'CK_SESSION_INFO_PTR',
  'out-mechanism-info': 'CK_MECHANISM_INFO_PTR',
};

interface Param {
  type: string;
  name: string;
}

/** 'pData' → 'Data' */
const stem = (name: string) => name.replace(/^p/, '');

/** The C parameters one argument stands for, and how the stub packs them into a kofn_arg. */
function cParams(call: Call, name: string, kind: ArgKind): { params: Param[]; init: string } {
  const s = stem(name);
  switch (kind) {
    case 'ulong':
      return { params: [{ type: ulongType(name), name }], init: `.ul = ${name}` };
    case 'bool':
      return { params: [{ type: 'CK_BBOOL', name }], init: `.ul = ${name}` };
    case 'bytes': {
      const ptr = name === 'pParameter' ? 'CK_VOID_PTR' : /Pin$|^pUsername$/.test(name) ? 'CK_UTF8CHAR_PTR' : 'CK_BYTE_PTR';
      const len = `ul${s}Len`;
      return { params: [{ type: ptr, name }, { type: 'CK_ULONG', name: len }], init: `.ptr = ${name}, .ul = ${len}` };
    }
    case 'label32':
      return { params: [{ type: 'CK_UTF8CHAR_PTR', name }], init: `.ptr = ${name}` };
    case 'out-bytes': {
      const len = `pul${s}Len`;
      return { params: [{ type: 'CK_BYTE_PTR', name }, { type: 'CK_ULONG_PTR', name: len }], init: `.ptr = ${name}, .pul = ${len}` };
    }
    case 'out-bytes-fixed': {
      const len = `ul${s}Len`;
      return { params: [{ type: 'CK_BYTE_PTR', name }, { type: 'CK_ULONG', name: len }], init: `.ptr = ${name}, .ul = ${len}` };
    }
    case 'out-ulongs': {
      const elem = name === 'pSlotList' ? 'CK_SLOT_ID_PTR' : name === 'pMechanismList' ? 'CK_MECHANISM_TYPE_PTR' : 'CK_ULONG_PTR';
      return { params: [{ type: elem, name }, { type: 'CK_ULONG_PTR', name: 'pulCount' }], init: `.ptr = ${name}, .pul = pulCount` };
    }
    case 'out-ulongs-max':
      return {
        params: [{ type: 'CK_OBJECT_HANDLE_PTR', name }, { type: 'CK_ULONG', name: 'ulMaxObjectCount' },
          { type: 'CK_ULONG_PTR', name: 'pulObjectCount' }],
        init: `.ptr = ${name}, .ul = ulMaxObjectCount, .pul = pulObjectCount`,
      };
    case 'out-ulong': {
      const type = name === 'phSession'
        ? 'CK_SESSION_HANDLE_PTR'
        : name === 'pSlot'
          ? 'CK_SLOT_ID_PTR'
          : name.startsWith('ph') ? 'CK_OBJECT_HANDLE_PTR' : 'CK_ULONG_PTR';
      return { params: [{ type, name }], init: `.ptr = ${name}` };
    }
    case 'template':
    case 'get-template': {
      const count = `ul${s}Count`;
      return { params: [{ type: 'CK_ATTRIBUTE_PTR', name }, { type: 'CK_ULONG', name: count }], init: `.ptr = ${name}, .ul = ${count}` };
    }
    case 'mechanism':
      return { params: [{ type: 'CK_MECHANISM_PTR', name }], init: `.ptr = ${name}` };
    case 'out-info':
    case 'out-slot-info':
    case 'out-token-info':
    case 'out-session-info':
    case 'out-mechanism-info':
      return { params: [{ type: STRUCT_PTR[kind] ?? '', name }], init: `.ptr = ${name}` };
    case 'app-pointer':
      return { params: [{ type: 'CK_VOID_PTR', name }], init: '.ul = 0' };
    case 'notify':
      return { params: [{ type: 'CK_NOTIFY', name }], init: '.ul = 0' };
    case 'reserved': {
      const type = RESERVED_TYPES[name] ?? (call.name === 'C_WaitForSlotEvent' ? 'CK_VOID_PTR' : undefined);
      if (type === undefined) throw new Error(`no C type for ${call.name}.${name}`);
      return { params: [{ type, name }], init: '.ul = 0' };
    }
  }
}

/** Not sent, and not otherwise used by the stub. */
const UNUSED: ReadonlySet<ArgKind> = new Set<ArgKind>(['app-pointer', 'notify', 'reserved']);

/**
 * Session-bound calls: their handles die with the service epoch, so after a restart they get
 * CKR_SESSION_HANDLE_INVALID without being sent (docs/protocol.md, Epochs). C_CloseAllSessions
 * closes the application's sessions of the old epoch, so it belongs here too.
 */
export const isSessionCall = (c: Call): boolean => c.args[0]?.[0] === 'hSession' || c.name === 'C_CloseAllSessions';

/** What the shim answers itself while the service is unreachable (docs/protocol.md, Errors). */
export function downClass(c: Call): string {
  if (c.name === 'C_GetInfo') return 'KOFN_DOWN_INFO';
  if (c.name === 'C_GetSlotList') return 'KOFN_DOWN_SLOT_LIST';
  if (c.name === 'C_GetSlotInfo') return 'KOFN_DOWN_SLOT_INFO';
  if (c.args[0]?.[0] === 'slotID') return 'KOFN_DOWN_TOKEN';
  if (c.args[0]?.[0] === 'hSession') return 'KOFN_DOWN_SESSION';
  return 'KOFN_DOWN_NONE';
}

const signature = (fn: string, params: Param[]) =>
  `CK_RV ${fn}(${params.length === 0 ? 'void' : params.map((p) => `${p.type} ${p.name}`).join(', ')})`;

function paramsOf(c: Call): { params: Param[]; inits: string[] } {
  const params: Param[] = [];
  const inits: string[] = [];
  for (const [name, kind] of c.args) {
    const p = cParams(c, name, kind);
    params.push(...p.params);
    inits.push(p.init);
  }
  return { params, inits };
}

export function generateC(): string {
  const out: string[] = [];
  const w = (s = '') => out.push(s);
  w('/*');
  w(' * Generated by src/pkcs11/protocol/gen-c.ts from the call table src/pkcs11/protocol/calls.ts.');
  w(' * Do not edit: `npm run gen:shim` rewrites it; test/unit/pkcs11/gen-c.test.ts checks it is current.');
  w(' */');
  w('#include "shim.h"');
  w();
  w(`_Static_assert(KOFN_KIND_COUNT == ${ALL_KINDS.length}, "one C argument kind per ArgKind of calls.ts");`);
  ALL_KINDS.forEach((k, i) => w(`_Static_assert(${kindEnum(k)} == ${i}, "kind order of calls.ts");`));
  w();
  w('/* Call ids: positions in the table. */');
  w('enum kofn_call_id {');
  for (const c of CALLS) w(`  KOFN_ID_${c.name} = ${c.id},`);
  w(`  KOFN_CALL_COUNT = ${CALLS.length}`);
  w('};');
  w();
  w('/* Answered by the shim itself (shim.c), never forwarded. */');
  for (const c of CALLS.filter((x) => x.local)) w(`${signature(`kofn_${c.name}`, paramsOf(c).params)};`);
  w();
  w('/* Argument kinds of each call, in C parameter order (one entry per table argument). */');
  for (const c of CALLS) {
    w(`static const unsigned char kinds_${c.name}[] = { ${c.args.map(([, k]) => kindEnum(k)).join(', ')} };`);
  }
  w();
  w('const kofn_call kofn_calls[KOFN_CALL_COUNT] = {');
  for (const c of CALLS) {
    const retry = c.retry === 'once' ? 'KOFN_ONCE' : 'KOFN_IDEMPOTENT';
    w(`  { ${c.id}, "${c.name}", ${retry}, ${c.local ? 1 : 0}, ${isSessionCall(c) ? 1 : 0}, ${downClass(c)}, ` +
      `${c.args.length}, kinds_${c.name}, ${c.slow ? 1 : 0} },`);
  }
  w('};');
  w();
  w('/* One stub per forwarded function: its exact C signature, packed into kofn_arg by kind. */');
  for (const c of CALLS.filter((x) => !x.local)) {
    const { params, inits } = paramsOf(c);
    w(`static ${signature(`kofn_${c.name}`, params)}`);
    w('{');
    c.args.forEach(([name, kind]) => {
      if (UNUSED.has(kind)) w(`  (void)${name};`);
    });
    w(`  kofn_arg a[${c.args.length}] = {`);
    for (const i of inits) w(`    { ${i} },`);
    w('  };');
    w(`  return kofn_forward(&kofn_calls[KOFN_ID_${c.name}], a);`);
    w('}');
    w();
  }
  // Designated members: the compiler checks each function against its slot's type by name, and
  // the size checks that no slot is left out.
  const list = (type: string, name: string, version: string, calls: readonly Call[]) => {
    w(`_Static_assert(sizeof(${type}) == offsetof(${type}, C_Initialize) + ${calls.length} * sizeof(CK_C_Initialize),`);
    w(`               "${type} has ${calls.length} functions");`);
    w(`const ${type} ${name} = {`);
    w(`  .version = ${version},`);
    for (const c of calls) w(`  .${c.name} = kofn_${c.name},`);
    w('};');
  };
  list('CK_FUNCTION_LIST', 'kofn_function_list', '{ 2, 40 }', CALLS.slice(0, V2_CALLS));
  w();
  list('CK_FUNCTION_LIST_3_0', 'kofn_function_list_3_0', '{ 3, 0 }', CALLS);
  return out.join('\n') + '\n';
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(generateC());
}
