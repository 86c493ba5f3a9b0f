import * as ck from '../../src/pkcs11/ck.js';
import type { WireClient } from '../../src/pkcs11/client/wire-client.js';

export { boolAttr, ulongAttr, WireClient } from '../../src/pkcs11/client/wire-client.js';

/** C_SignInit with CKM_SHA256_RSA_PKCS, then C_Sign: the first failing return value, or the signature. */
export async function sign(c: WireClient, h: bigint, key: bigint, data: Buffer): Promise<{ rv: bigint; sig?: Buffer }> {
  const mech = { type: ck.CKM_SHA256_RSA_PKCS, param: { form: 'none' as const } };
  const i = await c.call('C_SignInit', { hSession: h, pMechanism: mech, hKey: key });
  if (i.rv !== ck.CKR_OK) return { rv: i.rv };
  const r = await c.call('C_Sign', { hSession: h, pData: data, pSignature: { given: true, length: 512n } });
  const out = r.outputs.pSignature as { data?: Buffer } | undefined;
  return { rv: r.rv, ...(out?.data ? { sig: out.data } : {}) };
}
