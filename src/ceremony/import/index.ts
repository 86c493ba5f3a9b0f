/** Reading existing RSA keys for import: PKCS#8/PKCS#1 files, BIND key files, PKCS#11 tokens. */
export { readBindPrivate } from './bind.js';
export { DerError, parsePkcs8RsaPrivateKey, parseRsaPrivateKey, type RsaPrivateParts } from './der.js';
export { ImportError } from './key.js';
export { readPkcs8 } from './pkcs8.js';
export { type Pkcs11Source, readPkcs11Key } from './softhsm.js';
export type { ImportedRsaKey } from './types.js';
