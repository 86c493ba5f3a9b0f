/*
 * The one modular inverse of every share combination (Shoup 2000, section 3: some Lagrange
 * coefficients, and one of the Bezout exponents a, b, are negative).
 *
 * Why GMP: OpenSSL's BN_mod_inverse runs a bit-by-bit binary algorithm; for a 2048-bit modulus it
 * takes about 175 us, more than the whole rest of a combination. GMP's mpz_invert (subquadratic
 * half-gcd) takes about 12 us. Only public values come here, the shares x_i and the message
 * representative, so GMP's variable-time algorithms leak nothing.
 */
#include "public_inverse.h"

#include <gmp.h>
#include <stdlib.h>

static int bn_to_mpz(mpz_t out, const BIGNUM *a) {
  int len = BN_num_bytes(a);
  unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
  if (buf == NULL) return 0;
  BN_bn2bin(a, buf);
  mpz_import(out, (size_t)len, 1, 1, 1, 0, buf);
  free(buf);
  return 1;
}

static int mpz_to_bn(BIGNUM *out, const mpz_t a) {
  size_t len = (mpz_sizeinbase(a, 2) + 7) / 8;
  unsigned char *buf = malloc(len > 0 ? len : 1);
  if (buf == NULL) return 0;
  size_t written = 0;
  mpz_export(buf, &written, 1, 1, 1, 0, a);
  int ok = BN_bin2bn(buf, (int)written, out) != NULL;
  free(buf);
  return ok;
}

int kofn_public_mod_inverse(BIGNUM *out, const BIGNUM *a, const BIGNUM *n) {
  mpz_t za, zn, zi;
  mpz_inits(za, zn, zi, NULL);
  int rc = -1;
  if (bn_to_mpz(za, a) && bn_to_mpz(zn, n)) {
    if (!mpz_invert(zi, za, zn)) rc = 0;
    else rc = mpz_to_bn(out, zi) ? 1 : -1;
  }
  mpz_clears(za, zn, zi, NULL);
  return rc;
}
