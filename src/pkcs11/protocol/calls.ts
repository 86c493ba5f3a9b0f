/**
 * The PKCS#11 call table of the shim ↔ service protocol, version 1 (docs/protocol.md), written once.
 * The C shim's marshalling and the service's dispatch are generated from it or checked against it;
 * test/unit/pkcs11/calls.test.ts checks every entry, parameter by parameter, against pkcs11.h.
 *
 * Call ids are positions: 0–67 follow CK_FUNCTION_LIST of PKCS#11 2.40, 68+ the 3.0 additions.
 */

/** Wire encodings; each covers one or more C parameters (see ARG_PARAMS). */
export type ArgKind =
  | 'ulong'
  | 'bool'
  | 'bytes'
  | 'label32'
  | 'out-bytes'
  | 'out-bytes-fixed'
  | 'out-ulongs'
  | 'out-ulongs-max'
  | 'out-ulong'
  | 'template'
  | 'get-template'
  | 'mechanism'
  | 'out-info'
  | 'out-slot-info'
  | 'out-token-info'
  | 'out-session-info'
  | 'out-mechanism-info'
  | 'app-pointer'
  | 'notify'
  | 'reserved';

/** How many C parameters each kind stands for (pointer and length pairs are one argument). */
export const ARG_PARAMS: Readonly<Record<ArgKind, number>> = {
  'ulong': 1,
  'bool': 1,
  'bytes': 2,
  'label32': 1,
  'out-bytes': 2,
  'out-bytes-fixed': 2,
  'out-ulongs': 2,
  'out-ulongs-max': 3,
  'out-ulong': 1,
  'template': 2,
  'get-template': 2,
  'mechanism': 1,
  'out-info': 1,
  'out-slot-info': 1,
  'out-token-info': 1,
  'out-session-info': 1,
  'out-mechanism-info': 1,
  'app-pointer': 1,
  'notify': 1,
  'reserved': 1,
};

/**
 * `once`: has an effect, or may (signing, key generation, destruction, login): never retried after
 * the request may have reached the service. `idempotent`: a read; may be retried once on a fresh
 * connection if the pooled one was dead before any reply byte arrived.
 */
export type Retry = 'once' | 'idempotent';

export interface Call {
  id: number;
  name: string;
  /** [argument name, kind] in C parameter order. */
  args: readonly (readonly [string, ArgKind])[];
  retry: Retry;
  /** Answered by the shim itself, never forwarded. */
  local?: true;
  /** PKCS#11 3.0 addition (not in a 2.40 CK_FUNCTION_LIST). */
  v3?: true;
  /**
   * Long-running by nature: the shim waits KOFN_SLOW_CALL_TIMEOUT_MS (default 10 min) instead of
   * KOFN_CALL_TIMEOUT_MS. Key generation finds safe primes when the pool is empty (minutes for
   * 4096 bits) and deals to every node; re-initialising a token deletes shares on every node.
   */
  slow?: true;
}

type Spec = [
  name: string, args: (readonly [string, ArgKind])[], retry: Retry, flags?: { local?: true; v3?: true; slow?: true },
];

const S = ['hSession', 'ulong'] as const;
const MECH = ['pMechanism', 'mechanism'] as const;
const KEY = ['hKey', 'ulong'] as const;
const data = (n: string) => [n, 'bytes'] as const;
const out = (n: string) => [n, 'out-bytes'] as const;

