/*
 * p11bench: C_Sign throughput and latency through any PKCS#11 module, from several threads, the
 * way ods-signer uses a module. Also the round trip of a trivial call (C_GetSessionInfo).
 *
 *   p11bench MODULE PIN LABEL SECONDS THREADS...
 *
 * Finds (or generates, RSA-2048) a private key labelled LABEL on the first token, then for each
 * THREADS value runs that many threads, each with its own session, signing SHA-256 DigestInfos
 * with CKM_RSA_PKCS for SECONDS. Prints one JSON object per line.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CK_PTR *
#define CK_DECLARE_FUNCTION(rv, name) rv name
#define CK_DECLARE_FUNCTION_POINTER(rv, name) rv (*name)
#define CK_CALLBACK_FUNCTION(rv, name) rv (*name)
#ifndef NULL_PTR
#define NULL_PTR NULL
#endif
#include "p11-kit/pkcs11.h"

static CK_FUNCTION_LIST_PTR p11;
static CK_SLOT_ID slot;
static CK_OBJECT_HANDLE key;
static double seconds;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, CK_RV rv) {
  fprintf(stderr, "p11bench: %s: CKR 0x%lx\n", what, (unsigned long)rv);
  exit(1);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

struct worker {
  pthread_t thread;
  double *lat;
  size_t n, cap;
  int trivial;
  CK_RV err;
};

static void *run(void *arg) {
  struct worker *w = arg;
  CK_SESSION_HANDLE s;
  CK_RV rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
  if (rv != CKR_OK) {
    w->err = rv;
    return NULL;
  }
  /* SHA-256 DigestInfo of a fixed digest: what OpenDNSSEC hands to CKM_RSA_PKCS. */
  static const unsigned char prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  unsigned char data[sizeof prefix + 32];
  memcpy(data, prefix, sizeof prefix);
  CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
  unsigned char sig[1024];
  double end = now() + seconds;
  for (unsigned i = 0; now() < end; i++) {
    memset(data + sizeof prefix, (int)(i & 0xff), 32);
    double t0 = now();
    if (w->trivial) {
      CK_SESSION_INFO info;
      rv = p11->C_GetSessionInfo(s, &info);
    } else {
      rv = p11->C_SignInit(s, &mech, key);
      CK_ULONG len = sizeof sig;
      if (rv == CKR_OK) rv = p11->C_Sign(s, data, sizeof data, sig, &len);
    }
    if (rv != CKR_OK) {
      w->err = rv;
      break;
    }
    if (w->n == w->cap) {
      w->cap = w->cap ? 2 * w->cap : 1024;
      w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
      if (!w->lat) abort();
    }
    w->lat[w->n++] = now() - t0;
  }
  p11->C_CloseSession(s);
  return NULL;
}

static void measure(int threads, int trivial) {
  struct worker *ws = calloc((size_t)threads, sizeof *ws);
  double t0 = now();
  for (int i = 0; i < threads; i++) {
    ws[i].trivial = trivial;
    pthread_create(&ws[i].thread, NULL, run, &ws[i]);
  }
  size_t total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(ws[i].thread, NULL);
    if (ws[i].err != CKR_OK) die(trivial ? "C_GetSessionInfo" : "C_Sign", ws[i].err);
    total += ws[i].n;
  }
  double elapsed = now() - t0;
  double *all = malloc((total ? total : 1) * sizeof *all);
  size_t k = 0;
  for (int i = 0; i < threads; i++) {
    memcpy(all + k, ws[i].lat, ws[i].n * sizeof *all);
    k += ws[i].n;
    free(ws[i].lat);
  }
  qsort(all, total, sizeof *all, cmp);
  double p50 = total ? all[total / 2] : 0, p99 = total ? all[(size_t)((double)total * 0.99)] : 0;
  printf("{\"op\":\"%s\",\"threads\":%d,\"count\":%zu,\"perSecond\":%.1f,\"p50Ms\":%.3f,\"p99Ms\":%.3f}\n",
         trivial ? "C_GetSessionInfo" : "C_Sign", threads, total, (double)total / elapsed, p50 * 1e3, p99 * 1e3);
  fflush(stdout);
  free(all);
  free(ws);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: p11bench MODULE PIN LABEL SECONDS THREADS...\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "p11bench: %s\n", dlerror());
    return 1;
  }
  CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
  if (!get || get(&p11) != CKR_OK) die("C_GetFunctionList", CKR_GENERAL_ERROR);
  CK_C_INITIALIZE_ARGS init = {NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL};
  CK_RV rv = p11->C_Initialize(&init);
  if (rv != CKR_OK) die("C_Initialize", rv);
  CK_SLOT_ID slots[16];
  CK_ULONG nslots = 16;
  rv = p11->C_GetSlotList(CK_TRUE, slots, &nslots);
  if (rv != CKR_OK || nslots == 0) die("C_GetSlotList", rv);
  slot = slots[0];
  CK_SESSION_HANDLE s;
  rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
  if (rv != CKR_OK) die("C_OpenSession", rv);
  rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[2], strlen(argv[2]));
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) die("C_Login", rv);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, argv[3], strlen(argv[3])}};
  CK_ULONG found = 0;
  rv = p11->C_FindObjectsInit(s, find, 2);
  if (rv == CKR_OK) rv = p11->C_FindObjects(s, &key, 1, &found);
  p11->C_FindObjectsFinal(s);
  if (rv != CKR_OK) die("C_FindObjects", rv);
  if (found == 0) {
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG bits = 2048;
    CK_BYTE e[] = {1, 0, 1};
    CK_KEY_TYPE kt = CKK_RSA;
    CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, 1}, {CKA_MODULUS_BITS, &bits, sizeof bits}, {CKA_PUBLIC_EXPONENT, e, 3},
                          {CKA_VERIFY, &yes, 1}, {CKA_LABEL, argv[3], strlen(argv[3])}, {CKA_KEY_TYPE, &kt, sizeof kt}};
    CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &yes, 1}, {CKA_SIGN, &yes, 1},
                           {CKA_SENSITIVE, &yes, 1}, {CKA_EXTRACTABLE, &no, 1}, {CKA_LABEL, argv[3], strlen(argv[3])},
                           {CKA_KEY_TYPE, &kt, sizeof kt}};
    CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE pubh;
    double t0 = now();
    rv = p11->C_GenerateKeyPair(s, &gen, pub, 6, priv, 7, &pubh, &key);
    if (rv != CKR_OK) die("C_GenerateKeyPair", rv);
    printf("{\"op\":\"C_GenerateKeyPair\",\"bits\":2048,\"seconds\":%.1f}\n", now() - t0);
  }
  seconds = atof(argv[4]);
  measure(1, 1);
  for (int i = 5; i < argc; i++) measure(atoi(argv[i]), 0);
  p11->C_Logout(s);
  p11->C_CloseSession(s);
  p11->C_Finalize(NULL);
  return 0;
}
