/*
 * kofn_bn: the secret path of Shoup threshold RSA, in native memory.
 *
 * Why native: a signature share is x^(2*Delta*s_i) mod n with a secret exponent as long as n and no
 * CRT (the node does not know the factors). JavaScript BigInt is several times slower than OpenSSL
 * here, is not constant-time, and its values cannot be wiped. So secret exponents live only in
 * OpenSSL BIGNUMs allocated from the secure heap where one exists, flagged BN_FLG_CONSTTIME, used
 * only through BN_mod_exp_mont_consttime, and cleared with BN_clear_free. JavaScript holds opaque,
 * type-tagged handles.
 *
 * Public arithmetic (combination, proof verification) is also offered here because OpenSSL's
 * Montgomery multiplication is much faster than BigInt; it takes and returns BigInt because those
 * values are public.
 *
 * Threading: every N-API call happens on the main thread, so reference counts need no atomics.
 * Async signing runs BN_mod_exp_mont_consttime on the libuv pool; it only reads the secret and the
 * Montgomery context, which are immutable once created.
 *
 * Links against the OpenSSL that Node itself exports (headers from Node's include directory).
 */
#include <node_api.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "multi_pow.h"
#include "sched_batch.h"

/* ---------- error helpers ---------------------------------------------------------------- */

#define NAPI_OK(call)                                                                              \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      throw_napi_failure(env);                                                                     \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

static void throw_napi_failure(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "KOFN_NATIVE", "N-API call failed");
}

/*
 * Messages are fixed strings: nothing derived from secret data ever reaches an error. The thread's
 * OpenSSL error queue is emptied first: it is the queue of the OpenSSL inside Node, and an entry left
 * there (a failed BN_mod_exp_mont's, say) would surface later as the failure of some unrelated
 * node:crypto call on this thread.
 */
static napi_value throw_code(napi_env env, const char *code, const char *msg) {
  ERR_clear_error();
  napi_throw_error(env, code, msg);
  return NULL;
}

#define ARG_ERR(msg) throw_code(env, "KOFN_BN_ARGUMENT", msg)

/* ---------- handles ---------------------------------------------------------------------- */

static const napi_type_tag MODULUS_TAG = {0x6b6f666e6d6f6475ULL, 0x6c75730000000001ULL};
static const napi_type_tag SECRET_TAG = {0x6b6f666e73656372ULL, 0x6574000000000002ULL};
static const napi_type_tag NONCE_TAG = {0x6b6f666e6e6f6e63ULL, 0x6500000000000003ULL};

typedef struct modulus {
  int refs; /* JS handle + each secret bound to it */
  int bits;
  int bytes;
  BIGNUM *n;
  BN_MONT_CTX *mont; /* cached once per modulus: read-only afterwards, shared by pool threads */
} modulus;

typedef struct secret {
  modulus *mod;
  BIGNUM *s;       /* the share s_i */
  BIGNUM *two_delta; /* 2*Delta, public: a signature share is (x^(2*Delta))^s_i, see share_pow */
  int inflight;    /* async signatures queued on the pool */
  int destroyed;   /* destroy() called: no new work; memory freed when inflight reaches 0 */
  int freed;
} secret;

typedef struct nonce {
  BIGNUM *r;
  int used;
} nonce;

static void modulus_unref(modulus *m) {
  if (m == NULL || --m->refs > 0) return;
  BN_MONT_CTX_free(m->mont);
  BN_free(m->n);
  free(m);
}

static void secret_free_memory(secret *s) {
  if (s->freed) return;
  s->freed = 1;
  BN_clear_free(s->s);
  BN_free(s->two_delta);
  s->s = NULL;
  s->two_delta = NULL;
  modulus_unref(s->mod);
  s->mod = NULL;
}

static void modulus_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  modulus_unref((modulus *)data);
}

static void secret_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  secret *s = (secret *)data;
  /* A queued async job holds a reference to the JS object, so inflight is 0 here. */
  secret_free_memory(s);
  free(s);
}

static void nonce_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  nonce *r = (nonce *)data;
  BN_clear_free(r->r);
  free(r);
}

static void *unwrap(napi_env env, napi_value v, const napi_type_tag *tag, const char *what) {
  bool ok = false;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_object ||
      napi_check_object_type_tag(env, v, tag, &ok) != napi_ok || !ok) {
    napi_throw_type_error(env, "KOFN_BN_HANDLE", what);
    return NULL;
  }
  void *p = NULL;
  if (napi_unwrap(env, v, &p) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  return p;
}

