/*
 * Public multi-exponentiation: the share combination y = prod x_j^(2*lambda_j*a) * x^b (Shoup 2000,
 * section 3), signature verification y^e, and the proof checks v^z * v_i^(-c) (section 3, the
 * Chaum-Pedersen-style proof of equality of discrete logs).
 *
 * Small exponents (the combination's are about 26 bits, e is 17) take Straus's simultaneous method
 * (Straus 1964; Handbook of Applied Cryptography, algorithm 14.88 with w = 1): one chain of
 * squarings shared by every base, in the Montgomery domain. Bases with negative exponents are
 * inverted together by Montgomery's trick (one inverse and 3(k-1) products for k bases). Large
 * exponents (a proof's z, about |n| + 256 bits) go through OpenSSL's windowed BN_mod_exp_mont per
 * base instead, where the windows save more than the shared squarings would, and the product of the
 * negative-exponent powers is inverted once.
 */
#include "multi_pow.h"

#include "public_inverse.h"

/* Up to this many exponent bits the shared squaring chain is cheaper than one window per base. */
#define STRAUS_MAX_BITS 64

/* Montgomery's trick: replaces each mb[idx[j]] (Montgomery form) by its inverse. */
static int invert_together(BIGNUM **mb, const size_t *idx, size_t k, const BIGNUM *n, BN_MONT_CTX *mont,
                           BN_CTX *ctx) {
  BIGNUM **prefix = OPENSSL_malloc(k * sizeof *prefix);
  if (prefix == NULL) return -1;
  int rc = -1;
  BN_CTX_start(ctx);
  BIGNUM *inv = BN_CTX_get(ctx), *tmp = BN_CTX_get(ctx);
  for (size_t j = 0; j < k; j++) prefix[j] = BN_CTX_get(ctx);
  if (prefix[k - 1] == NULL || tmp == NULL || BN_copy(prefix[0], mb[idx[0]]) == NULL) goto done;
  for (size_t j = 1; j < k; j++) {
    if (!BN_mod_mul_montgomery(prefix[j], prefix[j - 1], mb[idx[j]], mont, ctx)) goto done;
  }
  /* The inverse of the whole product, taken out of and back into the Montgomery domain. */
  if (!BN_from_montgomery(tmp, prefix[k - 1], mont, ctx)) goto done;
  int inverted = kofn_public_mod_inverse(inv, tmp, n);
  if (inverted <= 0) {
    rc = inverted;
    goto done;
  }
  if (!BN_to_montgomery(inv, inv, mont, ctx)) goto done;
  /* inv is now (m_0 ... m_j)^-1; peel one base off per step. */
  for (size_t j = k - 1; j > 0; j--) {
    if (!BN_mod_mul_montgomery(tmp, inv, prefix[j - 1], mont, ctx) ||
        !BN_mod_mul_montgomery(inv, inv, mb[idx[j]], mont, ctx) || BN_copy(mb[idx[j]], tmp) == NULL) {
      goto done;
    }
  }
  rc = BN_copy(mb[idx[0]], inv) != NULL ? 1 : -1;
done:
  BN_CTX_end(ctx);
  OPENSSL_free(prefix);
  return rc;
}

static int multi_pow_straus(BIGNUM *out, BIGNUM *const *bases, BIGNUM *const *exps, const int *neg, size_t count,
                            int bits, const BIGNUM *n, BN_MONT_CTX *mont, BN_CTX *ctx) {
  BIGNUM **mb = OPENSSL_malloc(count * sizeof *mb);
  size_t *negs = OPENSSL_malloc(count * sizeof *negs);
  int rc = -1;
  BN_CTX_start(ctx);
  if (mb == NULL || negs == NULL) goto done;
  BIGNUM *acc = BN_CTX_get(ctx);
  size_t k = 0;
  for (size_t i = 0; i < count; i++) {
    mb[i] = BN_CTX_get(ctx);
    if (mb[i] == NULL || !BN_to_montgomery(mb[i], bases[i], mont, ctx)) goto done;
    if (neg[i] && !BN_is_zero(exps[i])) negs[k++] = i;
  }
  if (acc == NULL) goto done;
  if (k > 0) {
    int inverted = invert_together(mb, negs, k, n, mont, ctx);
    if (inverted <= 0) {
      rc = inverted;
      goto done;
    }
  }
  int started = 0;
  for (int bit = bits - 1; bit >= 0; bit--) {
    if (started && !BN_mod_mul_montgomery(acc, acc, acc, mont, ctx)) goto done;
    for (size_t i = 0; i < count; i++) {
      if (!BN_is_bit_set(exps[i], bit)) continue;
      if (started) {
        if (!BN_mod_mul_montgomery(acc, acc, mb[i], mont, ctx)) goto done;
      } else {
        if (BN_copy(acc, mb[i]) == NULL) goto done;
        started = 1;
      }
    }
  }
  if (!started) rc = BN_one(out) ? 1 : -1; /* every exponent zero */
  else rc = BN_from_montgomery(out, acc, mont, ctx) ? 1 : -1;
done:
  BN_CTX_end(ctx);
  OPENSSL_free(mb);
  OPENSSL_free(negs);
  return rc;
}

static int multi_pow_windowed(BIGNUM *out, BIGNUM *const *bases, BIGNUM *const *exps, const int *neg,
                              size_t count, const BIGNUM *n, BN_MONT_CTX *mont, BN_CTX *ctx) {
  int rc = -1, have_neg = 0;
  BN_CTX_start(ctx);
  BIGNUM *pos = BN_CTX_get(ctx), *den = BN_CTX_get(ctx), *t = BN_CTX_get(ctx);
  if (t == NULL || !BN_one(pos) || !BN_one(den)) goto done;
  for (size_t i = 0; i < count; i++) {
    BIGNUM *acc = neg[i] ? den : pos;
    have_neg |= neg[i];
    if (!BN_mod_exp_mont(t, bases[i], exps[i], n, ctx, mont) || !BN_mod_mul(acc, acc, t, n, ctx)) goto done;
  }
  if (have_neg) {
    int inverted = kofn_public_mod_inverse(t, den, n);
    if (inverted <= 0) {
      rc = inverted;
      goto done;
    }
    if (!BN_mod_mul(pos, pos, t, n, ctx)) goto done;
  }
  rc = BN_copy(out, pos) != NULL ? 1 : -1;
done:
  BN_CTX_end(ctx);
  return rc;
}

int kofn_multi_pow_public(BIGNUM *out, BIGNUM *const *bases, BIGNUM *const *exps, const int *neg, size_t count,
                          const BIGNUM *n, BN_MONT_CTX *mont, BN_CTX *ctx) {
  int bits = 0;
  for (size_t i = 0; i < count; i++) {
    int b = BN_num_bits(exps[i]);
    if (b > bits) bits = b;
  }
  return bits <= STRAUS_MAX_BITS ? multi_pow_straus(out, bases, exps, neg, count, bits, n, mont, ctx)
                                 : multi_pow_windowed(out, bases, exps, neg, count, n, mont, ctx);
}
