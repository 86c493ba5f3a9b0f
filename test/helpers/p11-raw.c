/*
 * p11-raw: the few PKCS#11 conformance checks that need the C calling convention itself, which
 * pkcs11js hides (it always asks for lengths first and sizes the buffers): length queries with a
 * NULL buffer, CKR_BUFFER_TOO_SMALL with the length written back, and ulValueLen set to
 * CK_UNAVAILABLE_INFORMATION. Built by test/helpers/p11-driver.ts with the system C compiler
 * against native/include/p11-kit/pkcs11.h (the header the shim compiles with), run as a separate
 * process so that a crashing module cannot take mocha down.
 *
 *   p11-raw MODULE slots
 *   p11-raw MODULE attributes TOKEN_LABEL PIN ID_HEX
 *   p11-raw MODULE sign       TOKEN_LABEL PIN ID_HEX MECHANISM DATA_HEX
 *   p11-raw MODULE signfinal  TOKEN_LABEL PIN ID_HEX MECHANISM DATA_HEX
 *
 * Prints one JSON object on stdout. Return values are numbers (the TypeScript side names them);
 * a length equal to CK_UNAVAILABLE_INFORMATION is printed as -1. Exit status 0 when every step
 * ran (whatever the return values), 2 on a setup failure (reported as {"setup": ...}).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11.h"

static CK_FUNCTION_LIST_PTR p11;

static void json_ulong(const char *key, CK_ULONG v, int comma)
{
	if (v == CK_UNAVAILABLE_INFORMATION)
		printf("\"%s\":-1%s", key, comma ? "," : "");
	else
		printf("\"%s\":%lu%s", key, (unsigned long)v, comma ? "," : "");
}

static void json_hex(const char *key, const CK_BYTE *p, CK_ULONG n, int comma)
{
	printf("\"%s\":\"", key);
	for (CK_ULONG i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\"%s", comma ? "," : "");
}

static void setup_failure(const char *what, CK_RV rv)
{
	printf("{\"setup\":\"%s\",\"rv\":%lu}\n", what, (unsigned long)rv);
	exit(2);
}

static size_t unhex(const char *s, CK_BYTE *out, size_t max)
{
	size_t n = strlen(s) / 2;
	if (n > max)
		setup_failure("hex argument too long", 0);
	for (size_t i = 0; i < n; i++) {
		unsigned int b;
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			setup_failure("bad hex argument", 0);
		out[i] = (CK_BYTE)b;
	}
	return n;
}

static CK_SLOT_ID slot_by_label(const char *label)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_RV rv = p11->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK)
		setup_failure("C_GetSlotList", rv);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		size_t len = sizeof ti.label;
		while (len > 0 && ti.label[len - 1] == ' ')
			len--;
		if (len == strlen(label) && memcmp(ti.label, label, len) == 0)
			return slots[i];
	}
	setup_failure("no token with that label", 0);
	return 0;
}

static CK_SESSION_HANDLE login(const char *label, const char *pin)
{
	CK_SESSION_HANDLE s;
	CK_RV rv = p11->C_OpenSession(slot_by_label(label), CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		setup_failure("C_OpenSession", rv);
	rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		setup_failure("C_Login", rv);
	return s;
}

static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *id_hex)
{
	CK_BYTE id[256];
	CK_ULONG id_len = unhex(id_hex, id, sizeof id);
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls },
		{ CKA_ID, id, id_len },
	};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	CK_RV rv = p11->C_FindObjectsInit(s, t, 2);
	if (rv != CKR_OK)
		setup_failure("C_FindObjectsInit", rv);
	rv = p11->C_FindObjects(s, h, 2, &n);
	if (rv != CKR_OK)
		setup_failure("C_FindObjects", rv);
	p11->C_FindObjectsFinal(s);
	if (n != 1)
		setup_failure("expected exactly one key with that CKA_ID and class", n);
	return h[0];
}

static int slots(void)
{
	CK_ULONG all = 0, present = 0, n;
	CK_RV rv;

	printf("{");
	rv = p11->C_GetSlotList(CK_FALSE, NULL, &all);
	printf("\"allQuery\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("count", all, 0);
	printf("},");

	rv = p11->C_GetSlotList(CK_TRUE, NULL, &present);
	printf("\"presentQuery\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("count", present, 0);
	printf("},");

	/* One entry short, with a real (non-NULL) buffer: CKR_BUFFER_TOO_SMALL and the count. */
	CK_SLOT_ID *buf = calloc(all + 1, sizeof *buf);
	n = all > 0 ? all - 1 : 0;
	rv = p11->C_GetSlotList(CK_FALSE, buf, &n);
	printf("\"tooSmall\":{\"rv\":%lu,\"given\":%lu,", (unsigned long)rv, all > 0 ? (unsigned long)all - 1 : 0UL);
	json_ulong("count", n, 0);
	printf("},");

	n = all;
	rv = p11->C_GetSlotList(CK_FALSE, buf, &n);
	printf("\"full\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("count", n, 1);
	printf("\"slots\":[");
	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++)
		printf("%s\"%lu\"", i ? "," : "", (unsigned long)buf[i]);
	printf("]}}\n");
	free(buf);
	return 0;
}

