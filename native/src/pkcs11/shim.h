/*
 * libkofn-pkcs11.so internals: the call table as C data (calls.gen.c, generated from
 * src/pkcs11/protocol/calls.ts), the generic argument array the stubs fill, the marshaller
 * (marshal.c), the socket transport (transport.c) and the forwarder (shim.c).
 * The protocol is docs/protocol.md; nothing here is exported (-fvisibility=hidden + kofn-pkcs11.map).
 */
#ifndef KOFN_SHIM_H
#define KOFN_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "pkcs11_3.h"

#define KOFN_PROTOCOL_VERSION 1
#define KOFN_MAX_FRAME (16u * 1024u * 1024u)
#define KOFN_DEFAULT_SOCKET "/run/kofn/pkcs11.sock"
#define KOFN_DEFAULT_TIMEOUT_MS 30000
#define KOFN_DEFAULT_SLOW_TIMEOUT_MS 600000
/* Limits of the TypeScript codec (wire.ts); the shim refuses to send what the service would not read. */
#define KOFN_MAX_TEMPLATE 4096u
#define KOFN_MAX_NESTING 4

/* Argument kinds, in the order of ArgKind in calls.ts (calls.gen.c asserts count and order). */
typedef enum kofn_kind {
  KOFN_K_ULONG,
  KOFN_K_BOOL,
  KOFN_K_BYTES,
  KOFN_K_LABEL32,
  KOFN_K_OUT_BYTES,
  KOFN_K_OUT_BYTES_FIXED,
  KOFN_K_OUT_ULONGS,
  KOFN_K_OUT_ULONGS_MAX,
  KOFN_K_OUT_ULONG,
  KOFN_K_TEMPLATE,
  KOFN_K_GET_TEMPLATE,
  KOFN_K_MECHANISM,
  KOFN_K_OUT_INFO,
  KOFN_K_OUT_SLOT_INFO,
  KOFN_K_OUT_TOKEN_INFO,
  KOFN_K_OUT_SESSION_INFO,
  KOFN_K_OUT_MECHANISM_INFO,
  KOFN_K_APP_POINTER,
  KOFN_K_NOTIFY,
  KOFN_K_RESERVED,
  KOFN_KIND_COUNT
} kofn_kind;

typedef enum kofn_retry { KOFN_ONCE, KOFN_IDEMPOTENT } kofn_retry;

/* What the shim answers itself while the service is unreachable. */
typedef enum kofn_down {
  KOFN_DOWN_INFO,      /* C_GetInfo: the shim's own CK_INFO */
  KOFN_DOWN_SLOT_LIST, /* C_GetSlotList: slot 0 without a token */
  KOFN_DOWN_SLOT_INFO, /* C_GetSlotInfo(0): no CKF_TOKEN_PRESENT */
  KOFN_DOWN_TOKEN,     /* first argument slotID: CKR_TOKEN_NOT_PRESENT (CKR_SLOT_ID_INVALID for slot != 0) */
  KOFN_DOWN_SESSION,   /* first argument hSession: CKR_SESSION_HANDLE_INVALID */
  KOFN_DOWN_NONE       /* anything else: CKR_FUNCTION_NOT_SUPPORTED */
} kofn_down;

typedef struct kofn_call {
  uint32_t id;
  const char *name;
  kofn_retry retry;
  unsigned char local;   /* answered by shim.c, never forwarded */
  unsigned char session; /* session-bound: stale after an epoch change */
  kofn_down down;
  unsigned char nargs;
  const unsigned char *kinds; /* kofn_kind per table argument */
  unsigned char slow;         /* long-running (key generation): KOFN_SLOW_CALL_TIMEOUT_MS applies */
} kofn_call;

/*
 * One table argument, whatever its kind: ul carries a CK_ULONG/CK_BBOOL value, a length, a count
 * or a maximum; ptr the pointer parameter; pul the CK_ULONG_PTR length/count parameter.
 */
