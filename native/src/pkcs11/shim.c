/*
 * libkofn-pkcs11.so: a PKCS#11 module that forwards every call to the kofn token service over a
 * Unix socket (docs/protocol.md). This file holds the library state: C_Initialize/C_Finalize, the
 * connection pool, fork handling, the service epoch, the generic forwarder and the answers the
 * shim gives itself while the service is unreachable. The per-function stubs and the function
 * lists are generated (calls.gen.c); the marshaller is marshal.c, the socket side transport.c.
 *
 * Locking: one mutex (g_lock) guards the state below, held only for short bookkeeping, never
 * across I/O; a call in flight owns its connection exclusively.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"

#define KOFN_EXPORT __attribute__((visibility("default")))
/* Idle connections kept for reuse; more are closed when their call ends. */
#define KOFN_MAX_IDLE 32

typedef struct kofn_conn {
  int fd;
  uint64_t epoch;     /* the service epoch its handshake reported */
  unsigned long gen;  /* the library generation it belongs to */
  int busy;           /* a call owns it */
  struct kofn_conn *prev, *next;
} kofn_conn;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
/* Everything below is guarded by g_lock. */
static int g_initialized;
/* Bumped by C_Initialize, C_Finalize and in a forked child: connections of another generation are
   never reused, and calls that began in another generation end with CKR_CRYPTOKI_NOT_INITIALIZED. */
static unsigned long g_gen;
static pid_t g_pid;                /* the process that called C_Initialize */
static uint64_t g_instance;        /* handshake instance: this application, this C_Initialize */
static char g_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int g_timeout_ms;
static int g_slow_timeout_ms;
static int g_epoch_set;            /* the application's epoch is known ... */
static uint64_t g_epoch;           /* ... and is this one */
static kofn_conn *g_conns;         /* every open connection, idle and busy (fork closes them all) */
static unsigned g_idle;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_atfork_rc;

/* ---- connections ---------------------------------------------------------------------------- */