/* Handles are empty, frozen, type-tagged objects wrapping the native pointer: they print as {}. */
static napi_value wrap(napi_env env, void *p, const napi_type_tag *tag, napi_finalize fin) {
  napi_value v;
  if (napi_create_object(env, &v) != napi_ok || napi_type_tag_object(env, v, tag) != napi_ok ||
      napi_wrap(env, v, p, fin, NULL, NULL) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  /* Best effort: once wrapped, the finalizer owns p, so a failure here must not report NULL. */
  napi_object_freeze(env, v);
  return v;
}

static secret *live_secret(napi_env env, napi_value v) {
  secret *s = unwrap(env, v, &SECRET_TAG, "expected a secret share handle");
  if (s != NULL && s->destroyed) {
    throw_code(env, "KOFN_BN_DESTROYED", "secret share handle has been destroyed");
    return NULL;
  }
  return s;
}

/* ---------- BigInt <-> BIGNUM (public values only) --------------------------------------- */

/* Converts a non-negative or negative BigInt; *neg tells the sign. Returns NULL with an exception. */
static BIGNUM *bn_from_bigint(napi_env env, napi_value v, int *neg) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_bigint) {
    napi_throw_type_error(env, "KOFN_BN_ARGUMENT", "expected a bigint");
    return NULL;
  }
  int sign = 0;
  size_t count = 0;
  if (napi_get_value_bigint_words(env, v, NULL, &count, NULL) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  if (count > 1024) { /* 65536 bits: far above any modulus kofn accepts */
    ARG_ERR("bigint too large");
    return NULL;
  }
  uint64_t words_stack[1];
  uint64_t *words = count <= 1 ? words_stack : malloc(count * sizeof(uint64_t));
  unsigned char *bytes = malloc(count * 8 + 1);
  if (words == NULL || bytes == NULL) {
    if (words != words_stack) free(words);
    free(bytes);
    throw_code(env, "KOFN_BN_NOMEM", "out of memory");
    return NULL;
  }
  if (count > 0 && napi_get_value_bigint_words(env, v, &sign, &count, words) != napi_ok) {
    if (words != words_stack) free(words);
    free(bytes);
    throw_napi_failure(env);
    return NULL;
  }
  /* words are least significant first; write big-endian bytes explicitly (portable). */
  for (size_t i = 0; i < count; i++) {
    uint64_t w = words[count - 1 - i];
    for (int b = 0; b < 8; b++) bytes[i * 8 + b] = (unsigned char)(w >> (56 - 8 * b));
  }
  BIGNUM *r = BN_bin2bn(bytes, (int)(count * 8), NULL);
  if (words != words_stack) free(words);
  free(bytes);
  if (r == NULL) {
    throw_code(env, "KOFN_BN_NOMEM", "out of memory");
    return NULL;
  }
  if (neg != NULL) *neg = sign && !BN_is_zero(r);
  else if (sign && !BN_is_zero(r)) {
    BN_free(r);
    ARG_ERR("expected a non-negative bigint");
    return NULL;
  }
  return r;
}

static napi_value bigint_from_bn(napi_env env, const BIGNUM *a) {
  int nbytes = BN_num_bytes(a);
  size_t count = (size_t)((nbytes + 7) / 8);
  if (count == 0) {
    napi_value zero;
    NAPI_OK(napi_create_bigint_uint64(env, 0, &zero));
    return zero;
  }
  unsigned char *bytes = malloc(count * 8);
  uint64_t *words = malloc(count * sizeof(uint64_t));
  if (bytes == NULL || words == NULL) {
    free(bytes);
    free(words);
    return throw_code(env, "KOFN_BN_NOMEM", "out of memory");
  }
  BN_bn2binpad(a, bytes, (int)(count * 8));
  for (size_t i = 0; i < count; i++) {
    uint64_t w = 0;
    for (int b = 0; b < 8; b++) w = (w << 8) | bytes[i * 8 + b];
    words[count - 1 - i] = w;
  }
  napi_value out;
  napi_status st = napi_create_bigint_words(env, BN_is_negative(a), count, words, &out);
  free(bytes);
  free(words);
  if (st != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  return out;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_napi_failure(env);
    return 0;
  }
  if (argc < want) {
    ARG_ERR("missing arguments");
    return 0;
  }
  return 1;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number ||
      napi_get_value_int32(env, v, out) != napi_ok) {
    ARG_ERR("expected an integer");
    return 0;
  }
  return 1;
}

/* Reads a public value x with 0 <= x < n. */
static BIGNUM *residue_from_bigint(napi_env env, napi_value v, const modulus *m) {
  BIGNUM *x = bn_from_bigint(env, v, NULL);
  if (x != NULL && BN_cmp(x, m->n) >= 0) {
    BN_free(x);
    ARG_ERR("value is not reduced modulo n");
    return NULL;
  }
  return x;
}

/* ---------- modulus ---------------------------------------------------------------------- */

static modulus *modulus_create(const BIGNUM *n, BN_CTX *ctx) {
  modulus *m = calloc(1, sizeof(modulus));
  if (m == NULL) return NULL;
  m->refs = 1;
  m->n = BN_dup(n);
  m->mont = BN_MONT_CTX_new();
  if (m->n == NULL || m->mont == NULL || !BN_MONT_CTX_set(m->mont, m->n, ctx)) {
    BN_MONT_CTX_free(m->mont);
    BN_free(m->n);
    free(m);
    return NULL;
  }
  m->bits = BN_num_bits(n);
  m->bytes = BN_num_bytes(n);
  return m;
}

/* modulus(n: bigint): Modulus  -- n odd, > 1 */
static napi_value js_modulus(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  BIGNUM *n = bn_from_bigint(env, argv[0], NULL);
  if (n == NULL) return NULL;
  if (!BN_is_odd(n) || BN_is_one(n)) {
    BN_free(n);
    return ARG_ERR("modulus must be odd and greater than 1");
  }
  BN_CTX *ctx = BN_CTX_new();
  modulus *m = ctx ? modulus_create(n, ctx) : NULL;
  BN_CTX_free(ctx);
  BN_free(n);
  if (m == NULL) return throw_code(env, "KOFN_BN_NOMEM", "out of memory");
  napi_value out = wrap(env, m, &MODULUS_TAG, modulus_finalize);
  if (out == NULL) modulus_unref(m);
  return out;
}

/* multiPowPublic(mod, bases: bigint[], exps: bigint[]): bigint = prod bases[i]^exps[i] mod n, for
 * public values (multi_pow.c); negative exponents invert their bases. */