typedef struct kofn_arg {
  CK_ULONG ul;
  void *ptr;
  CK_ULONG_PTR pul;
} kofn_arg;

extern const kofn_call kofn_calls[];
extern const CK_FUNCTION_LIST kofn_function_list;
extern const CK_FUNCTION_LIST_3_0 kofn_function_list_3_0;

/* shim.c: forwards one call (or answers it while the service is down). */
CK_RV kofn_forward(const kofn_call *call, kofn_arg *args);

/* ---- marshal.c ------------------------------------------------------------------------------ */

typedef struct kofn_buf {
  uint8_t *p;
  size_t len, cap;
  CK_RV err; /* first error while writing: CKR_HOST_MEMORY or the frame limit */
} kofn_buf;

void kofn_buf_free(kofn_buf *b);
void kofn_put_u8(kofn_buf *b, uint8_t v);
void kofn_put_u16(kofn_buf *b, uint16_t v);
void kofn_put_u32(kofn_buf *b, uint32_t v);
void kofn_put_u64(kofn_buf *b, uint64_t v);
void kofn_put_raw(kofn_buf *b, const void *p, size_t n);
/* Starts a frame: reserves the u32 length. kofn_frame_end fills it in. */
void kofn_frame_begin(kofn_buf *b);
void kofn_frame_end(kofn_buf *b);

/*
 * The request frame of a call, the epoch left as zero at KOFN_EPOCH_OFFSET for kofn_set_epoch.
 * Returns CKR_OK, or what the caller gets without anything being sent (CKR_ARGUMENTS_BAD for
 * arguments that cannot be read, CKR_DATA_LEN_RANGE for a request over the frame limit, ...).
 */
#define KOFN_EPOCH_OFFSET 8 /* u32 frame length, u32 call id */
CK_RV kofn_encode_request(kofn_buf *b, const kofn_call *call, const kofn_arg *args);
void kofn_set_epoch(kofn_buf *b, uint64_t epoch);

/*
 * Parses a reply payload and, only when all of it is valid, writes the outputs to the caller's
 * parameters. Returns 0 and sets *rv, or -1 (the caller gets CKR_DEVICE_ERROR) when the reply does
 * not parse, answers another call, does not fit the caller's buffers or CK_ULONG.
 */
int kofn_decode_reply(const uint8_t *p, size_t n, const kofn_call *call, kofn_arg *args, CK_RV *rv);

static inline uint32_t kofn_be32(const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t kofn_be64(const uint8_t *p)
{
  return ((uint64_t)kofn_be32(p) << 32) | kofn_be32(p + 4);
}

/* ---- transport.c ---------------------------------------------------------------------------- */

typedef enum kofn_io {
  KOFN_IO_OK = 0,
  KOFN_IO_CLOSED,      /* EOF, ECONNRESET, EPIPE: the peer went away */
  KOFN_IO_UNREACHABLE, /* nobody to connect to (or the peer left before the handshake ended) */
  KOFN_IO_TIMEOUT,
  KOFN_IO_PROTOCOL,    /* oversized frame, a handshake that is not ours, a refusal */
  KOFN_IO_NOMEM,
  KOFN_IO_ERROR        /* any other system error */
} kofn_io;

int64_t kofn_now_ms(void);
/* Connects and completes the handshake; on success *fd and *epoch are set. */
kofn_io kofn_io_connect(const char *path, int64_t deadline, uint64_t instance, int *fd, uint64_t *epoch);
kofn_io kofn_io_send(int fd, const uint8_t *p, size_t n, int64_t deadline, size_t *sent);
/* Reads one frame into a malloc'ed buffer; *got counts every byte received, header included. */
kofn_io kofn_io_recv_frame(int fd, int64_t deadline, uint8_t **payload, size_t *len, size_t *got);
/* Whether an idle connection is still usable: nothing to read, no hang-up, no error. */
int kofn_io_idle_ok(int fd);
uint64_t kofn_random_u64(void);

#endif
