/*
 * One call per argument kind and mechanism parameter form, through libkofn-pkcs11.so, against the
 * scripted fake service of test/integration/shim-marshal.test.ts. Prints one JSON line per step
 * (the rv and what the shim wrote to the caller's parameters); the test checks both these lines
 * and the requests as the TypeScript codec decodes them.
 *
 *   shim-marshal SO        (KOFN_SOCKET: the fake service)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pkcs11_3.h"

static CK_FUNCTION_LIST_PTR f;

static void hex(const unsigned char *p, size_t n)
{
  putchar('"');
  for (size_t i = 0; i < n; i++)
    printf("%02x", p[i]);
  putchar('"');
}

static void str(const unsigned char *p, size_t n)
{
  putchar('"');
  for (size_t i = 0; i < n; i++)
    putchar(p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\' ? p[i] : '?');
  putchar('"');
}

static void step(const char *name, CK_RV rv)
{
  printf("{\"step\":\"%s\",\"rv\":%lu", name, rv);
}

static void end(void)
{
  printf("}\n");
  fflush(stdout);
}

int main(int argc, char **argv)
{
  if (argc != 2)
    return 2;
  void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (so == NULL)
    return 1;
  CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)(uintptr_t)dlsym(so, "C_GetFunctionList");
  if (gfl == NULL || gfl(&f) != CKR_OK)
    return 1;
  CK_RV rv = f->C_Initialize(NULL);
  step("initialize", rv);
  end();

  /* out-info */
  CK_INFO info;
  memset(&info, 0, sizeof info);
  rv = f->C_GetInfo(&info);
  step("info", rv);
  printf(",\"cryptoki\":\"%u.%u\",\"manufacturer\":", info.cryptokiVersion.major, info.cryptokiVersion.minor);
  str(info.manufacturerID, 32);
  printf(",\"flags\":%lu,\"description\":", info.flags);
  str(info.libraryDescription, 32);
  printf(",\"version\":\"%u.%u\"", info.libraryVersion.major, info.libraryVersion.minor);
  end();

  /* out-ulongs: the length query, too small, enough */
  CK_SLOT_ID slots[8];
  CK_ULONG n = 0;
  rv = f->C_GetSlotList(CK_FALSE, NULL, &n);
  step("slots-count", rv);
  printf(",\"count\":%lu", n);
  end();
  n = 1;
  slots[0] = 4242;
  rv = f->C_GetSlotList(CK_FALSE, slots, &n);
  step("slots-small", rv);
  printf(",\"count\":%lu,\"first\":%lu", n, slots[0]);
  end();
  n = 8;
  rv = f->C_GetSlotList(CK_TRUE, slots, &n);
  step("slots", rv);
  printf(",\"count\":%lu,\"slots\":[%lu,%lu,%lu]", n, slots[0], slots[1], slots[2]);
  end();

  /* out-token-info: CK_UNAVAILABLE_INFORMATION and CK_EFFECTIVELY_INFINITE */
  CK_TOKEN_INFO ti;
  memset(&ti, 0, sizeof ti);
  rv = f->C_GetTokenInfo(1, &ti);
  step("token-info", rv);
  printf(",\"label\":");
  str(ti.label, 32);
  printf(",\"model\":");
  str(ti.model, 16);
  printf(",\"flags\":%lu,\"maxSessions\":%ld,\"maxRw\":%lu,\"minPin\":%lu,\"maxPin\":%lu,\"hw\":\"%u.%u\",\"utc\":",
         ti.flags, (long)ti.ulMaxSessionCount, ti.ulMaxRwSessionCount, ti.ulMinPinLen, ti.ulMaxPinLen,
         ti.hardwareVersion.major, ti.hardwareVersion.minor);
  str(ti.utcTime, 16);
  end();

  /* out-ulong, app-pointer and notify (not sent) */
  CK_SESSION_HANDLE h = 0;
  rv = f->C_OpenSession(1, CKF_SERIAL_SESSION | CKF_RW_SESSION, &h, NULL, &h);
  step("open", rv);
  printf(",\"session\":%lu", h);
  end();

  /* bytes */
  rv = f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "1234", 4);
  step("login", rv);
  end();

  /* get-template: per-attribute lengths and values, CK_UNAVAILABLE_INFORMATION */
  unsigned char label[64], pexp[16], mod[4], id[8];
  memset(label, 0xee, sizeof label);
  memset(mod, 0xee, sizeof mod);
  CK_ATTRIBUTE t[5] = {
    { CKA_LABEL, label, sizeof label },
    { CKA_VALUE, NULL, 0 },
    { CKA_PRIVATE_EXPONENT, pexp, sizeof pexp },
    { CKA_MODULUS, mod, sizeof mod },
    { CKA_ID, id, sizeof id },
  };
  rv = f->C_GetAttributeValue(h, 0x77, t, 5);
  step("get-attributes", rv);
  printf(",\"lengths\":[%ld,%ld,%ld,%ld,%ld],\"label\":", (long)t[0].ulValueLen, (long)t[1].ulValueLen,
         (long)t[2].ulValueLen, (long)t[3].ulValueLen, (long)t[4].ulValueLen);
  hex(label, 6);
  printf(",\"modulus\":");
  hex(mod, sizeof mod);
  end();

  /* mechanism without a parameter; out-bytes: the length query, too small, enough */
  CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
  rv = f->C_SignInit(h, &m, 0x77);
  step("sign-init", rv);
  end();
  CK_ULONG len = 0;
  rv = f->C_Sign(h, (CK_BYTE_PTR) "abc", 3, NULL, &len);
  step("sign-length", rv);
  printf(",\"length\":%lu", len);
  end();
  unsigned char sig[512];
  memset(sig, 0xee, sizeof sig);
  len = 10;
  rv = f->C_Sign(h, (CK_BYTE_PTR) "abc", 3, sig, &len);
  step("sign-small", rv);
  printf(",\"length\":%lu,\"buffer\":", len);
  hex(sig, 4);
  end();
  len = sizeof sig;
  rv = f->C_Sign(h, (CK_BYTE_PTR) "abc", 3, sig, &len);
  step("sign", rv);
  printf(",\"length\":%lu,\"signature\":", len);
  hex(sig, len < 16 ? len : 16);
  end();

  /* template, out-ulongs-max */
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE ft[1] = { { CKA_CLASS, &cls, sizeof cls } };
  rv = f->C_FindObjectsInit(h, ft, 1);
  step("find-init", rv);
  end();
  CK_OBJECT_HANDLE objs[10];
  n = 99;
  rv = f->C_FindObjects(h, objs, 10, &n);
  step("find", rv);
  printf(",\"count\":%lu,\"objects\":[%lu,%lu,%lu]", n, objs[0], objs[1], objs[2]);
  end();
  rv = f->C_FindObjectsFinal(h);
  step("find-final", rv);
  end();

  /* out-bytes-fixed */
  unsigned char rnd[16];
  rv = f->C_GenerateRandom(h, rnd, sizeof rnd);
  step("random", rv);
  printf(",\"bytes\":");
  hex(rnd, sizeof rnd);
  end();

  /* mechanism parameter forms */
  CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
  CK_MECHANISM mpss = { CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof pss };
  step("pss", f->C_SignInit(h, &mpss, 0x77));
  end();
  CK_RSA_PKCS_OAEP_PARAMS oaep = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, (void *)"label", 5 };
  CK_MECHANISM moaep = { CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep };
  step("oaep", f->C_EncryptInit(h, &moaep, 0x78));
  end();
  unsigned char iv[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  CK_GCM_PARAMS gcm = { iv, sizeof iv, 96, (CK_BYTE_PTR) "aad", 3, 128 };
  CK_MECHANISM mgcm = { CKM_AES_GCM, &gcm, sizeof gcm };
  step("gcm", f->C_EncryptInit(h, &mgcm, 0x79));
  end();
  CK_EDDSA_PARAMS ed = { CK_TRUE, 3, (CK_BYTE_PTR) "ctx" };
  CK_MECHANISM med = { CKM_EDDSA, &ed, sizeof ed };
  step("eddsa", f->C_SignInit(h, &med, 0x7a));
  end();
  unsigned char vendor[3] = { 1, 2, 3 };
  CK_MECHANISM mv = { 0x80001234UL, vendor, sizeof vendor };
  step("vendor", f->C_SignInit(h, &mv, 0x7b));
  end();
  CK_MECHANISM mbad = { CKM_SHA256_RSA_PKCS_PSS, vendor, sizeof vendor };
  step("pss-odd-length", f->C_SignInit(h, &mbad, 0x77));
  end();
  step("digest-init-null", f->C_DigestInit(h, NULL));
  end();

  /* template with a nested CKF_ARRAY_ATTRIBUTE and an empty value */
  CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_AES;
  CK_BBOOL no = CK_FALSE;
  CK_ATTRIBUTE inner[2] = { { CKA_KEY_TYPE, &kt, sizeof kt }, { CKA_EXTRACTABLE, &no, sizeof no } };
  CK_ATTRIBUTE ct[4] = {
    { CKA_CLASS, &sk, sizeof sk },
    { CKA_LABEL, (void *)"x", 1 },
    { CKA_VALUE, NULL, 0 },
    { CKA_WRAP_TEMPLATE, inner, sizeof inner },
  };
  CK_OBJECT_HANDLE obj = 0;
  rv = f->C_CreateObject(h, ct, 4, &obj);
  step("create", rv);
  printf(",\"object\":%lu", obj);
  end();

  /* out-mechanism-info, out-session-info, label32 */
  CK_MECHANISM_INFO mi;
  memset(&mi, 0, sizeof mi);
  rv = f->C_GetMechanismInfo(1, CKM_RSA_PKCS, &mi);
  step("mechanism-info", rv);
  printf(",\"min\":%lu,\"max\":%lu,\"flags\":%lu", mi.ulMinKeySize, mi.ulMaxKeySize, mi.flags);
  end();
  CK_SESSION_INFO si;
  memset(&si, 0, sizeof si);
  rv = f->C_GetSessionInfo(h, &si);
  step("session-info", rv);
  printf(",\"slot\":%lu,\"state\":%lu,\"flags\":%lu,\"error\":%lu", si.slotID, si.state, si.flags, si.ulDeviceError);
  end();
  unsigned char lab32[32];
  memset(lab32, ' ', sizeof lab32);
  memcpy(lab32, "kofn", 4);
  step("init-token", f->C_InitToken(1, (CK_UTF8CHAR_PTR) "12345678", 8, lab32));
  end();

  /* Refused by the shim without being sent. */
  len = 0;
  step("sign-no-length", f->C_Sign(h, (CK_BYTE_PTR) "abc", 3, sig, NULL));
  end();
  step("login-null-pin", f->C_Login(h, CKU_USER, NULL, 4));
  end();
  step("get-attributes-null", f->C_GetAttributeValue(h, 0x77, NULL, 2));
  end();
  CK_ATTRIBUTE badt[1] = { { CKA_LABEL, NULL, 3 } };
  step("create-null-value", f->C_CreateObject(h, badt, 1, &obj));
  end();
  CK_MECHANISM mnull = { CKM_SHA256_RSA_PKCS_PSS, NULL, sizeof pss };
  step("sign-init-null-param", f->C_SignInit(h, &mnull, 0x77));
  end();
  step("session-info-null", f->C_GetSessionInfo(h, NULL));
  end();

  /* Replies the shim must not believe: CKR_DEVICE_ERROR, the caller's buffers untouched. */
  unsigned char small[8];
  memset(small, 0xee, sizeof small);
  len = sizeof small;
  rv = f->C_Sign(h, (CK_BYTE_PTR) "abc", 3, small, &len);
  step("bad-overflow", rv);
  printf(",\"length\":%lu,\"buffer\":", len);
  hex(small, sizeof small);
  end();
  CK_ATTRIBUTE two[2] = { { CKA_LABEL, label, sizeof label }, { CKA_ID, id, sizeof id } };
  rv = f->C_GetAttributeValue(h, 0x77, two, 2);
  step("bad-count", rv);
  printf(",\"lengths\":[%lu,%lu]", two[0].ulValueLen, two[1].ulValueLen);
  end();
  memset(&si, 0, sizeof si);
  rv = f->C_GetSessionInfo(h, &si);
  step("bad-trailing", rv);
  printf(",\"slot\":%lu", si.slotID);
  end();
  rv = f->C_GetSessionInfo(h, &si);
  step("bad-call-id", rv);
  end();
  rv = f->C_GenerateRandom(h, rnd, sizeof rnd);
  step("bad-random-length", rv);
  end();
  rv = f->C_GetSessionInfo(h, &si);
  step("bad-oversized", rv);
  end();
  rv = f->C_GetSessionInfo(h, &si);
  step("after-bad", rv);
  printf(",\"slot\":%lu", si.slotID);
  end();

  /* A call the service does not implement. */
  step("not-supported", f->C_SeedRandom(h, (CK_BYTE_PTR) "seed", 4));
  end();

  step("finalize", f->C_Finalize(NULL));
  end();
  dlclose(so);
  return 0;
}