static napi_value js_multi_pow_public(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  modulus *m = unwrap(env, argv[0], &MODULUS_TAG, "expected a modulus handle");
  if (m == NULL) return NULL;
  uint32_t nb = 0, ne = 0;
  bool isarr = false;
  if (napi_is_array(env, argv[1], &isarr) != napi_ok || !isarr) return ARG_ERR("bases must be an array");
  if (napi_is_array(env, argv[2], &isarr) != napi_ok || !isarr) return ARG_ERR("exps must be an array");
  NAPI_OK(napi_get_array_length(env, argv[1], &nb));
  NAPI_OK(napi_get_array_length(env, argv[2], &ne));
  if (nb != ne || nb == 0 || nb > 256) return ARG_ERR("bases and exps must be equal, non-empty arrays");

  BIGNUM *bases[256] = {0}, *exps[256] = {0};
  int neg[256] = {0};
  BN_CTX *ctx = BN_CTX_new();
  BIGNUM *r = BN_new();
  napi_value out = NULL;
  if (ctx == NULL || r == NULL) {
    throw_code(env, "KOFN_BN_NOMEM", "out of memory");
    goto done;
  }
  for (uint32_t i = 0; i < nb; i++) {
    napi_value bv, ev;
    if (napi_get_element(env, argv[1], i, &bv) != napi_ok || napi_get_element(env, argv[2], i, &ev) != napi_ok) {
      throw_napi_failure(env);
      goto done;
    }
    if ((bases[i] = residue_from_bigint(env, bv, m)) == NULL) goto done;
    if ((exps[i] = bn_from_bigint(env, ev, &neg[i])) == NULL) goto done;
    BN_set_negative(exps[i], 0);
  }
  int rc = kofn_multi_pow_public(r, bases, exps, neg, nb, m->n, m->mont, ctx);
  if (rc == 0) throw_code(env, "KOFN_BN_NOT_INVERTIBLE", "value has no inverse modulo n");
  else if (rc < 0) throw_code(env, "KOFN_BN_OPENSSL", "modular exponentiation failed");
  else out = bigint_from_bn(env, r);
done:
  for (uint32_t i = 0; i < nb; i++) {
    BN_free(bases[i]);
    BN_free(exps[i]);
  }
  BN_free(r);
  BN_CTX_free(ctx);
  return out;
}

/* ---------- secrets ---------------------------------------------------------------------- */

static BIGNUM *secure_bn(void) {
  BIGNUM *b = BN_secure_new();
  if (b != NULL) BN_set_flags(b, BN_FLG_CONSTTIME);
  return b;
}

/* Builds a secret bound to m from s (taken over) and the public 2*Delta. Returns NULL on failure. */
static secret *secret_create(modulus *m, BIGNUM *s, const BIGNUM *two_delta) {
  secret *out = calloc(1, sizeof(secret));
  BIGNUM *td = BN_dup(two_delta);
  if (out == NULL || td == NULL) {
    free(out);
    BN_free(td);
    BN_clear_free(s);
    return NULL;
  }
  out->mod = m;
  m->refs++;
  out->s = s;
  out->two_delta = td;
  return out;
}

static napi_value wrap_secret(napi_env env, secret *s) {
  napi_value v = wrap(env, s, &SECRET_TAG, secret_finalize);
  if (v == NULL) {
    secret_free_memory(s);
    free(s);
  }
  return v;
}

/* secretImport(mod, bytes: Buffer, twoDelta: bigint): Secret. Zeroes `bytes` in every case. */
static napi_value js_secret_import(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  bool isbuf = false;
  if (napi_is_buffer(env, argv[1], &isbuf) != napi_ok || !isbuf) return ARG_ERR("share must be a Buffer");
  unsigned char *data = NULL;
  size_t len = 0;
  NAPI_OK(napi_get_buffer_info(env, argv[1], (void **)&data, &len));
  modulus *m = unwrap(env, argv[0], &MODULUS_TAG, "expected a modulus handle");
  if (m == NULL) {
    OPENSSL_cleanse(data, len);
    return NULL;
  }
  BIGNUM *two_delta = bn_from_bigint(env, argv[2], NULL);
  BIGNUM *s = secure_bn();
  BN_CTX *ctx = BN_CTX_secure_new();
  napi_value out = NULL;
  if (two_delta == NULL) goto done;
  if (len == 0 || len > (size_t)m->bytes || s == NULL || ctx == NULL || BN_bin2bn(data, (int)len, s) == NULL) {
    ARG_ERR("share has the wrong length");
    goto done;
  }
  if (BN_is_zero(s) || BN_cmp(s, m->n) >= 0) {
    ARG_ERR("share is out of range");
    goto done;
  }
  secret *sec = secret_create(m, s, two_delta);
  s = NULL; /* taken over */
  if (sec == NULL) {
    throw_code(env, "KOFN_BN_NOMEM", "out of memory");
    goto done;
  }
  out = wrap_secret(env, sec);
done:
  OPENSSL_cleanse(data, len);
  BN_clear_free(s);
  BN_free(two_delta);
  BN_CTX_free(ctx);
  return out;
}

/* secretExport(secret): Buffer of byteLength(n) bytes, big-endian. The caller must wipe it. */
static napi_value js_secret_export(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  secret *s = live_secret(env, argv[0]);
  if (s == NULL) return NULL;
  void *data = NULL;
  napi_value buf;
  NAPI_OK(napi_create_buffer(env, (size_t)s->mod->bytes, &data, &buf));
  if (BN_bn2binpad(s->s, data, s->mod->bytes) < 0) return throw_code(env, "KOFN_BN_OPENSSL", "export failed");
  return buf;
}

/* secretDestroy(secret): wipes now, or as soon as queued async work finishes. Idempotent. */
static napi_value js_secret_destroy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  secret *s = unwrap(env, argv[0], &SECRET_TAG, "expected a secret share handle");
  if (s == NULL) return NULL;
  s->destroyed = 1;
  if (s->inflight == 0) secret_free_memory(s);
  return NULL;
}

static napi_value js_secret_alive(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  secret *s = unwrap(env, argv[0], &SECRET_TAG, "expected a secret share handle");
  if (s == NULL) return NULL;
  napi_value out;
  NAPI_OK(napi_get_boolean(env, !s->destroyed, &out));
  return out;
}