static int attributes(const char *label, const char *pin, const char *id_hex)
{
	CK_SESSION_HANDLE s = login(label, pin);
	CK_OBJECT_HANDLE pub = find_key(s, CKO_PUBLIC_KEY, id_hex);
	CK_OBJECT_HANDLE priv = find_key(s, CKO_PRIVATE_KEY, id_hex);
	CK_BYTE big[1024], small[4];
	CK_BBOOL sign = 0xAA;
	CK_RV rv;

	printf("{");
	/* Length query: pValue NULL. */
	CK_ATTRIBUTE q[] = { { CKA_MODULUS, NULL, 0 }, { CKA_PUBLIC_EXPONENT, NULL, 0 } };
	rv = p11->C_GetAttributeValue(s, pub, q, 2);
	printf("\"lengthQuery\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("modulus", q[0].ulValueLen, 1);
	json_ulong("publicExponent", q[1].ulValueLen, 0);
	printf("},");

	/* A buffer too small for the modulus. */
	CK_ATTRIBUTE ts[] = { { CKA_MODULUS, small, sizeof small } };
	rv = p11->C_GetAttributeValue(s, pub, ts, 1);
	printf("\"tooSmall\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("modulus", ts[0].ulValueLen, 0);
	printf("},");

	/* The real read, with the length from the query. */
	CK_ATTRIBUTE rd[] = { { CKA_MODULUS, big, q[0].ulValueLen <= sizeof big ? q[0].ulValueLen : sizeof big } };
	rv = p11->C_GetAttributeValue(s, pub, rd, 1);
	printf("\"read\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("length", rd[0].ulValueLen, 1);
	json_hex("modulus", big, rv == CKR_OK ? rd[0].ulValueLen : 0, 0);
	printf("},");

	/* A sensitive attribute, asked for with a buffer and with a length query. */
	CK_ATTRIBUTE se[] = { { CKA_PRIVATE_EXPONENT, big, sizeof big } };
	rv = p11->C_GetAttributeValue(s, priv, se, 1);
	printf("\"sensitive\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("length", se[0].ulValueLen, 0);
	printf("},");
	CK_ATTRIBUTE sq[] = { { CKA_PRIVATE_EXPONENT, NULL, 0 } };
	rv = p11->C_GetAttributeValue(s, priv, sq, 1);
	printf("\"sensitiveQuery\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("length", sq[0].ulValueLen, 0);
	printf("},");

	/* An attribute type no specification defines (below the vendor range). */
	CK_ATTRIBUTE un[] = { { 0x00000999UL, big, sizeof big } };
	rv = p11->C_GetAttributeValue(s, pub, un, 1);
	printf("\"unknownType\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("length", un[0].ulValueLen, 0);
	printf("},");

	/* Mixed: every attribute is processed; the good ones are returned beside the sensitive one. */
	CK_ATTRIBUTE mx[] = {
		{ CKA_MODULUS, big, sizeof big },
		{ CKA_PRIVATE_EXPONENT, small, sizeof small },
		{ CKA_SIGN, &sign, sizeof sign },
	};
	rv = p11->C_GetAttributeValue(s, priv, mx, 3);
	printf("\"mixed\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("modulus", mx[0].ulValueLen, 1);
	json_ulong("privateExponent", mx[1].ulValueLen, 1);
	json_ulong("signLength", mx[2].ulValueLen, 1);
	printf("\"sign\":%u}}\n", (unsigned)sign);
	return 0;
}

static int sign(const char *label, const char *pin, const char *id_hex, const char *mech_s, const char *data_hex,
	int multipart)
{
	CK_SESSION_HANDLE s = login(label, pin);
	CK_OBJECT_HANDLE priv = find_key(s, CKO_PRIVATE_KEY, id_hex);
	CK_MECHANISM mech = { strtoul(mech_s, NULL, 0), NULL, 0 };
	static CK_BYTE data[65536], sig[4096];
	CK_ULONG data_len = unhex(data_hex, data, sizeof data), len = 0, first;
	CK_RV rv;

	rv = p11->C_SignInit(s, &mech, priv);
	if (rv != CKR_OK)
		setup_failure("C_SignInit", rv);
	if (multipart) {
		rv = p11->C_SignUpdate(s, data, data_len);
		if (rv != CKR_OK)
			setup_failure("C_SignUpdate", rv);
	}
#define SIGN(buf, plen) (multipart ? p11->C_SignFinal(s, (buf), (plen)) : p11->C_Sign(s, data, data_len, (buf), (plen)))
	printf("{");
	rv = SIGN(NULL, &len);
	printf("\"lengthQuery\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("length", len, 0);
	printf("},");
	first = len;

	len = first > 0 ? first - 1 : 0;
	rv = SIGN(sig, &len);
	printf("\"tooSmall\":{\"rv\":%lu,\"given\":%lu,", (unsigned long)rv, first > 0 ? (unsigned long)first - 1 : 0UL);
	json_ulong("length", len, 0);
	printf("},");

	len = sizeof sig;
	rv = SIGN(sig, &len);
	printf("\"sign\":{\"rv\":%lu,", (unsigned long)rv);
	json_ulong("length", len, 1);
	json_hex("signature", sig, rv == CKR_OK ? len : 0, 0);
	printf("},");

	/* The operation is over after a successful call. */
	len = sizeof sig;
	rv = SIGN(sig, &len);
	printf("\"after\":{\"rv\":%lu}}\n", (unsigned long)rv);
#undef SIGN
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: p11-raw MODULE slots|attributes|sign|signfinal ...\n");
		return 64;
	}
	void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		printf("{\"setup\":\"dlopen\",\"error\":\"%s\"}\n", "cannot load module");
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
	if (!gfl)
		setup_failure("no C_GetFunctionList", 0);
	CK_RV rv = gfl(&p11);
	if (rv != CKR_OK)
		setup_failure("C_GetFunctionList", rv);
	rv = p11->C_Initialize(NULL);
	if (rv != CKR_OK)
		setup_failure("C_Initialize", rv);

	const char *cmd = argv[2];
	int status = 64;
	if (strcmp(cmd, "slots") == 0)
		status = slots();
	else if (strcmp(cmd, "attributes") == 0 && argc == 6)
		status = attributes(argv[3], argv[4], argv[5]);
	else if (strcmp(cmd, "sign") == 0 && argc == 8)
		status = sign(argv[3], argv[4], argv[5], argv[6], argv[7], 0);
	else if (strcmp(cmd, "signfinal") == 0 && argc == 8)
		status = sign(argv[3], argv[4], argv[5], argv[6], argv[7], 1);
	else
		fprintf(stderr, "p11-raw: bad command or arguments\n");

	p11->C_Finalize(NULL);
	/* No dlclose: some modules keep threads or atexit handlers that outlive C_Finalize. */
	return status;
}
