/*
 * Exercises libkofn-pkcs11.so the way an unchanged application does: dlopen by path,
 * C_GetFunctionList/C_GetInterface, C_Initialize. Built and run by test/integration/shim-*.test.ts
 * and scripts/sanitize-shim.sh.
 *
 *   shim-stress SO init-checks
 *       C_Initialize/C_Finalize argument rules with exact CKRs, calls before C_Initialize, the
 *       interfaces and function lists. Needs no service (KOFN_SOCKET may point nowhere).
 *   shim-stress SO stress THREADS ITERATIONS FORKS
 *       THREADS threads each run ITERATIONS x C_OpenSession / C_GetSessionInfo / C_GenerateRandom /
 *       C_CloseSession against the service at KOFN_SOCKET, while the main thread forks FORKS children
 *       that must see CKR_CRYPTOKI_NOT_INITIALIZED until their own C_Initialize, then work; then
 *       one child made by the raw fork system call (no atfork handlers: the pid check's case).
 *
 * Prints one line per failed check and a summary; exit status 0 when everything held.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11_3.h"

static CK_FUNCTION_LIST_PTR f;
static atomic_int failures;

#define CHECK_RV(what, got, want)                                                                              \
  do {                                                                                                         \
    CK_RV got_ = (got), want_ = (want);                                                                        \
    if (got_ != want_) {                                                                                       \
      fprintf(stderr, "FAIL %s: rv 0x%lx, expected 0x%lx (%s:%d)\n", what, got_, want_, __FILE__, __LINE__);   \
      atomic_fetch_add(&failures, 1);                                                                          \
    }                                                                                                          \
  } while (0)

#define CHECK(what, cond)                                                                                      \
  do {                                                                                                         \
    if (!(cond)) {                                                                                             \
      fprintf(stderr, "FAIL %s (%s:%d)\n", what, __FILE__, __LINE__);                                         \
      atomic_fetch_add(&failures, 1);                                                                          \
    }                                                                                                          \
  } while (0)

static CK_RV mutex_create(void **m)
{
  *m = NULL;
  return CKR_OK;
}

static CK_RV mutex_other(void *m)
{
  (void)m;
  return CKR_OK;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every slot of a function list holds a function. */
static int all_slots_filled(const void *list, size_t size)
{
  size_t n = (size - offsetof(CK_FUNCTION_LIST, C_Initialize)) / sizeof(void (*)(void));
  const unsigned char *p = (const unsigned char *)list + offsetof(CK_FUNCTION_LIST, C_Initialize);
  for (size_t i = 0; i < n; i++) {
    void (*fn)(void);
    memcpy(&fn, p + i * sizeof fn, sizeof fn);
    if (fn == NULL)
      return 0;
  }
  return 1;
}