/* r = base^exp mod n, exp secret: always the constant-time ladder with the cached context. */
static int pow_secret(BIGNUM *r, const BIGNUM *base, const BIGNUM *exp, const modulus *m, BN_CTX *ctx) {
  return BN_mod_exp_mont_consttime(r, base, exp, m->n, ctx, m->mont);
}

/*
 * r = x^(2*Delta*s_i) mod n, the signature share (Shoup 2000, section 3), computed as (x^(2*Delta))^s_i.
 * The two are equal, but OpenSSL's constant-time ladder runs over every 64-bit word of the exponent
 * so as not to leak its length: s_i < m < n/4 fits in |n|/64 words, while 2*Delta*s_i needs one more
 * (2054 bits for a 2048-bit key and five shares), and that word cost 3 % of every share. Raising the
 * public x to the public 2*Delta first costs a few Montgomery products, and the secret exponent
 * keeps going only through the constant-time ladder.
 */
static int share_pow(BIGNUM *r, const BIGNUM *x, const secret *s, BN_CTX *ctx) {
  BIGNUM *t = BN_new();
  /* Variable time, which is right here: x, 2*Delta and n are all public (none is BN_FLG_CONSTTIME). */
  int ok = t != NULL && BN_mod_exp_mont(t, x, s->two_delta, s->mod->n, ctx, s->mod->mont) &&
           pow_secret(r, t, s->s, s->mod, ctx);
  BN_free(t);
  return ok;
}

/* Shared body of secretPow / shareSign: base^s_i, or the signature share base^(2*Delta*s_i). */
static napi_value secret_pow_common(napi_env env, napi_callback_info info, int signing) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  secret *s = live_secret(env, argv[0]);
  if (s == NULL) return NULL;
  BIGNUM *x = residue_from_bigint(env, argv[1], s->mod);
  if (x == NULL) return NULL;
  BN_CTX *ctx = BN_CTX_secure_new();
  BIGNUM *r = BN_new();
  napi_value out = NULL;
  if (ctx == NULL || r == NULL || !(signing ? share_pow(r, x, s, ctx) : pow_secret(r, x, s->s, s->mod, ctx)))
    throw_code(env, "KOFN_BN_OPENSSL", "modular exponentiation failed");
  else
    out = bigint_from_bn(env, r);
  BN_free(x);
  BN_free(r);
  BN_CTX_free(ctx);
  return out;
}

/* secretPow(secret, base): base^s_i mod n (verification keys v_i = v^s_i). */
static napi_value js_secret_pow(napi_env env, napi_callback_info info) { return secret_pow_common(env, info, 0); }

/* shareSign(secret, x): x^(2*Delta*s_i) mod n -- Shoup section 3, the signature share. */
static napi_value js_share_sign(napi_env env, napi_callback_info info) { return secret_pow_common(env, info, 1); }

/* ---------- async signing on the libuv pool --------------------------------------------- */

/* Completes an async job on the main thread: resolves with `result`, or rejects with the pending
 * exception or a fixed message; then drops the job's hold on the secret (wiping it if destroy() was
 * called meanwhile and this was the last job). */
static void finish_job(napi_env env, napi_deferred deferred, napi_value result, const char *failure, secret *s,
                       napi_ref secret_ref, napi_async_work work) {
  if (result != NULL) {
    napi_resolve_deferred(env, deferred, result);
  } else {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    napi_value exc = NULL;
    if (pending) napi_get_and_clear_last_exception(env, &exc);
    if (exc == NULL) {
      napi_value msg, code;
      napi_create_string_utf8(env, failure, NAPI_AUTO_LENGTH, &msg);
      napi_create_string_utf8(env, "KOFN_BN_OPENSSL", NAPI_AUTO_LENGTH, &code);
      napi_create_error(env, code, msg, &exc);
    }
    napi_reject_deferred(env, deferred, exc);
  }
  s->inflight--;
  if (s->destroyed && s->inflight == 0) secret_free_memory(s);
  napi_delete_reference(env, secret_ref);
  napi_delete_async_work(env, work);
}

typedef struct sign_job {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref secret_ref; /* keeps the JS handle (and so the secret) alive */
  secret *s;
  BIGNUM *x;
  BIGNUM *r;
  int ok;
} sign_job;

static void sign_execute(napi_env env, void *data) {
  (void)env;
  sign_job *j = data;
  kofn_sched_batch_pool_thread();
  BN_CTX *ctx = BN_CTX_secure_new();
  j->r = BN_new();
  j->ok = ctx != NULL && j->r != NULL && share_pow(j->r, j->x, j->s, ctx);
  BN_CTX_free(ctx);
  if (!j->ok) ERR_clear_error(); /* this pool thread also runs node:crypto's jobs (see throw_code) */
}

static void sign_complete(napi_env env, napi_status status, void *data) {
  sign_job *j = data;
  napi_value result = status == napi_ok && j->ok ? bigint_from_bn(env, j->r) : NULL;
  finish_job(env, j->deferred, result, "modular exponentiation failed", j->s, j->secret_ref, j->work);
  BN_free(j->x);
  BN_free(j->r);
  free(j);
}

/* shareSignAsync(secret, x): Promise<bigint>, computed off the event loop. */
static napi_value js_share_sign_async(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  secret *s = live_secret(env, argv[0]);
  if (s == NULL) return NULL;
  BIGNUM *x = residue_from_bigint(env, argv[1], s->mod);
  if (x == NULL) return NULL;
  sign_job *j = calloc(1, sizeof(sign_job));
  if (j == NULL) {
    BN_free(x);
    return throw_code(env, "KOFN_BN_NOMEM", "out of memory");
  }
  j->s = s;
  j->x = x;
  napi_value promise, name;
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_reference(env, argv[0], 1, &j->secret_ref) != napi_ok ||
      napi_create_string_utf8(env, "kofn.shareSign", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, sign_execute, sign_complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    /* Partially built jobs are rare (out of memory); leak the small struct rather than risk a
       double free of N-API objects whose state is unknown. */
    BN_free(x);
    throw_napi_failure(env);
    return NULL;
  }
  s->inflight++;
  return promise;
}

