/* Products of powers of public values modulo n (see multi_pow.c). */
#ifndef KOFN_MULTI_POW_H
#define KOFN_MULTI_POW_H

#include <openssl/bn.h>
#include <stddef.h>

/* out = prod bases[i]^(neg[i] ? -exps[i] : exps[i]) mod n, for public bases reduced modulo n and
 * exponent magnitudes exps[i] >= 0; mont is n's Montgomery context. Returns 1 on success, 0 if a
 * base with a negative exponent is not invertible modulo n, -1 on an OpenSSL or memory failure.
 * Variable time: never pass a secret. */
int kofn_multi_pow_public(BIGNUM *out, BIGNUM *const *bases, BIGNUM *const *exps, const int *neg, size_t count,
                          const BIGNUM *n, BN_MONT_CTX *mont, BN_CTX *ctx);

#endif
