/**
 * The cluster CA's private key, however the first ceremony protected it (docs/ceremony.md, step 2):
 * `ca.key` in the clear (kofn cluster init, development), `ca.key.enc` under a passphrase, or no
 * file at all because k custodians hold Shamir shares of it. The key is rebuilt only in memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { combineKey, CustodyError, unprotect } from '../ceremony/custody.js';
import { certFingerprint } from '../ceremony/fingerprint.js';
import { UserError } from '../cli/errors.js';
import { type CertAndKey, readPrivateFile } from '../pki/index.js';

export interface CaKeySource {
  passphrase?: string;
  /** Custodian share texts (kofn-ca-share:v1:…), at least k of them. */
  shares?: readonly string[];
}

export async function loadCa(caDir: string, src: CaKeySource = {}): Promise<CertAndKey> {
  if (!existsSync(join(caDir, 'ca.crt'))) throw new UserError(`${caDir} has no ca.crt: is it the CA directory?`);
  const certPem = readFileSync(join(caDir, 'ca.crt'), 'utf8');
  const clear = join(caDir, 'ca.key');
  const enc = join(caDir, 'ca.key.enc');
  try {
    if (existsSync(clear)) return { certPem, keyPem: readPrivateFile(clear).toString('utf8') };
    if (existsSync(enc)) {
      if (src.passphrase === undefined) throw new UserError(`${enc} is encrypted: give its passphrase (--passphrase-file)`);
      return { certPem, keyPem: unprotect(readFileSync(enc, 'utf8'), src.passphrase) };
    }
    if (src.shares === undefined || src.shares.length === 0) {
      throw new UserError(`${caDir} has no CA key: its custodians' shares rebuild it (--custodian-share, k times)`);
    }
    const keyPem = await combineKey(src.shares, certFingerprint(certPem));
    return { certPem, keyPem };
  } catch (err) {
    if (err instanceof CustodyError) throw new UserError(err.message);
    throw err;
  }
}