/* ---------- proof of correctness (Shoup section 4, Fiat-Shamir) ------------------------- */

/* proofCommit(secret, bases: bigint[], rBits): { commitments: bigint[], nonce: Nonce }
 * r uniform in [0, 2^rBits); commitments[i] = bases[i]^r, constant time. r stays native until
 * proofRespond. proofCommitAsync does the same on the libuv pool (a node is asked for proofs exactly
 * when something is wrong, and must keep answering meanwhile). */
typedef struct commit_job {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref secret_ref;
  secret *s;
  BIGNUM *bases[8];
  BIGNUM *out[8];
  uint32_t nb;
  int rbits;
  nonce *nc;
  int ok;
} commit_job;

static void commit_free(commit_job *j) {
  for (uint32_t i = 0; i < j->nb; i++) {
    BN_free(j->bases[i]);
    BN_free(j->out[i]);
  }
  if (j->nc != NULL) {
    BN_clear_free(j->nc->r);
    free(j->nc);
  }
  free(j);
}

/* Reads (secret, bases, rBits); NULL with an exception pending. */
static commit_job *commit_job_new(napi_env env, napi_callback_info info, napi_value *secret_value) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  secret *s = live_secret(env, argv[0]);
  if (s == NULL) return NULL;
  int32_t rbits = 0;
  if (!get_int(env, argv[2], &rbits)) return NULL;
  if (rbits < 64 || rbits > 65536) {
    ARG_ERR("nonce size out of range");
    return NULL;
  }
  bool isarr = false;
  uint32_t nb = 0;
  if (napi_is_array(env, argv[1], &isarr) != napi_ok || !isarr || napi_get_array_length(env, argv[1], &nb) != napi_ok) {
    ARG_ERR("bases must be an array");
    return NULL;
  }
  if (nb == 0 || nb > 8) {
    ARG_ERR("between 1 and 8 bases");
    return NULL;
  }
  commit_job *j = calloc(1, sizeof(commit_job));
  if (j == NULL || (j->nc = calloc(1, sizeof(nonce))) == NULL) {
    free(j);
    throw_code(env, "KOFN_BN_NOMEM", "out of memory");
    return NULL;
  }
  j->s = s;
  j->rbits = rbits;
  for (uint32_t i = 0; i < nb; i++) {
    napi_value bv;
    if (napi_get_element(env, argv[1], i, &bv) != napi_ok ||
        (j->bases[i] = residue_from_bigint(env, bv, s->mod)) == NULL) {
      commit_free(j);
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (!pending) throw_napi_failure(env);
      return NULL;
    }
    j->nb = i + 1;
  }
  *secret_value = argv[0];
  return j;
}

/* Draws r and computes the commitments; runs on the pool for the async form. No N-API here. */
static void commit_execute(napi_env env, void *data) {
  (void)env;
  commit_job *j = data;
  kofn_sched_batch_pool_thread();
  BN_CTX *ctx = BN_CTX_secure_new();
  j->ok = ctx != NULL && (j->nc->r = secure_bn()) != NULL &&
          BN_priv_rand_ex(j->nc->r, j->rbits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY, 0, ctx);
  if (j->ok) BN_set_flags(j->nc->r, BN_FLG_CONSTTIME);
  for (uint32_t i = 0; j->ok && i < j->nb; i++)
    j->ok = (j->out[i] = BN_new()) != NULL && pow_secret(j->out[i], j->bases[i], j->nc->r, j->s->mod, ctx);
  BN_CTX_free(ctx);
  if (!j->ok) ERR_clear_error(); /* as in sign_execute */
}

/* { commitments, nonce }, handing the nonce to its JS handle; NULL on failure. */
static napi_value commit_result(napi_env env, commit_job *j) {
  napi_value result = NULL, arr = NULL, handle = NULL;
  int built = j->ok && napi_create_array_with_length(env, j->nb, &arr) == napi_ok;
  for (uint32_t i = 0; built && i < j->nb; i++) {
    napi_value v = bigint_from_bn(env, j->out[i]);
    built = v != NULL && napi_set_element(env, arr, i, v) == napi_ok;
  }
  if (!built || (handle = wrap(env, j->nc, &NONCE_TAG, nonce_finalize)) == NULL) return NULL;
  j->nc = NULL; /* owned by the handle */
  if (napi_create_object(env, &result) != napi_ok || napi_set_named_property(env, result, "commitments", arr) != napi_ok ||
      napi_set_named_property(env, result, "nonce", handle) != napi_ok)
    return NULL;
  return result;
}

static napi_value js_proof_commit(napi_env env, napi_callback_info info) {
  napi_value secret_value;
  commit_job *j = commit_job_new(env, info, &secret_value);
  if (j == NULL) return NULL;
  commit_execute(env, j);
  napi_value result = commit_result(env, j);
  commit_free(j);
  if (result == NULL) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) throw_code(env, "KOFN_BN_OPENSSL", "proof commitment failed");
  }
  return result;
}

static void commit_complete(napi_env env, napi_status status, void *data) {
  commit_job *j = data;
  napi_value result = status == napi_ok ? commit_result(env, j) : NULL;
  finish_job(env, j->deferred, result, "proof commitment failed", j->s, j->secret_ref, j->work);
  commit_free(j);
}