static int init_checks(void *so)
{
  CK_INFO info;
  CK_ULONG n = 0;
  CK_SESSION_HANDLE h = 0;

  /* Before C_Initialize every forwarded call is refused, whatever its arguments. */
  CHECK_RV("C_GetInfo before C_Initialize", f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV("C_GetSlotList before C_Initialize", f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV("C_OpenSession before C_Initialize", f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h),
           CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV("C_GetInfo(NULL) before C_Initialize", f->C_GetInfo(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV("C_Finalize before C_Initialize", f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);

  /* C_Initialize arguments (PKCS#11 2.40 §5.4). */
  CK_C_INITIALIZE_ARGS a;
  memset(&a, 0, sizeof a);
  a.pReserved = &a;
  CHECK_RV("C_Initialize with pReserved", f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
  for (int mask = 1; mask < 15; mask++) {
    memset(&a, 0, sizeof a);
    a.flags = CKF_OS_LOCKING_OK;
    if (mask & 1)
      a.CreateMutex = mutex_create;
    if (mask & 2)
      a.DestroyMutex = mutex_other;
    if (mask & 4)
      a.LockMutex = mutex_other;
    if (mask & 8)
      a.UnlockMutex = mutex_other;
    char what[64];
    snprintf(what, sizeof what, "C_Initialize with mutex callbacks %x of f", mask);
    CHECK_RV(what, f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
  }
  memset(&a, 0, sizeof a);
  a.CreateMutex = mutex_create;
  a.DestroyMutex = mutex_other;
  a.LockMutex = mutex_other;
  a.UnlockMutex = mutex_other;
  CHECK_RV("C_Initialize with callbacks and no CKF_OS_LOCKING_OK", f->C_Initialize(&a), CKR_CANT_LOCK);
  CHECK_RV("C_GetInfo after a refused C_Initialize", f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
  a.flags = CKF_OS_LOCKING_OK;
  CHECK_RV("C_Initialize with callbacks and CKF_OS_LOCKING_OK", f->C_Initialize(&a), CKR_OK);
  CHECK_RV("C_Finalize", f->C_Finalize(NULL), CKR_OK);
  memset(&a, 0, sizeof a);
  a.flags = CKF_OS_LOCKING_OK;
  CHECK_RV("C_Initialize with CKF_OS_LOCKING_OK only", f->C_Initialize(&a), CKR_OK);
  CHECK_RV("C_Initialize twice", f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  CHECK_RV("C_Finalize with pReserved", f->C_Finalize(&a), CKR_ARGUMENTS_BAD);
  CHECK_RV("C_Finalize", f->C_Finalize(NULL), CKR_OK);
  CHECK_RV("C_Finalize twice", f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  CHECK_RV("C_Initialize(NULL) after C_Finalize", f->C_Initialize(NULL), CKR_OK);
  CHECK_RV("C_GetInfo(NULL)", f->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV("C_GetSlotList without a count", f->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD);
  CHECK_RV("C_Finalize", f->C_Finalize(NULL), CKR_OK);

  /* The interfaces: "PKCS 11" 3.0 first, then 2.40. */
  CK_C_GetInterfaceList gil = (CK_C_GetInterfaceList)(uintptr_t)dlsym(so, "C_GetInterfaceList");
  CK_C_GetInterface gi = (CK_C_GetInterface)(uintptr_t)dlsym(so, "C_GetInterface");
  CHECK("C_GetInterfaceList exported", gil != NULL);
  CHECK("C_GetInterface exported", gi != NULL);
  if (gil == NULL || gi == NULL)
    return 1;
  CK_INTERFACE list[4];
  CK_ULONG count = 0;
  CHECK_RV("C_GetInterfaceList count", gil(NULL, &count), CKR_OK);
  CHECK("two interfaces", count == 2);
  count = 1;
  CHECK_RV("C_GetInterfaceList too small", gil(list, &count), CKR_BUFFER_TOO_SMALL);
  CHECK("C_GetInterfaceList too small sets the count", count == 2);
  count = 4;
  CHECK_RV("C_GetInterfaceList", gil(list, &count), CKR_OK);
  CHECK_RV("C_GetInterfaceList without a count", gil(list, NULL), CKR_ARGUMENTS_BAD);
  CK_FUNCTION_LIST_3_0_PTR l3 = NULL;
  CK_FUNCTION_LIST_PTR l2 = NULL;
  for (CK_ULONG i = 0; i < count && i < 4; i++) {
    CHECK("interface name", strcmp((const char *)list[i].pInterfaceName, "PKCS 11") == 0);
    const CK_VERSION *v = list[i].pFunctionList;
    if (v->major == 3 && v->minor == 0)
      l3 = list[i].pFunctionList;
    if (v->major == 2 && v->minor == 40)
      l2 = list[i].pFunctionList;
  }
  CHECK("a 3.0 and a 2.40 interface", l3 != NULL && l2 != NULL);
  CHECK("every 3.0 slot filled", l3 && all_slots_filled(l3, sizeof *l3));
  CHECK("every 2.40 slot filled", l2 && all_slots_filled(l2, sizeof *l2));
  CHECK("C_GetFunctionList gives the 2.40 list", l2 == f);

  CK_INTERFACE_PTR ip = NULL;
  CHECK_RV("C_GetInterface(NULL, NULL)", gi(NULL, NULL, &ip, 0), CKR_OK);
  CHECK("the default interface is 3.0", ip && ip->pFunctionList == (void *)l3);
  CK_VERSION v240 = { 2, 40 }, v30 = { 3, 0 }, v31 = { 3, 1 };
  CHECK_RV("C_GetInterface(PKCS 11, 2.40)", gi((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &ip, 0), CKR_OK);
  CHECK("PKCS 11 2.40 is the 2.40 list", ip && ip->pFunctionList == (void *)l2);
  CHECK_RV("C_GetInterface(PKCS 11, 3.0)", gi((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &ip, 0), CKR_OK);
  CHECK("PKCS 11 3.0 is the 3.0 list", ip && ip->pFunctionList == (void *)l3);
  CHECK_RV("C_GetInterface(PKCS 11, NULL)", gi((CK_UTF8CHAR_PTR) "PKCS 11", NULL, &ip, 0), CKR_OK);
  CHECK_RV("C_GetInterface(PKCS 11, 3.1)", gi((CK_UTF8CHAR_PTR) "PKCS 11", &v31, &ip, 0), CKR_ARGUMENTS_BAD);
  CHECK_RV("C_GetInterface(Vendor)", gi((CK_UTF8CHAR_PTR) "Vendor", NULL, &ip, 0), CKR_ARGUMENTS_BAD);
  CHECK_RV("C_GetInterface(fork safe)", gi(NULL, NULL, &ip, CKF_INTERFACE_FORK_SAFE), CKR_ARGUMENTS_BAD);
  CHECK_RV("C_GetInterface without a result pointer", gi(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
  CHECK_RV("C_GetFunctionList(NULL)", f->C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);

  /* The 3.0 list drives the same library. */
  if (l3) {
    CHECK_RV("3.0 C_GetInfo before C_Initialize", l3->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    CHECK_RV("3.0 C_Initialize", l3->C_Initialize(NULL), CKR_OK);
    CHECK_RV("2.40 C_Initialize after 3.0", f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    CHECK_RV("3.0 C_Finalize", l3->C_Finalize(NULL), CKR_OK);
  }
  return 0;
}

/* ---- stress --------------------------------------------------------------------------------- */

static CK_SLOT_ID g_slot;
static int g_iterations;
static atomic_long g_calls;

static void session_round(const char *who)
{
  CK_SESSION_HANDLE h = 0;
  CK_RV rv = f->C_OpenSession(g_slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
  CHECK_RV(who, rv, CKR_OK);
  if (rv != CKR_OK)
    return;
  CK_SESSION_INFO si;
  memset(&si, 0xa5, sizeof si);
  CHECK_RV(who, f->C_GetSessionInfo(h, &si), CKR_OK);
  CHECK("session info names the slot", si.slotID == g_slot);
  CHECK("a read-only public session", si.state == CKS_RO_PUBLIC_SESSION);
  unsigned char r1[32], r2[32];
  memset(r1, 0, sizeof r1);
  memset(r2, 0, sizeof r2);
  CHECK_RV(who, f->C_GenerateRandom(h, r1, sizeof r1), CKR_OK);
  CHECK_RV(who, f->C_GenerateRandom(h, r2, sizeof r2), CKR_OK);
  CHECK("two random draws differ", memcmp(r1, r2, sizeof r1) != 0);
  CHECK_RV(who, f->C_CloseSession(h), CKR_OK);
  CHECK_RV("C_GetSessionInfo after C_CloseSession", f->C_GetSessionInfo(h, &si), CKR_SESSION_HANDLE_INVALID);
  atomic_fetch_add(&g_calls, 6);
}

static void *worker(void *arg)
{
  (void)arg;
  for (int i = 0; i < g_iterations; i++)
    session_round("worker");
  return NULL;
}

static int find_slot(void)
{
  CK_SLOT_ID slots[8];
  CK_ULONG n = 8;
  CK_RV rv = f->C_GetSlotList(CK_TRUE, slots, &n);
  CHECK_RV("C_GetSlotList(tokenPresent)", rv, CKR_OK);
  if (rv != CKR_OK || n == 0) {
    fprintf(stderr, "FAIL no slot with a token (is the service at KOFN_SOCKET running?)\n");
    return -1;
  }
  g_slot = slots[0];
  return 0;
}

/* In a forked child: uninitialised until its own C_Initialize, then a working library. */
static int child(void)
{
  CK_INFO info;
  CK_SESSION_HANDLE h = 0;
  CK_ULONG n = 0;
  int bad = 0;
  if (f->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED)
    bad |= 1;
  if (f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_CRYPTOKI_NOT_INITIALIZED)
    bad |= 2;
  if (f->C_OpenSession(g_slot, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_CRYPTOKI_NOT_INITIALIZED)
    bad |= 4;
  if (f->C_Finalize(NULL) != CKR_CRYPTOKI_NOT_INITIALIZED)
    bad |= 8;
  if (f->C_Initialize(NULL) != CKR_OK)
    bad |= 16;
  if (f->C_Initialize(NULL) != CKR_CRYPTOKI_ALREADY_INITIALIZED)
    bad |= 32;
  int before = atomic_load(&failures);
  for (int i = 0; i < 5; i++)
    session_round("child");
  if (atomic_load(&failures) != before)
    bad |= 64;
  if (f->C_Finalize(NULL) != CKR_OK)
    bad |= 128;
  return bad;
}

static int stress(int threads, int forks)
{
  CHECK_RV("C_Initialize", f->C_Initialize(NULL), CKR_OK);
  if (find_slot() != 0)
    return 1;
  pthread_t *t = calloc((size_t)threads, sizeof *t);
  if (t == NULL)
    return 1;
  double t0 = now_s();
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
      fprintf(stderr, "FAIL pthread_create\n");
      return 1;
    }
  /* Fork while the workers have calls in flight: the child must not disturb their connections. */
  for (int k = 0; k < forks; k++) {
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "FAIL fork\n");
      atomic_fetch_add(&failures, 1);
      continue;
    }
    if (pid == 0)
      _exit(child());
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
      ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      fprintf(stderr, "FAIL forked child: status 0x%x\n", st);
      atomic_fetch_add(&failures, 1);
    }
  }
  for (int i = 0; i < threads; i++)
    pthread_join(t[i], NULL);
  double dt = now_s() - t0;
  free(t);
  /* The parent's library is intact after the forks. */
  session_round("parent after forks");
#ifndef __SANITIZE_THREAD__
  /* A child made by the raw system call runs no atfork handler: the shim's pid check must see it.
     (Only with no other thread running; ThreadSanitizer does not follow a raw fork.) */
  pid_t raw = (pid_t)syscall(SYS_fork);
  if (raw == 0)
    _exit(child());
  if (raw < 0) {
    fprintf(stderr, "FAIL raw fork\n");
    atomic_fetch_add(&failures, 1);
  } else {
    int st = 0;
    while (waitpid(raw, &st, 0) < 0)
      ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      fprintf(stderr, "FAIL child of a raw fork: status 0x%x\n", st);
      atomic_fetch_add(&failures, 1);
    }
  }
  session_round("parent after a raw fork");
#endif
  CHECK_RV("C_Finalize", f->C_Finalize(NULL), CKR_OK);
  long calls = atomic_load(&g_calls);
  printf("stress: %d threads x %d rounds, %d forks: %ld calls in %.2f s (%.0f calls/s)\n", threads, g_iterations,
         forks, calls, dt, dt > 0 ? (double)calls / dt : 0.0);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s SO init-checks | SO stress THREADS ITERATIONS FORKS\n", argv[0]);
    return 2;
  }
  void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (so == NULL) {
    fprintf(stderr, "FAIL dlopen: %s\n", dlerror());
    return 1;
  }
  CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)(uintptr_t)dlsym(so, "C_GetFunctionList");
  if (gfl == NULL || gfl(&f) != CKR_OK || f == NULL) {
    fprintf(stderr, "FAIL C_GetFunctionList\n");
    return 1;
  }
  int rc;
  if (strcmp(argv[2], "init-checks") == 0) {
    rc = init_checks(so);
  } else if (strcmp(argv[2], "stress") == 0 && argc == 6) {
    g_iterations = atoi(argv[4]);
    rc = stress(atoi(argv[3]), atoi(argv[5]));
  } else {
    fprintf(stderr, "unknown mode\n");
    return 2;
  }
  int fails = atomic_load(&failures);
  printf("%s: %d failed checks\n", argv[2], fails);
  dlclose(so);
  return rc != 0 || fails != 0;
}