static void unlink_conn(kofn_conn *c)
{
  if (c->prev)
    c->prev->next = c->next;
  else
    g_conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

static void push_front(kofn_conn *c)
{
  c->prev = NULL;
  c->next = g_conns;
  if (g_conns)
    g_conns->prev = c;
  g_conns = c;
}

/* With g_lock held. close() only: the socket is never shut down, so a process sharing it after a
   fork keeps its connection. */
static void drop_locked(kofn_conn *c)
{
  if (!c->busy)
    g_idle--;
  unlink_conn(c);
  close(c->fd);
  free(c);
}

/* With g_lock held: forget every connection without a byte written (forked child). */
static void child_reset_locked(void)
{
  kofn_conn *c = g_conns;
  while (c) {
    kofn_conn *next = c->next;
    close(c->fd);
    free(c);
    c = next;
  }
  g_conns = NULL;
  g_idle = 0;
  g_initialized = 0;
  g_epoch_set = 0;
  g_pid = 0;
  g_gen++;
}

static void atfork_prepare(void)
{
  pthread_mutex_lock(&g_lock);
}

static void atfork_parent(void)
{
  pthread_mutex_unlock(&g_lock);
}

static void atfork_child(void)
{
  child_reset_locked();
  pthread_mutex_unlock(&g_lock);
}

static void register_atfork(void)
{
  g_atfork_rc = pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* With g_lock held: a process that forked without running the atfork handlers is a child too. */
static void check_pid_locked(pid_t pid)
{
  if (g_initialized && g_pid != pid)
    child_reset_locked();
}

typedef struct snapshot {
  unsigned long gen;
  uint64_t instance;
  int timeout_ms;
  int slow_timeout_ms;
  char path[sizeof g_socket];
} snapshot;

/* Takes g_lock when the module is initialised (in this process); else returns without it. */
static CK_RV lock_initialized(void)
{
  pid_t pid = getpid();
  pthread_mutex_lock(&g_lock);
  check_pid_locked(pid);
  if (!g_initialized) {
    pthread_mutex_unlock(&g_lock);
    return CKR_CRYPTOKI_NOT_INITIALIZED;
  }
  return CKR_OK;
}

static CK_RV begin_call(snapshot *s)
{
  CK_RV rv = lock_initialized();
  if (rv != CKR_OK)
    return rv;
  s->gen = g_gen;
  s->instance = g_instance;
  s->timeout_ms = g_timeout_ms;
  s->slow_timeout_ms = g_slow_timeout_ms;
  memcpy(s->path, g_socket, sizeof s->path);
  pthread_mutex_unlock(&g_lock);
  return CKR_OK;
}

/* Hands back a connection: kept idle when healthy and current, otherwise closed. */
static void release(kofn_conn *c, int healthy)
{
  pthread_mutex_lock(&g_lock);
  if (healthy && g_initialized && c->gen == g_gen && g_epoch_set && c->epoch == g_epoch && g_idle < KOFN_MAX_IDLE) {
    unlink_conn(c);
    push_front(c);
    c->busy = 0;
    g_idle++;
  } else {
    drop_locked(c);
  }
  pthread_mutex_unlock(&g_lock);
}

/* An idle connection of this generation and of the application's epoch that still looks alive. */
static kofn_conn *take_pooled(const snapshot *s)
{
  for (;;) {
    kofn_conn *found = NULL;
    pthread_mutex_lock(&g_lock);
    kofn_conn *c = g_conns;
    while (c && !found) {
      kofn_conn *next = c->next;
      if (!c->busy) {
        if (c->gen != g_gen || (g_epoch_set && c->epoch != g_epoch))
          drop_locked(c); /* from before C_Finalize or from a service run the application left */
        else if (c->gen == s->gen)
          found = c;
      }
      c = next;
    }
    if (found) {
      found->busy = 1;
      g_idle--;
    }
    pthread_mutex_unlock(&g_lock);
    if (!found)
      return NULL;
    if (kofn_io_idle_ok(found->fd))
      return found;
    release(found, 0); /* dead (the service went away) or desynced: never reused */
  }
}

/* Registers a fresh connection as busy; NULL (fd closed) when the library was finalised meanwhile. */
static kofn_conn *register_conn(int fd, uint64_t epoch, const snapshot *s, CK_RV *rv)
{
  kofn_conn *c = calloc(1, sizeof *c);
  if (c == NULL) {
    close(fd);
    *rv = CKR_HOST_MEMORY;
    return NULL;
  }
  c->fd = fd;
  c->epoch = epoch;
  c->gen = s->gen;
  c->busy = 1;
  pthread_mutex_lock(&g_lock);
  if (!g_initialized || g_gen != s->gen) {
    pthread_mutex_unlock(&g_lock);
    close(fd);
    free(c);
    *rv = CKR_CRYPTOKI_NOT_INITIALIZED;
    return NULL;
  }
  push_front(c);
  pthread_mutex_unlock(&g_lock);
  return c;
}

/* ---- epochs --------------------------------------------------------------------------------- */

enum { EPOCH_SEND, EPOCH_STALE, EPOCH_GONE };

/*
 * docs/protocol.md, "Epochs": the first handshake after C_Initialize sets the application's epoch.
 * A connection from another epoch means the service restarted: session-bound calls are stale
 * (CKR_SESSION_HANDLE_INVALID, not sent); session-less calls move the application to the new epoch.
 */
static int epoch_for(const kofn_call *call, const kofn_conn *c, const snapshot *s, uint64_t *epoch)
{
  int out = EPOCH_SEND;
  pthread_mutex_lock(&g_lock);
  if (!g_initialized || g_gen != s->gen) {
    out = EPOCH_GONE;
  } else if (!g_epoch_set) {
    g_epoch_set = 1;
    g_epoch = c->epoch;
  } else if (c->epoch != g_epoch) {
    if (call->session)
      out = EPOCH_STALE;
    else
      g_epoch = c->epoch;
  }
  *epoch = g_epoch;
  pthread_mutex_unlock(&g_lock);
  return out;
}

/* ---- the service is unreachable ------------------------------------------------------------- */

static void pad(unsigned char *dst, size_t n, const char *s)
{
  size_t l = strlen(s);
  memset(dst, ' ', n);
  memcpy(dst, s, l < n ? l : n);
}

static CK_RV down_answer(const kofn_call *call, kofn_arg *a)
{
  switch (call->down) {
  case KOFN_DOWN_INFO: {
    CK_INFO *i = a[0].ptr; /* checked non-NULL by the encoder */
    memset(i, 0, sizeof *i);
    i->cryptokiVersion.major = CRYPTOKI_VERSION_MAJOR;
    i->cryptokiVersion.minor = CRYPTOKI_VERSION_MINOR;
    pad(i->manufacturerID, sizeof i->manufacturerID, "kofn");
    pad(i->libraryDescription, sizeof i->libraryDescription, "kofn PKCS#11 shim");
    i->libraryVersion.major = 0;
    i->libraryVersion.minor = 1;
    return CKR_OK;
  }
  case KOFN_DOWN_SLOT_LIST: {
    CK_ULONG n = a[0].ul ? 0 : 1; /* tokenPresent: no slot has one */
    CK_ULONG have = *a[1].pul;
    *a[1].pul = n;
    if (a[1].ptr == NULL)
      return CKR_OK;
    if (have < n)
      return CKR_BUFFER_TOO_SMALL;
    if (n)
      ((CK_SLOT_ID *)a[1].ptr)[0] = 0;
    return CKR_OK;
  }
  case KOFN_DOWN_SLOT_INFO: {
    if (a[0].ul != 0)
      return CKR_SLOT_ID_INVALID;
    CK_SLOT_INFO *i = a[1].ptr;
    memset(i, 0, sizeof *i);
    pad(i->slotDescription, sizeof i->slotDescription, "kofn token service (not reachable)");
    pad(i->manufacturerID, sizeof i->manufacturerID, "kofn");
    i->flags = CKF_REMOVABLE_DEVICE; /* and no CKF_TOKEN_PRESENT */
    return CKR_OK;
  }
  case KOFN_DOWN_TOKEN:
    return a[0].ul != 0 ? CKR_SLOT_ID_INVALID : CKR_TOKEN_NOT_PRESENT;
  case KOFN_DOWN_SESSION:
    return CKR_SESSION_HANDLE_INVALID;
  case KOFN_DOWN_NONE:
    break;
  }
  return CKR_FUNCTION_NOT_SUPPORTED;
}

/* ---- the forwarder -------------------------------------------------------------------------- */

static CK_RV io_rv(kofn_io io)
{
  switch (io) {
  case KOFN_IO_OK:
    return CKR_OK;
  case KOFN_IO_NOMEM:
    return CKR_HOST_MEMORY;
  case KOFN_IO_CLOSED:
  case KOFN_IO_ERROR:
    return CKR_DEVICE_REMOVED;
  case KOFN_IO_UNREACHABLE:
  case KOFN_IO_TIMEOUT:
  case KOFN_IO_PROTOCOL:
    break;
  }
  return CKR_DEVICE_ERROR;
}

CK_RV kofn_forward(const kofn_call *call, kofn_arg *args)
{
  snapshot s;
  CK_RV rv = begin_call(&s);
  if (rv != CKR_OK)
    return rv;
  kofn_buf req = { 0 };
  rv = kofn_encode_request(&req, call, args);
  if (rv != CKR_OK)
    goto out;

  int64_t deadline = kofn_now_ms() + (call->slow ? s.slow_timeout_ms : s.timeout_ms);
  for (int attempt = 0;; attempt++) {
    kofn_conn *c = attempt == 0 ? take_pooled(&s) : NULL;
    int pooled = c != NULL;
    if (c == NULL) {
      int fd = -1;
      uint64_t epoch = 0;
      kofn_io io = kofn_io_connect(s.path, deadline, s.instance, &fd, &epoch);
      if (io == KOFN_IO_UNREACHABLE) {
        rv = down_answer(call, args);
        goto out;
      }
      if (io != KOFN_IO_OK) {
        rv = io == KOFN_IO_NOMEM ? CKR_HOST_MEMORY : CKR_DEVICE_ERROR;
        goto out;
      }
      c = register_conn(fd, epoch, &s, &rv);
      if (c == NULL)
        goto out;
    }

    uint64_t epoch;
    switch (epoch_for(call, c, &s, &epoch)) {
    case EPOCH_STALE:
      release(c, 1);
      rv = CKR_SESSION_HANDLE_INVALID;
      goto out;
    case EPOCH_GONE:
      release(c, 0);
      rv = CKR_CRYPTOKI_NOT_INITIALIZED;
      goto out;
    default:
      break;
    }
    kofn_set_epoch(&req, epoch);

    size_t sent = 0, got = 0, len = 0;
    uint8_t *reply = NULL;
    kofn_io io = kofn_io_send(c->fd, req.p, req.len, deadline, &sent);
    if (io == KOFN_IO_OK)
      io = kofn_io_recv_frame(c->fd, deadline, &reply, &len, &got);
    if (io != KOFN_IO_OK) {
      release(c, 0);
      /* Once on a fresh connection: when nothing of the request left, or for an idempotent call
         when the pooled connection died before any reply byte. */
      int gone = io == KOFN_IO_CLOSED || io == KOFN_IO_ERROR;
      if (attempt == 0 && pooled && gone && (sent == 0 || (call->retry == KOFN_IDEMPOTENT && got == 0)))
        continue;
      rv = io_rv(io);
      goto out;
    }
    if (kofn_decode_reply(reply, len, call, args, &rv) != 0) {
      release(c, 0);
      rv = CKR_DEVICE_ERROR;
    } else {
      release(c, 1);
    }
    free(reply);
    goto out;
  }
out:
  kofn_buf_free(&req);
  return rv;
}

/* ---- local calls ---------------------------------------------------------------------------- */

/* A positive number of milliseconds from the environment (secure_getenv: not for set-uid programs). */
static int env_ms(const char *name, int fallback)
{
  const char *t = secure_getenv(name);
  if (t == NULL || *t == '\0')
    return fallback;
  char *end;
  errno = 0;
  long v = strtol(t, &end, 10);
  return errno == 0 && *end == '\0' && v > 0 && v <= INT_MAX ? (int)v : fallback;
}

CK_RV kofn_C_Initialize(CK_VOID_PTR pInitArgs)
{
  if (pInitArgs != NULL) {
    const CK_C_INITIALIZE_ARGS *a = pInitArgs;
    if (a->pReserved != NULL)
      return CKR_ARGUMENTS_BAD;
    int given = (a->CreateMutex != NULL) + (a->DestroyMutex != NULL) + (a->LockMutex != NULL) +
                (a->UnlockMutex != NULL);
    if (given != 0 && given != 4)
      return CKR_ARGUMENTS_BAD;
    /* The shim locks with the OS's primitives only. */
    if (given == 4 && !(a->flags & CKF_OS_LOCKING_OK))
      return CKR_CANT_LOCK;
  }
  pthread_once(&g_once, register_atfork);
  if (g_atfork_rc != 0)
    return CKR_HOST_MEMORY;

  /* secure_getenv: a set-uid program is not pointed at another socket by its caller. */
  char path[sizeof g_socket];
  const char *env = secure_getenv("KOFN_SOCKET");
  if (env == NULL || env[0] == '\0')
    env = KOFN_DEFAULT_SOCKET;
  size_t plen = strlen(env);
  if (plen >= sizeof path)
    plen = 0; /* cannot be a Unix socket path: the service stays unreachable */
  memcpy(path, env, plen);
  path[plen] = '\0';
  int timeout = env_ms("KOFN_CALL_TIMEOUT_MS", KOFN_DEFAULT_TIMEOUT_MS);
  int slow_timeout = env_ms("KOFN_SLOW_CALL_TIMEOUT_MS", KOFN_DEFAULT_SLOW_TIMEOUT_MS);
  uint64_t instance = kofn_random_u64();
  pid_t pid = getpid();

  pthread_mutex_lock(&g_lock);
  check_pid_locked(pid);
  if (g_initialized) {
    pthread_mutex_unlock(&g_lock);
    return CKR_CRYPTOKI_ALREADY_INITIALIZED;
  }
  memcpy(g_socket, path, sizeof g_socket);
  g_timeout_ms = timeout;
  g_slow_timeout_ms = slow_timeout;
  g_instance = instance;
  g_pid = pid;
  g_epoch_set = 0;
  g_gen++;
  g_initialized = 1;
  pthread_mutex_unlock(&g_lock);
  /* Nothing is connected here: the service may be down (docs/protocol.md, Errors). */
  return CKR_OK;
}

CK_RV kofn_C_Finalize(CK_VOID_PTR pReserved)
{
  if (pReserved != NULL)
    return CKR_ARGUMENTS_BAD;
  CK_RV rv = lock_initialized();
  if (rv != CKR_OK)
    return rv;
  /* Idle connections close now; busy ones when their call ends (their generation is gone). */
  kofn_conn *c = g_conns;
  while (c) {
    kofn_conn *next = c->next;
    if (!c->busy)
      drop_locked(c);
    c = next;
  }
  g_initialized = 0;
  g_epoch_set = 0;
  g_gen++;
  pthread_mutex_unlock(&g_lock);
  return CKR_OK;
}

CK_RV kofn_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
  if (ppFunctionList == NULL)
    return CKR_ARGUMENTS_BAD;
  *ppFunctionList = (CK_FUNCTION_LIST_PTR)&kofn_function_list;
  return CKR_OK;
}

static const CK_INTERFACE g_interfaces[] = {
  { (CK_CHAR *)"PKCS 11", (CK_VOID_PTR)&kofn_function_list_3_0, 0 },
  { (CK_CHAR *)"PKCS 11", (CK_VOID_PTR)&kofn_function_list, 0 },
};
#define N_INTERFACES (sizeof g_interfaces / sizeof g_interfaces[0])

CK_RV kofn_C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
  if (pulCount == NULL)
    return CKR_ARGUMENTS_BAD;
  if (pInterfacesList == NULL) {
    *pulCount = N_INTERFACES;
    return CKR_OK;
  }
  if (*pulCount < N_INTERFACES) {
    *pulCount = N_INTERFACES;
    return CKR_BUFFER_TOO_SMALL;
  }
  memcpy(pInterfacesList, g_interfaces, sizeof g_interfaces);
  *pulCount = N_INTERFACES;
  return CKR_OK;
}

