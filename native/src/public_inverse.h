/* Modular inverse of public values, with GMP (see public_inverse.c). */
#ifndef KOFN_PUBLIC_INVERSE_H
#define KOFN_PUBLIC_INVERSE_H

#include <openssl/bn.h>

/* out = a^-1 mod n for public a and odd n > 1, with 0 <= a < n. Returns 1 on success, 0 if a is not
 * invertible modulo n, -1 if memory ran out. Not constant time: never pass a secret. */
int kofn_public_mod_inverse(BIGNUM *out, const BIGNUM *a, const BIGNUM *n);

#endif