static napi_value js_proof_commit_async(napi_env env, napi_callback_info info) {
  napi_value secret_value, promise, name;
  commit_job *j = commit_job_new(env, info, &secret_value);
  if (j == NULL) return NULL;
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_reference(env, secret_value, 1, &j->secret_ref) != napi_ok ||
      napi_create_string_utf8(env, "kofn.proofCommit", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, commit_execute, commit_complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  j->s->inflight++;
  return promise;
}

/* proofRespond(nonce, secret, c: bigint): z = s_i*c + r. Consumes the nonce: a second call fails,
 * because two responses to one commitment reveal s_i. */
static napi_value js_proof_respond(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  nonce *nc = unwrap(env, argv[0], &NONCE_TAG, "expected a proof nonce handle");
  if (nc == NULL) return NULL;
  if (nc->used) return throw_code(env, "KOFN_BN_NONCE_REUSED", "proof nonce already used");
  secret *s = live_secret(env, argv[1]);
  if (s == NULL) return NULL;
  BIGNUM *c = bn_from_bigint(env, argv[2], NULL);
  if (c == NULL) return NULL;
  nc->used = 1; /* burnt even if what follows fails */
  BN_CTX *ctx = BN_CTX_secure_new();
  BIGNUM *z = secure_bn();
  napi_value out = NULL;
  if (ctx == NULL || z == NULL || !BN_mul(z, s->s, c, ctx) || !BN_add(z, z, nc->r))
    throw_code(env, "KOFN_BN_OPENSSL", "proof response failed");
  else
    out = bigint_from_bn(env, z); /* z is public: it is the proof */
  BN_clear_free(nc->r);
  nc->r = NULL;
  BN_clear_free(z);
  BN_free(c);
  BN_CTX_free(ctx);
  return out;
}

/* ---------- dealer (Shoup section 3, "the dealer") --------------------------------------- */

/* p = 2p'+1 with p' prime. */
static int is_safe_prime(const BIGNUM *p, BN_CTX *ctx) {
  BIGNUM *h = BN_secure_new();
  int ok = h != NULL && BN_is_odd(p) && BN_rshift1(h, p) && BN_check_prime(p, ctx, NULL) == 1 &&
           BN_check_prime(h, ctx, NULL) == 1;
  BN_clear_free(h);
  return ok;
}

/* 1 with the bytes of v if it is a Buffer, else 0 with *data = NULL and *len = 0. */
static int borrow_buffer(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool isbuf = false;
  *data = NULL;
  *len = 0;
  if (napi_is_buffer(env, v, &isbuf) != napi_ok || !isbuf ||
      napi_get_buffer_info(env, v, (void **)data, len) != napi_ok) {
    *data = NULL;
    *len = 0;
    return 0;
  }
  return 1;
}

typedef enum { SHARE_SAFE_PRIME, SHARE_LAMBDA } sharing_mode;

/* The mode crosses as a short public string, so a typo in JavaScript fails loudly here. */
static int get_sharing(napi_env env, napi_value v, sharing_mode *out) {
  char buf[16];
  size_t len = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok) {
    ARG_ERR("sharing must be 'safe-prime' or 'lambda'");
    return 0;
  }
  if (strcmp(buf, "safe-prime") == 0) *out = SHARE_SAFE_PRIME;
  else if (strcmp(buf, "lambda") == 0) *out = SHARE_LAMBDA;
  else {
    ARG_ERR("sharing must be 'safe-prime' or 'lambda'");
    return 0;
  }
  return 1;
}

/*
 * The modulus the polynomial lives in. Safe primes: m = p'q', the order of Q_n (Shoup, section 3).
 * Imported keys, whose primes are arbitrary: m = lambda(n) = lcm(p-1, q-1), the exponent of Z_n^*,
 * so x^(s mod m) = x^s for every unit x and the combination still yields x^(4 Delta^2 d)
 * (docs/threshold-rsa.md, "Imported keys"). Returns 1, 0 with an exception (bad primes), or -1
 * for an OpenSSL failure. t and u are scratch.
 */
static int sharing_modulus(napi_env env, sharing_mode mode, const BIGNUM *p, const BIGNUM *q, BIGNUM *m,
                           BIGNUM *t, BIGNUM *u, BN_CTX *ctx) {
  if (mode == SHARE_SAFE_PRIME) {
    if (BN_cmp(p, q) == 0 || !is_safe_prime(p, ctx) || !is_safe_prime(q, ctx)) {
      ARG_ERR("p and q must be distinct safe primes");
      return 0;
    }
    return BN_rshift1(t, p) && BN_rshift1(u, q) && BN_mul(m, t, u, ctx) ? 1 : -1;
  }
  if (BN_cmp(p, q) == 0 || !BN_is_odd(p) || !BN_is_odd(q) || BN_check_prime(p, ctx, NULL) != 1 ||
      BN_check_prime(q, ctx, NULL) != 1) {
    ARG_ERR("p and q must be distinct odd primes");
    return 0;
  }
  /* lcm(p-1, q-1) = (p-1)(q-1) / gcd(p-1, q-1); the quotient of BN_div is exact. */
  BIGNUM *g = secure_bn();
  int ok = g != NULL && BN_sub(t, p, BN_value_one()) && BN_sub(u, q, BN_value_one()) && BN_gcd(g, t, u, ctx) &&
           BN_mul(m, t, u, ctx) && BN_div(m, NULL, m, g, ctx);
  BN_clear_free(g);
  return ok ? 1 : -1;
}

/*
 * deal(p: Buffer, q: Buffer, e: bigint, k, l, twoDelta: bigint, sharing: 'safe-prime' | 'lambda')
 *   -> { n: bigint, v: bigint, vks: bigint[], shares: Secret[], modulus: Modulus }
 * Zeroes p and q in every case. d = e^-1 mod m, m from sharing_modulus; f(X) = d + a_1 X + ... +
 * a_{k-1} X^{k-1} with a_j uniform in [0, m); s_i = f(i) mod m; v = r^2 mod n for a uniform unit r;
 * v_i = v^s_i. Every dealer secret is a secure-heap BIGNUM cleared before return.
 */
