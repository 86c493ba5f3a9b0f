/** Shoup's practical threshold RSA signatures (EUROCRYPT 2000). No I/O. See docs/threshold-rsa.md. */
export { type CombineResult, combineShares, combineSubset } from './combine.js';
export {
  digestInfo,
  emsaPkcs1v15,
  emsaPss,
  HASH_LENGTH,
  type HashName,
  messageRepresentative,
  mgf1,
  type PssOptions,
  type SignatureInput,
} from './encoding.js';
export { ThresholdError, type ThresholdErrorCode } from './errors.js';
export { KeyShare, type SignatureShare } from './key-share.js';
export {
  type DealtKey,
  dealFromPrimes,
  dealImported,
  generateKey,
  type ImportDealOptions,
  type KeyGenOptions,
  opensslSafePrime,
  type PrimeSource,
  type Sharing,
} from './keygen.js';
export { combinationExponents, extendedGcd, lagrangeAtZero } from './lagrange.js';
export {
  DEFAULT_E,
  defaultThreshold,
  delta,
  MAX_PLAYERS,
  SUPPORTED_BITS,
  validateParameters,
} from './params.js';
export {
  CHALLENGE_BITS,
  nonceBits,
  PROOF_LABEL,
  proofChallenge,
  type ShareProof,
  verifyShareProof,
} from './proof.js';
export { type PublicKeyJson, rsaPublicKeyObject, ThresholdPublicKey } from './public-key.js';
export { signWithShares, toSignatureBytes } from './sign.js';