const SPECS: Spec[] = [
  // PKCS#11 2.40, CK_FUNCTION_LIST order
  ['C_Initialize', [['pInitArgs', 'reserved']], 'once', { local: true }],
  ['C_Finalize', [['pReserved', 'reserved']], 'once', { local: true }],
  ['C_GetInfo', [['pInfo', 'out-info']], 'idempotent'],
  ['C_GetFunctionList', [['ppFunctionList', 'reserved']], 'idempotent', { local: true }],
  ['C_GetSlotList', [['tokenPresent', 'bool'], ['pSlotList', 'out-ulongs']], 'idempotent'],
  ['C_GetSlotInfo', [['slotID', 'ulong'], ['pInfo', 'out-slot-info']], 'idempotent'],
  ['C_GetTokenInfo', [['slotID', 'ulong'], ['pInfo', 'out-token-info']], 'idempotent'],
  ['C_GetMechanismList', [['slotID', 'ulong'], ['pMechanismList', 'out-ulongs']], 'idempotent'],
  ['C_GetMechanismInfo', [['slotID', 'ulong'], ['type', 'ulong'], ['pInfo', 'out-mechanism-info']], 'idempotent'],
  ['C_InitToken', [['slotID', 'ulong'], data('pPin'), ['pLabel', 'label32']], 'once', { slow: true }],
  ['C_InitPIN', [S, data('pPin')], 'once'],
  ['C_SetPIN', [S, data('pOldPin'), data('pNewPin')], 'once'],
  ['C_OpenSession', [['slotID', 'ulong'], ['flags', 'ulong'], ['pApplication', 'app-pointer'], ['Notify', 'notify'],
    ['phSession', 'out-ulong']], 'once'],
  ['C_CloseSession', [S], 'once'],
  ['C_CloseAllSessions', [['slotID', 'ulong']], 'once'],
  ['C_GetSessionInfo', [S, ['pInfo', 'out-session-info']], 'idempotent'],
  ['C_GetOperationState', [S, out('pOperationState')], 'idempotent'],
  ['C_SetOperationState', [S, data('pOperationState'), ['hEncryptionKey', 'ulong'], ['hAuthenticationKey', 'ulong']],
    'once'],
  ['C_Login', [S, ['userType', 'ulong'], data('pPin')], 'once'],
  ['C_Logout', [S], 'once'],
  ['C_CreateObject', [S, ['pTemplate', 'template'], ['phObject', 'out-ulong']], 'once'],
  ['C_CopyObject', [S, ['hObject', 'ulong'], ['pTemplate', 'template'], ['phNewObject', 'out-ulong']], 'once'],
  ['C_DestroyObject', [S, ['hObject', 'ulong']], 'once'],
  ['C_GetObjectSize', [S, ['hObject', 'ulong'], ['pulSize', 'out-ulong']], 'idempotent'],
  ['C_GetAttributeValue', [S, ['hObject', 'ulong'], ['pTemplate', 'get-template']], 'idempotent'],
  ['C_SetAttributeValue', [S, ['hObject', 'ulong'], ['pTemplate', 'template']], 'once'],
  ['C_FindObjectsInit', [S, ['pTemplate', 'template']], 'once'],
  ['C_FindObjects', [S, ['phObject', 'out-ulongs-max']], 'once'],
  ['C_FindObjectsFinal', [S], 'once'],
  ['C_EncryptInit', [S, MECH, KEY], 'once'],
  ['C_Encrypt', [S, data('pData'), out('pEncryptedData')], 'once'],
  ['C_EncryptUpdate', [S, data('pPart'), out('pEncryptedPart')], 'once'],
  ['C_EncryptFinal', [S, out('pLastEncryptedPart')], 'once'],
  ['C_DecryptInit', [S, MECH, KEY], 'once'],
  ['C_Decrypt', [S, data('pEncryptedData'), out('pData')], 'once'],
  ['C_DecryptUpdate', [S, data('pEncryptedPart'), out('pPart')], 'once'],
  ['C_DecryptFinal', [S, out('pLastPart')], 'once'],
  ['C_DigestInit', [S, MECH], 'once'],
  ['C_Digest', [S, data('pData'), out('pDigest')], 'once'],
  ['C_DigestUpdate', [S, data('pPart')], 'once'],
  ['C_DigestKey', [S, KEY], 'once'],
  ['C_DigestFinal', [S, out('pDigest')], 'once'],
  ['C_SignInit', [S, MECH, KEY], 'once'],
  ['C_Sign', [S, data('pData'), out('pSignature')], 'once'],
  ['C_SignUpdate', [S, data('pPart')], 'once'],
  ['C_SignFinal', [S, out('pSignature')], 'once'],
  ['C_SignRecoverInit', [S, MECH, KEY], 'once'],
  ['C_SignRecover', [S, data('pData'), out('pSignature')], 'once'],
  ['C_VerifyInit', [S, MECH, KEY], 'once'],
  ['C_Verify', [S, data('pData'), data('pSignature')], 'once'],
  ['C_VerifyUpdate', [S, data('pPart')], 'once'],
  ['C_VerifyFinal', [S, data('pSignature')], 'once'],
  ['C_VerifyRecoverInit', [S, MECH, KEY], 'once'],
  ['C_VerifyRecover', [S, data('pSignature'), out('pData')], 'once'],
  ['C_DigestEncryptUpdate', [S, data('pPart'), out('pEncryptedPart')], 'once'],
  ['C_DecryptDigestUpdate', [S, data('pEncryptedPart'), out('pPart')], 'once'],
  ['C_SignEncryptUpdate', [S, data('pPart'), out('pEncryptedPart')], 'once'],
  ['C_DecryptVerifyUpdate', [S, data('pEncryptedPart'), out('pPart')], 'once'],
  ['C_GenerateKey', [S, MECH, ['pTemplate', 'template'], ['phKey', 'out-ulong']], 'once'],
  ['C_GenerateKeyPair', [S, MECH, ['pPublicKeyTemplate', 'template'], ['pPrivateKeyTemplate', 'template'],
    ['phPublicKey', 'out-ulong'], ['phPrivateKey', 'out-ulong']], 'once', { slow: true }],
  ['C_WrapKey', [S, MECH, ['hWrappingKey', 'ulong'], KEY, out('pWrappedKey')], 'once'],
  ['C_UnwrapKey', [S, MECH, ['hUnwrappingKey', 'ulong'], data('pWrappedKey'), ['pTemplate', 'template'],
    ['phKey', 'out-ulong']], 'once'],
  ['C_DeriveKey', [S, MECH, ['hBaseKey', 'ulong'], ['pTemplate', 'template'], ['phKey', 'out-ulong']], 'once'],
  ['C_SeedRandom', [S, data('pSeed')], 'once'],
  ['C_GenerateRandom', [S, ['pRandomData', 'out-bytes-fixed']], 'once'],
  ['C_GetFunctionStatus', [S], 'idempotent'],
  ['C_CancelFunction', [S], 'idempotent'],
  ['C_WaitForSlotEvent', [['flags', 'ulong'], ['pSlot', 'out-ulong'], ['pReserved', 'reserved']], 'idempotent'],
  // PKCS#11 3.0 additions (CK_FUNCTION_LIST_3_0 order after the 2.40 members)
  ['C_GetInterfaceList', [['pInterfacesList', 'reserved'], ['pulCount', 'reserved']], 'idempotent',
    { local: true, v3: true }],
  ['C_GetInterface', [['pInterfaceName', 'reserved'], ['pVersion', 'reserved'], ['ppInterface', 'reserved'],
    ['flags', 'ulong']], 'idempotent', { local: true, v3: true }],
  ['C_LoginUser', [S, ['userType', 'ulong'], data('pPin'), data('pUsername')], 'once', { v3: true }],
  ['C_SessionCancel', [S, ['flags', 'ulong']], 'once', { v3: true }],
  ['C_MessageEncryptInit', [S, MECH, KEY], 'once', { v3: true }],
  ['C_EncryptMessage', [S, data('pParameter'), data('pAssociatedData'), data('pPlaintext'), out('pCiphertext')],
    'once', { v3: true }],
  ['C_EncryptMessageBegin', [S, data('pParameter'), data('pAssociatedData')], 'once', { v3: true }],
  ['C_EncryptMessageNext', [S, data('pParameter'), data('pPlaintextPart'), out('pCiphertextPart'),
    ['flags', 'ulong']], 'once', { v3: true }],
  ['C_MessageEncryptFinal', [S], 'once', { v3: true }],
  ['C_MessageDecryptInit', [S, MECH, KEY], 'once', { v3: true }],
  ['C_DecryptMessage', [S, data('pParameter'), data('pAssociatedData'), data('pCiphertext'), out('pPlaintext')],
    'once', { v3: true }],
  ['C_DecryptMessageBegin', [S, data('pParameter'), data('pAssociatedData')], 'once', { v3: true }],
  ['C_DecryptMessageNext', [S, data('pParameter'), data('pCiphertextPart'), out('pPlaintextPart'),
    ['flags', 'ulong']], 'once', { v3: true }],
  ['C_MessageDecryptFinal', [S], 'once', { v3: true }],
  ['C_MessageSignInit', [S, MECH, KEY], 'once', { v3: true }],
  ['C_SignMessage', [S, data('pParameter'), data('pData'), out('pSignature')], 'once', { v3: true }],
  ['C_SignMessageBegin', [S, data('pParameter')], 'once', { v3: true }],
  ['C_SignMessageNext', [S, data('pParameter'), data('pData'), out('pSignature')], 'once', { v3: true }],
  ['C_MessageSignFinal', [S], 'once', { v3: true }],
  ['C_MessageVerifyInit', [S, MECH, KEY], 'once', { v3: true }],
  ['C_VerifyMessage', [S, data('pParameter'), data('pData'), data('pSignature')], 'once', { v3: true }],
  ['C_VerifyMessageBegin', [S, data('pParameter')], 'once', { v3: true }],
  ['C_VerifyMessageNext', [S, data('pParameter'), data('pData'), data('pSignature')], 'once', { v3: true }],
  ['C_MessageVerifyFinal', [S], 'once', { v3: true }],
];

export const CALLS: readonly Call[] = SPECS.map(([name, args, retry, flags], id) => ({
  id,
  name,
  args,
  retry,
  ...(flags ?? {}),
}));

export const CALL_BY_NAME: ReadonlyMap<string, Call> = new Map(CALLS.map((c) => [c.name, c]));

/** Number of entries of a PKCS#11 2.40 CK_FUNCTION_LIST. */
export const V2_CALLS = 68;