static napi_value js_deal(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t argc = 7;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  /* Missing arguments read as undefined; the primes are located first so every failure below,
   * argument errors included, can still wipe whichever of them did arrive. */
  unsigned char *pd = NULL, *qd = NULL;
  size_t pl = 0, ql = 0;
  int pbuf = borrow_buffer(env, argv[0], &pd, &pl), qbuf = borrow_buffer(env, argv[1], &qd, &ql);
  if (argc < 7 || !pbuf || !qbuf) {
    if (pd != NULL) OPENSSL_cleanse(pd, pl);
    if (qd != NULL) OPENSSL_cleanse(qd, ql);
    return ARG_ERR(argc < 7 ? "missing arguments" : "p and q must be Buffers");
  }

  BN_CTX *ctx = BN_CTX_secure_new();
  BIGNUM *p = secure_bn(), *q = secure_bn(), *m = secure_bn(), *d = secure_bn(), *acc = secure_bn();
  BIGNUM *t = secure_bn(), *r = secure_bn(), *bi = BN_new(), *n = BN_new(), *v = BN_new(), *vi = BN_new();
  BIGNUM *e = NULL, *two_delta = NULL;
  BIGNUM **coef = NULL;
  secret **shares = NULL;
  modulus *mod = NULL;
  int32_t k = 0, l = 0;
  sharing_mode mode = SHARE_SAFE_PRIME;
  napi_value out = NULL;

  int loaded = p && q && BN_bin2bn(pd, (int)pl, p) && BN_bin2bn(qd, (int)ql, q);
  OPENSSL_cleanse(pd, pl);
  OPENSSL_cleanse(qd, ql);
  if (!ctx || !m || !d || !acc || !t || !r || !bi || !n || !v || !vi || !loaded) {
    throw_code(env, "KOFN_BN_NOMEM", "out of memory");
    goto done;
  }
  if ((e = bn_from_bigint(env, argv[2], NULL)) == NULL) goto done;
  if (!get_int(env, argv[3], &k) || !get_int(env, argv[4], &l)) goto done;
  if ((two_delta = bn_from_bigint(env, argv[5], NULL)) == NULL) goto done;
  if (!get_sharing(env, argv[6], &mode)) goto done;
  if (l < 1 || l > 64 || k < 1 || k > l) {
    ARG_ERR("need 1 <= k <= l <= 64");
    goto done;
  }
  int got = sharing_modulus(env, mode, p, q, m, t, acc, ctx);
  if (got == 0) goto done;
  if (got < 0 || !BN_mul(n, p, q, ctx)) goto openssl;
  if (BN_mod_inverse(d, e, m, ctx) == NULL) {
    ARG_ERR(mode == SHARE_LAMBDA ? "e is not invertible modulo lambda(n) = lcm(p-1, q-1): not an RSA key"
                                 : "e is not invertible modulo m");
    goto done;
  }
  coef = calloc((size_t)k, sizeof(BIGNUM *));
  shares = calloc((size_t)l, sizeof(secret *));
  if (coef == NULL || shares == NULL) goto openssl;
  coef[0] = d;
  d = NULL;
  for (int j = 1; j < k; j++) {
    if ((coef[j] = secure_bn()) == NULL || !BN_priv_rand_range_ex(coef[j], m, 0, ctx)) goto openssl;
  }
  if ((mod = modulus_create(n, ctx)) == NULL) goto openssl;

  /* v: a random square that is a unit, so it generates Q_n with overwhelming probability. */
  do {
    if (!BN_priv_rand_range_ex(r, n, 0, ctx) || !BN_mod_sqr(v, r, n, ctx) || !BN_gcd(t, v, n, ctx)) goto openssl;
  } while (BN_is_zero(v) || !BN_is_one(t));

  napi_value vks, shs;
  if (napi_create_array_with_length(env, (size_t)l, &vks) != napi_ok ||
      napi_create_array_with_length(env, (size_t)l, &shs) != napi_ok)
    goto napi_fail;
  for (int i = 1; i <= l; i++) {
    /* Horner: s_i = (...(a_{k-1} i + a_{k-2}) i + ...) i + a_0 mod m */
    BIGNUM *si = secure_bn();
    if (si == NULL || !BN_set_word(bi, (BN_ULONG)i) || !BN_copy(si, coef[k - 1])) {
      BN_clear_free(si);
      goto openssl;
    }
    for (int j = k - 2; j >= 0; j--) {
      if (!BN_mod_mul(si, si, bi, m, ctx) || !BN_mod_add(si, si, coef[j], m, ctx)) {
        BN_clear_free(si);
        goto openssl;
      }
    }
    if (BN_is_zero(si)) { /* probability ~ 1/m; a zero share would not import */
      BN_clear_free(si);
      ARG_ERR("degenerate share, deal again");
      goto done;
    }
    if ((shares[i - 1] = secret_create(mod, si, two_delta)) == NULL) goto openssl;
    if (!pow_secret(vi, v, shares[i - 1]->s, mod, ctx)) goto openssl;
    napi_value vv;
    if ((vv = bigint_from_bn(env, vi)) == NULL || napi_set_element(env, vks, (uint32_t)(i - 1), vv) != napi_ok)
      goto napi_fail;
  }
  for (int i = 0; i < l; i++) {
    napi_value h = wrap_secret(env, shares[i]);
    shares[i] = NULL; /* wrap_secret frees on failure */
    if (h == NULL || napi_set_element(env, shs, (uint32_t)i, h) != napi_ok) goto napi_fail;
  }
  napi_value modh = wrap(env, mod, &MODULUS_TAG, modulus_finalize);
  if (modh == NULL) goto napi_fail;
  mod->refs++; /* the handle's reference; ours is dropped below */
  napi_value nv, vv;
  if ((nv = bigint_from_bn(env, n)) == NULL || (vv = bigint_from_bn(env, v)) == NULL) goto napi_fail;
  if (napi_create_object(env, &out) != napi_ok || napi_set_named_property(env, out, "n", nv) != napi_ok ||
      napi_set_named_property(env, out, "v", vv) != napi_ok ||
      napi_set_named_property(env, out, "vks", vks) != napi_ok ||
      napi_set_named_property(env, out, "shares", shs) != napi_ok ||
      napi_set_named_property(env, out, "modulus", modh) != napi_ok) {
    out = NULL;
    goto napi_fail;
  }
  goto done;
openssl:
  throw_code(env, "KOFN_BN_OPENSSL", "dealing failed");
  goto done;
napi_fail:
  out = NULL;
  throw_napi_failure(env);
done:
  if (coef != NULL) {
    for (int j = 0; j < k; j++) BN_clear_free(coef[j]);
    free(coef);
  }
  if (shares != NULL) {
    for (int i = 0; i < l; i++)
      if (shares[i] != NULL) {
        secret_free_memory(shares[i]);
        free(shares[i]);
      }
    free(shares);
  }
  modulus_unref(mod);
  BN_clear_free(p);
  BN_clear_free(q);
  BN_clear_free(m);
  BN_clear_free(d);
  BN_clear_free(acc);
  BN_clear_free(t);
  BN_clear_free(r);
  BN_free(bi);
  BN_free(n);
  BN_free(v);
  BN_free(vi);
  BN_free(e);
  BN_free(two_delta);
  BN_CTX_free(ctx);
  return out;
}

