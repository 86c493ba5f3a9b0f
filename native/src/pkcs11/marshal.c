/*
 * The generic marshaller: every argument kind of the call table once, in both directions
 * (docs/protocol.md, "Argument kinds" and "Mechanism parameters"). The stubs of calls.gen.c fill a
 * kofn_arg per table argument; nothing here is per function.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/* ---- writing -------------------------------------------------------------------------------- */

void kofn_buf_free(kofn_buf *b)
{
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

static uint8_t *grow(kofn_buf *b, size_t n)
{
  if (b->err != CKR_OK)
    return NULL;
  if (n > (size_t)KOFN_MAX_FRAME + 4 - b->len) {
    b->err = CKR_DATA_LEN_RANGE;
    return NULL;
  }
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
      cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL) {
      b->err = CKR_HOST_MEMORY;
      return NULL;
    }
    b->p = p;
    b->cap = cap;
  }
  uint8_t *at = b->p + b->len;
  b->len += n;
  return at;
}

void kofn_put_u8(kofn_buf *b, uint8_t v)
{
  uint8_t *p = grow(b, 1);
  if (p)
    p[0] = v;
}

void kofn_put_u16(kofn_buf *b, uint16_t v)
{
  uint8_t *p = grow(b, 2);
  if (p) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
  }
}

static void be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

void kofn_put_u32(kofn_buf *b, uint32_t v)
{
  uint8_t *p = grow(b, 4);
  if (p)
    be32(p, v);
}

static void be64(uint8_t *p, uint64_t v)
{
  be32(p, (uint32_t)(v >> 32));
  be32(p + 4, (uint32_t)v);
}

void kofn_put_u64(kofn_buf *b, uint64_t v)
{
  uint8_t *p = grow(b, 8);
  if (p)
    be64(p, v);
}

void kofn_put_raw(kofn_buf *b, const void *src, size_t n)
{
  if (n == 0)
    return;
  uint8_t *p = grow(b, n);
  if (p)
    memcpy(p, src, n);
}

void kofn_frame_begin(kofn_buf *b)
{
  b->len = 0;
  kofn_put_u32(b, 0);
}

void kofn_frame_end(kofn_buf *b)
{
  if (b->err != CKR_OK)
    return;
  if (b->len - 4 > KOFN_MAX_FRAME) {
    b->err = CKR_DATA_LEN_RANGE;
    return;
  }
  be32(b->p, (uint32_t)(b->len - 4));
}

void kofn_set_epoch(kofn_buf *b, uint64_t epoch)
{
  be64(b->p + KOFN_EPOCH_OFFSET, epoch);
}

/* u32 length and the bytes; the caller has checked p != NULL || n == 0. */
static CK_RV put_bytes(kofn_buf *b, const void *p, CK_ULONG n)
{
  if (n > KOFN_MAX_FRAME)
    return CKR_DATA_LEN_RANGE;
  kofn_put_u32(b, (uint32_t)n);
  kofn_put_raw(b, p, n);
  return b->err;
}

/* ---- requests ------------------------------------------------------------------------------- */

static CK_RV put_template(kofn_buf *b, const CK_ATTRIBUTE *t, CK_ULONG n, int depth)
{
  if (depth > KOFN_MAX_NESTING)
    return CKR_ATTRIBUTE_VALUE_INVALID;
  if (t == NULL && n != 0)
    return CKR_ARGUMENTS_BAD;
  if (n > KOFN_MAX_TEMPLATE)
    return CKR_ARGUMENTS_BAD;
  kofn_put_u32(b, (uint32_t)n);
  for (CK_ULONG i = 0; i < n; i++) {
    const CK_ATTRIBUTE *a = &t[i];
    kofn_put_u64(b, a->type);
    if (a->type & CKF_ARRAY_ATTRIBUTE) {
      /* The value is itself a template (CKA_WRAP_TEMPLATE, ...): sent nested, never as bytes. */
      if (a->pValue == NULL || a->ulValueLen % sizeof(CK_ATTRIBUTE) != 0)
        return CKR_ATTRIBUTE_VALUE_INVALID;
      kofn_put_u8(b, 1);
      CK_RV rv = put_template(b, a->pValue, a->ulValueLen / sizeof(CK_ATTRIBUTE), depth + 1);
      if (rv != CKR_OK)
        return rv;
    } else {
      if (a->pValue == NULL && a->ulValueLen != 0)
        return CKR_ATTRIBUTE_VALUE_INVALID;
      kofn_put_u8(b, a->pValue != NULL);
      CK_RV rv = put_bytes(b, a->pValue, a->pValue ? a->ulValueLen : 0);
      if (rv != CKR_OK)
        return rv;
    }
  }
  return b->err;
}

