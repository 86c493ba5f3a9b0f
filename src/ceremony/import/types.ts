/** An existing RSA key read for import (PKCS#8, BIND, a PKCS#11 token), before it is dealt. */

export interface ImportedRsaKey {
  /** The public modulus, as the source states it (checked to equal p·q). */
  n: bigint;
  e: bigint;
  /** The primes, big-endian, in Buffers of their own: `dealImported` zeroes them, `wipe` does too. */
  p: Buffer;
  q: Buffer;
  /** Where the key came from, for people: "PKCS#8 file /x/y.pem". */
  source: string;
  /** CKA_LABEL on the source token. */
  label?: string;
  /** CKA_ID on the source token, so the ceremony can register the key under the same one. */
  ckaId?: Buffer;
  /** DNSSEC algorithm number (5, 7, 8 or 10), when the source says. */
  dnssecAlgorithm?: number;
  /** DNSKEY flags (256 ZSK, 257 KSK), when the source says. */
  flags?: number;
  /** Owner name of the DNSKEY, fully qualified, when the source says. */
  zone?: string;
  /** RFC 4034 key tag of the DNSKEY, when the source gives flags and algorithm. */
  keyTag?: number;
  /** Zeroes p and q. Idempotent; call it in a `finally` whether or not the key was dealt. */
  wipe(): void;
}