static const CK_VERSION *version_of(const CK_INTERFACE *i)
{
  return &((const CK_FUNCTION_LIST *)i->pFunctionList)->version; /* both lists start with it */
}

CK_RV kofn_C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion, CK_INTERFACE_PTR_PTR ppInterface,
                          CK_FLAGS flags)
{
  if (ppInterface == NULL)
    return CKR_ARGUMENTS_BAD;
  for (size_t k = 0; k < N_INTERFACES; k++) {
    const CK_INTERFACE *i = &g_interfaces[k];
    if (pInterfaceName != NULL && strcmp((const char *)pInterfaceName, (const char *)i->pInterfaceName) != 0)
      continue;
    const CK_VERSION *v = version_of(i);
    if (pVersion != NULL && (pVersion->major != v->major || pVersion->minor != v->minor))
      continue;
    if ((flags & i->flags) != flags)
      continue;
    *ppInterface = (CK_INTERFACE_PTR)i;
    return CKR_OK;
  }
  return CKR_ARGUMENTS_BAD;
}

/* ---- the three exported symbols ------------------------------------------------------------- */

KOFN_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
  return kofn_C_GetFunctionList(ppFunctionList);
}

KOFN_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
  return kofn_C_GetInterfaceList(pInterfacesList, pulCount);
}

KOFN_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                                 CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
  return kofn_C_GetInterface(pInterfaceName, pVersion, ppInterface, flags);
}