static int is_pss(CK_MECHANISM_TYPE t)
{
  switch (t) {
  case CKM_RSA_PKCS_PSS:
  case CKM_SHA1_RSA_PKCS_PSS:
  case CKM_SHA224_RSA_PKCS_PSS:
  case CKM_SHA256_RSA_PKCS_PSS:
  case CKM_SHA384_RSA_PKCS_PSS:
  case CKM_SHA512_RSA_PKCS_PSS:
  case CKM_SHA3_224_RSA_PKCS_PSS:
  case CKM_SHA3_256_RSA_PKCS_PSS:
  case CKM_SHA3_384_RSA_PKCS_PSS:
  case CKM_SHA3_512_RSA_PKCS_PSS:
    return 1;
  default:
    return 0;
  }
}

/*
 * u8 given; u64 type; u8 form and its fields. Forms 2-5 for the known structures with pointers or
 * that the service reads field by field; everything else (unknown mechanisms included) travels
 * raw as form 1: the shim never filters a mechanism.
 */
static CK_RV put_mechanism(kofn_buf *b, const CK_MECHANISM *m)
{
  kofn_put_u8(b, m != NULL);
  if (m == NULL)
    return b->err;
  kofn_put_u64(b, m->mechanism);
  const void *p = m->pParameter;
  CK_ULONG n = m->ulParameterLen;
  if (n == 0) {
    kofn_put_u8(b, 0);
    return b->err;
  }
  if (p == NULL)
    return CKR_MECHANISM_PARAM_INVALID;
  if (is_pss(m->mechanism) && n == sizeof(CK_RSA_PKCS_PSS_PARAMS)) {
    const CK_RSA_PKCS_PSS_PARAMS *q = p;
    kofn_put_u8(b, 2);
    kofn_put_u64(b, q->hashAlg);
    kofn_put_u64(b, q->mgf);
    kofn_put_u64(b, q->sLen);
    return b->err;
  }
  if (m->mechanism == CKM_RSA_PKCS_OAEP && n == sizeof(CK_RSA_PKCS_OAEP_PARAMS)) {
    const CK_RSA_PKCS_OAEP_PARAMS *q = p;
    if (q->pSourceData == NULL && q->ulSourceDataLen != 0)
      return CKR_MECHANISM_PARAM_INVALID;
    kofn_put_u8(b, 3);
    kofn_put_u64(b, q->hashAlg);
    kofn_put_u64(b, q->mgf);
    kofn_put_u64(b, q->source);
    kofn_put_u8(b, q->pSourceData != NULL);
    return put_bytes(b, q->pSourceData, q->pSourceData ? q->ulSourceDataLen : 0);
  }
  if (m->mechanism == CKM_AES_GCM && n == sizeof(CK_GCM_PARAMS)) {
    const CK_GCM_PARAMS *q = p;
    if ((q->pIv == NULL && q->ulIvLen != 0) || (q->pAAD == NULL && q->ulAADLen != 0))
      return CKR_MECHANISM_PARAM_INVALID;
    kofn_put_u8(b, 4);
    CK_RV rv = put_bytes(b, q->pIv, q->ulIvLen);
    if (rv != CKR_OK)
      return rv;
    kofn_put_u64(b, q->ulIvBits);
    rv = put_bytes(b, q->pAAD, q->ulAADLen);
    if (rv != CKR_OK)
      return rv;
    kofn_put_u64(b, q->ulTagBits);
    return b->err;
  }
  if (m->mechanism == CKM_EDDSA && n == sizeof(CK_EDDSA_PARAMS)) {
    const CK_EDDSA_PARAMS *q = p;
    if (q->pContextData == NULL && q->ulContextDataLen != 0)
      return CKR_MECHANISM_PARAM_INVALID;
    kofn_put_u8(b, 5);
    kofn_put_u8(b, q->phFlag ? 1 : 0);
    return put_bytes(b, q->pContextData, q->ulContextDataLen);
  }
  kofn_put_u8(b, 1);
  return put_bytes(b, p, n);
}