/*
 * rsaFactorsMatch(n: bigint, p: Buffer, q: Buffer): boolean -- whether p*q = n, for a key read from a
 * file or a token before it is dealt. Unlike every other call here it leaves p and q as they are: the
 * caller still needs them for deal(), which wipes them, and wipes them itself if it never gets there.
 */
static napi_value js_rsa_factors_match(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  unsigned char *pd = NULL, *qd = NULL;
  size_t pl = 0, ql = 0;
  if (!borrow_buffer(env, argv[1], &pd, &pl) || !borrow_buffer(env, argv[2], &qd, &ql))
    return ARG_ERR("p and q must be Buffers");
  BIGNUM *n = bn_from_bigint(env, argv[0], NULL);
  if (n == NULL) return NULL;
  BN_CTX *ctx = BN_CTX_secure_new();
  BIGNUM *p = secure_bn(), *q = secure_bn(), *pq = secure_bn();
  int ok = ctx && p && q && pq && BN_bin2bn(pd, (int)pl, p) && BN_bin2bn(qd, (int)ql, q) && BN_mul(pq, p, q, ctx);
  int match = ok && BN_cmp(pq, n) == 0;
  BN_clear_free(p);
  BN_clear_free(q);
  BN_clear_free(pq);
  BN_free(n);
  BN_CTX_free(ctx);
  if (!ok) return throw_code(env, "KOFN_BN_OPENSSL", "multiplication failed");
  napi_value out;
  NAPI_OK(napi_get_boolean(env, match, &out));
  return out;
}

/* ---------- benchmark support ------------------------------------------------------------ */

/* benchModexpConsttime(mod, iterations): nanoseconds per BN_mod_exp_mont_consttime with a random
 * exponent as long as n -- the physical limit a signature share is measured against. */
static napi_value js_bench_modexp(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  modulus *m = unwrap(env, argv[0], &MODULUS_TAG, "expected a modulus handle");
  if (m == NULL) return NULL;
  int32_t iters = 0;
  if (!get_int(env, argv[1], &iters) || iters < 1) return ARG_ERR("iterations must be positive");
  BN_CTX *ctx = BN_CTX_new();
  BIGNUM *x = BN_new(), *p = BN_new(), *r = BN_new();
  double ns = -1;
  if (ctx && x && p && r && BN_rand_range(x, m->n) && BN_rand(p, m->bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY)) {
    BN_set_flags(p, BN_FLG_CONSTTIME);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int ok = 1;
    for (int i = 0; i < iters && ok; i++) ok = BN_mod_exp_mont_consttime(r, x, p, m->n, ctx, m->mont);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (ok) ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / iters;
  }
  BN_free(x);
  BN_free(p);
  BN_free(r);
  BN_CTX_free(ctx);
  if (ns < 0) return throw_code(env, "KOFN_BN_OPENSSL", "benchmark failed");
  napi_value out;
  NAPI_OK(napi_create_double(env, ns, &out));
  return out;
}

/* ---------- module ----------------------------------------------------------------------- */

/* schedBatch(): 0, or the errno value why this thread could not be put under SCHED_BATCH. The node
 * daemon calls it on its main thread; pool threads follow at their next share (sched_batch.c). */
static napi_value js_sched_batch(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  NAPI_OK(napi_create_int32(env, kofn_sched_batch_enable(), &out));
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  const napi_property_descriptor props[] = {
      {"modulus", NULL, js_modulus, NULL, NULL, NULL, napi_enumerable, NULL},
      {"multiPowPublic", NULL, js_multi_pow_public, NULL, NULL, NULL, napi_enumerable, NULL},
      {"secretImport", NULL, js_secret_import, NULL, NULL, NULL, napi_enumerable, NULL},
      {"secretExport", NULL, js_secret_export, NULL, NULL, NULL, napi_enumerable, NULL},
      {"secretDestroy", NULL, js_secret_destroy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"secretAlive", NULL, js_secret_alive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"secretPow", NULL, js_secret_pow, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shareSign", NULL, js_share_sign, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shareSignAsync", NULL, js_share_sign_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"proofCommit", NULL, js_proof_commit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"proofCommitAsync", NULL, js_proof_commit_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"proofRespond", NULL, js_proof_respond, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deal", NULL, js_deal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rsaFactorsMatch", NULL, js_rsa_factors_match, NULL, NULL, NULL, napi_enumerable, NULL},
      {"benchModexpConsttime", NULL, js_bench_modexp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"schedBatch", NULL, js_sched_batch, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}