static CK_RV put_arg(kofn_buf *b, kofn_kind kind, const kofn_arg *a)
{
  switch (kind) {
  case KOFN_K_ULONG:
    kofn_put_u64(b, a->ul);
    return b->err;
  case KOFN_K_BOOL:
    kofn_put_u8(b, a->ul ? 1 : 0);
    return b->err;
  case KOFN_K_BYTES:
    if (a->ptr == NULL && a->ul != 0)
      return CKR_ARGUMENTS_BAD;
    kofn_put_u8(b, a->ptr != NULL);
    return put_bytes(b, a->ptr, a->ptr ? a->ul : 0);
  case KOFN_K_LABEL32:
    if (a->ptr == NULL)
      return CKR_ARGUMENTS_BAD;
    kofn_put_raw(b, a->ptr, 32);
    return b->err;
  case KOFN_K_OUT_BYTES:
  case KOFN_K_OUT_ULONGS:
    if (a->pul == NULL)
      return CKR_ARGUMENTS_BAD;
    kofn_put_u8(b, a->ptr != NULL);
    kofn_put_u64(b, a->ptr ? *a->pul : 0);
    return b->err;
  case KOFN_K_OUT_BYTES_FIXED:
    if (a->ptr == NULL && a->ul != 0)
      return CKR_ARGUMENTS_BAD;
    if (a->ul > KOFN_MAX_FRAME - 16) /* the reply: call id, rv, u32 length, the bytes */
      return CKR_DATA_LEN_RANGE;
    kofn_put_u64(b, a->ul);
    return b->err;
  case KOFN_K_OUT_ULONGS_MAX:
    if (a->pul == NULL || (a->ptr == NULL && a->ul != 0))
      return CKR_ARGUMENTS_BAD;
    kofn_put_u64(b, a->ul);
    return b->err;
  case KOFN_K_OUT_ULONG:
  case KOFN_K_OUT_INFO:
  case KOFN_K_OUT_SLOT_INFO:
  case KOFN_K_OUT_TOKEN_INFO:
  case KOFN_K_OUT_SESSION_INFO:
  case KOFN_K_OUT_MECHANISM_INFO:
    return a->ptr == NULL ? CKR_ARGUMENTS_BAD : CKR_OK;
  case KOFN_K_TEMPLATE:
    return put_template(b, a->ptr, a->ul, 0);
  case KOFN_K_GET_TEMPLATE: {
    const CK_ATTRIBUTE *t = a->ptr;
    if ((t == NULL && a->ul != 0) || a->ul > KOFN_MAX_TEMPLATE)
      return CKR_ARGUMENTS_BAD;
    kofn_put_u32(b, (uint32_t)a->ul);
    for (CK_ULONG i = 0; i < a->ul; i++) {
      kofn_put_u64(b, t[i].type);
      kofn_put_u8(b, t[i].pValue != NULL);
      kofn_put_u64(b, t[i].pValue ? t[i].ulValueLen : 0);
    }
    return b->err;
  }
  case KOFN_K_MECHANISM:
    return put_mechanism(b, a->ptr);
  case KOFN_K_APP_POINTER:
  case KOFN_K_NOTIFY:
  case KOFN_K_RESERVED:
  case KOFN_KIND_COUNT:
    return CKR_OK;
  }
  return CKR_GENERAL_ERROR;
}

CK_RV kofn_encode_request(kofn_buf *b, const kofn_call *call, const kofn_arg *args)
{
  kofn_frame_begin(b);
  kofn_put_u32(b, call->id);
  kofn_put_u64(b, 0); /* epoch: kofn_set_epoch */
  for (unsigned i = 0; i < call->nargs; i++) {
    CK_RV rv = put_arg(b, (kofn_kind)call->kinds[i], &args[i]);
    if (rv != CKR_OK)
      return rv;
  }
  kofn_frame_end(b);
  return b->err;
}

/* ---- replies -------------------------------------------------------------------------------- */

typedef struct reader {
  const uint8_t *p;
  size_t n, at;
  int bad;
} reader;

static const uint8_t *take(reader *r, size_t n)
{
  if (r->bad || n > r->n - r->at) {
    r->bad = 1;
    return NULL;
  }
  const uint8_t *p = r->p + r->at;
  r->at += n;
  return p;
}

static uint8_t get_u8(reader *r)
{
  const uint8_t *p = take(r, 1);
  return p ? p[0] : 0;
}

static int get_bool(reader *r)
{
  uint8_t v = get_u8(r);
  if (v > 1)
    r->bad = 1;
  return v == 1;
}

static uint32_t get_u32(reader *r)
{
  const uint8_t *p = take(r, 4);
  return p ? kofn_be32(p) : 0;
}

static uint64_t get_u64(reader *r)
{
  const uint8_t *p = take(r, 8);
  return p ? kofn_be64(p) : 0;
}

/*
 * A u64 as CK_ULONG. All ones is CK_UNAVAILABLE_INFORMATION whatever the width; any other value
 * wider than CK_ULONG makes the reply invalid (CKR_DEVICE_ERROR).
 */
static CK_ULONG get_ulong(reader *r)
{
  uint64_t v = get_u64(r);
  if (v == UINT64_MAX)
    return CK_UNAVAILABLE_INFORMATION;
#if ULONG_MAX < UINT64_MAX
  if (v > ULONG_MAX) {
    r->bad = 1;
    return 0;
  }
#endif
  return (CK_ULONG)v;
}

static void get_string(reader *r, unsigned char *dst, size_t n, int write)
{
  const uint8_t *p = take(r, n);
  if (p && write)
    memcpy(dst, p, n);
}

static void get_version(reader *r, CK_VERSION *v, int write)
{
  uint8_t major = get_u8(r), minor = get_u8(r);
  if (write) {
    v->major = major;
    v->minor = minor;
  }
}

#define GET_ULONG(r, dst, write)                                                                               \
  do {                                                                                                         \
    CK_ULONG v_ = get_ulong(r);                                                                                \
    if (write)                                                                                                 \
      (dst) = v_;                                                                                              \
  } while (0)

/* The CK_*_INFO structures field by field, in declaration order (codec.ts STRUCTS). */
static void get_struct(reader *r, kofn_kind kind, void *ptr, int write)
{
  switch (kind) {
  case KOFN_K_OUT_INFO: {
    CK_INFO *s = ptr;
    get_version(r, &s->cryptokiVersion, write);
    get_string(r, s->manufacturerID, 32, write);
    GET_ULONG(r, s->flags, write);
    get_string(r, s->libraryDescription, 32, write);
    get_version(r, &s->libraryVersion, write);
    return;
  }
  case KOFN_K_OUT_SLOT_INFO: {
    CK_SLOT_INFO *s = ptr;
    get_string(r, s->slotDescription, 64, write);
    get_string(r, s->manufacturerID, 32, write);
    GET_ULONG(r, s->flags, write);
    get_version(r, &s->hardwareVersion, write);
    get_version(r, &s->firmwareVersion, write);
    return;
  }
  case KOFN_K_OUT_TOKEN_INFO: {
    CK_TOKEN_INFO *s = ptr;
    get_string(r, s->label, 32, write);
    get_string(r, s->manufacturerID, 32, write);
    get_string(r, s->model, 16, write);
    get_string(r, s->serialNumber, 16, write);
    GET_ULONG(r, s->flags, write);
    GET_ULONG(r, s->ulMaxSessionCount, write);
    GET_ULONG(r, s->ulSessionCount, write);
    GET_ULONG(r, s->ulMaxRwSessionCount, write);
    GET_ULONG(r, s->ulRwSessionCount, write);
    GET_ULONG(r, s->ulMaxPinLen, write);
    GET_ULONG(r, s->ulMinPinLen, write);
    GET_ULONG(r, s->ulTotalPublicMemory, write);
    GET_ULONG(r, s->ulFreePublicMemory, write);
    GET_ULONG(r, s->ulTotalPrivateMemory, write);
    GET_ULONG(r, s->ulFreePrivateMemory, write);
    get_version(r, &s->hardwareVersion, write);
    get_version(r, &s->firmwareVersion, write);
    get_string(r, s->utcTime, 16, write);
    return;
  }
  case KOFN_K_OUT_SESSION_INFO: {
    CK_SESSION_INFO *s = ptr;
    GET_ULONG(r, s->slotID, write);
    GET_ULONG(r, s->state, write);
    GET_ULONG(r, s->flags, write);
    GET_ULONG(r, s->ulDeviceError, write);
    return;
  }
  case KOFN_K_OUT_MECHANISM_INFO: {
    CK_MECHANISM_INFO *s = ptr;
    GET_ULONG(r, s->ulMinKeySize, write);
    GET_ULONG(r, s->ulMaxKeySize, write);
    GET_ULONG(r, s->flags, write);
    return;
  }
  default:
    r->bad = 1;
    return;
  }
}

/*
 * The outputs of one argument. With write == 0 only validates (against the caller's buffers as
 * they are before anything is written); with write == 1 copies. ok: the rv is CKR_OK (handles and
 * structures are only written then; lengths and per-attribute results for every rv with outputs).
 */
static void get_arg(reader *r, kofn_kind kind, kofn_arg *a, int ok, int write)
{
  switch (kind) {
  case KOFN_K_OUT_BYTES: {
    CK_ULONG len = get_ulong(r);
    if (get_bool(r)) {
      uint32_t n = get_u32(r);
      const uint8_t *d = take(r, n);
      /* Data only into a buffer the caller gave, as long as its length says, and no more than it holds. */
      if (r->bad || a->ptr == NULL || n != len || (!write && len > *a->pul)) {
        r->bad = 1;
        return;
      }
      if (write)
        memcpy(a->ptr, d, n);
    }
    if (write && !r->bad)
      *a->pul = len;
    return;
  }
  case KOFN_K_OUT_BYTES_FIXED: {
    uint32_t n = get_u32(r);
    const uint8_t *d = take(r, n);
    if (r->bad || (ok && n != a->ul)) {
      r->bad = 1;
      return;
    }
    if (write && ok && n)
      memcpy(a->ptr, d, n);
    return;
  }
  case KOFN_K_OUT_ULONGS: {
    CK_ULONG count = get_ulong(r);
    if (get_bool(r)) {
      if (r->bad || a->ptr == NULL || (!write && count > *a->pul) || count > (r->n - r->at) / 8) {
        r->bad = 1;
        return;
      }
      CK_ULONG *out = a->ptr;
      for (CK_ULONG i = 0; i < count; i++) {
        CK_ULONG v = get_ulong(r);
        if (write)
          out[i] = v;
      }
    }
    if (write && !r->bad)
      *a->pul = count;
    return;
  }
  case KOFN_K_OUT_ULONGS_MAX: {
    CK_ULONG count = get_ulong(r);
    if (r->bad || count > a->ul || count > (r->n - r->at) / 8) {
      r->bad = 1;
      return;
    }
    CK_ULONG *out = a->ptr;
    for (CK_ULONG i = 0; i < count; i++) {
      CK_ULONG v = get_ulong(r);
      if (write)
        out[i] = v;
    }
    if (write)
      *a->pul = count;
    return;
  }
  case KOFN_K_OUT_ULONG: {
    CK_ULONG v = get_ulong(r);
    if (write && ok)
      *(CK_ULONG *)a->ptr = v;
    return;
  }
  case KOFN_K_OUT_INFO:
  case KOFN_K_OUT_SLOT_INFO:
  case KOFN_K_OUT_TOKEN_INFO:
  case KOFN_K_OUT_SESSION_INFO:
  case KOFN_K_OUT_MECHANISM_INFO:
    get_struct(r, kind, a->ptr, write && ok);
    return;
  case KOFN_K_GET_TEMPLATE: {
    CK_ATTRIBUTE *t = a->ptr;
    if (get_u32(r) != a->ul) {
      r->bad = 1;
      return;
    }
    for (CK_ULONG i = 0; i < a->ul && !r->bad; i++) {
      CK_ULONG len = get_ulong(r);
      if (get_bool(r)) {
        uint32_t n = get_u32(r);
        const uint8_t *d = take(r, n);
        if (r->bad || t[i].pValue == NULL || n != len || (!write && len > t[i].ulValueLen)) {
          r->bad = 1;
          return;
        }
        if (write && n)
          memcpy(t[i].pValue, d, n);
      }
      if (write && !r->bad)
        t[i].ulValueLen = len;
    }
    return;
  }
  case KOFN_K_ULONG:
  case KOFN_K_BOOL:
  case KOFN_K_BYTES:
  case KOFN_K_LABEL32:
  case KOFN_K_TEMPLATE:
  case KOFN_K_MECHANISM:
  case KOFN_K_APP_POINTER:
  case KOFN_K_NOTIFY:
  case KOFN_K_RESERVED:
  case KOFN_KIND_COUNT:
    return; /* input only */
  }
}

static int carries_outputs(CK_RV rv)
{
  return rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL || rv == CKR_ATTRIBUTE_SENSITIVE ||
         rv == CKR_ATTRIBUTE_TYPE_INVALID;
}

static int parse(const uint8_t *p, size_t n, const kofn_call *call, kofn_arg *args, CK_RV *rv, int write)
{
  reader r = { p, n, 0, 0 };
  if (get_u32(&r) != call->id)
    return -1;
  uint64_t v = get_u64(&r);
#if ULONG_MAX < UINT64_MAX
  if (v > ULONG_MAX)
    return -1;
#endif
  *rv = (CK_RV)v;
  if (!r.bad && carries_outputs(*rv))
    for (unsigned i = 0; i < call->nargs && !r.bad; i++)
      get_arg(&r, (kofn_kind)call->kinds[i], &args[i], *rv == CKR_OK, write);
  if (r.bad || r.at != r.n)
    return -1;
  return 0;
}

int kofn_decode_reply(const uint8_t *p, size_t n, const kofn_call *call, kofn_arg *args, CK_RV *rv)
{
  /* Validate all of it first, so that a bad reply leaves the caller's buffers untouched. */
  if (parse(p, n, call, args, rv, 0) != 0)
    return -1;
  return parse(p, n, call, args, rv, 1);
}
