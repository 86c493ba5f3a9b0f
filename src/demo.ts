/**
 * `npm start` until the networked cluster lands: deals a 3-of-5 RSA-2048 key in this process, signs
 * with three of the five shares, lets OpenSSL verify the result, and shows a lying share being caught.
 */
import { createHash, verify } from 'node:crypto';
import {
  combineShares,
  generateKey,
  messageRepresentative,
  toSignatureBytes,
} from './threshold/rsa/index.js';

const say = (s: string) => process.stdout.write(`${s}\n`);
const bits = 2048;
const rrset = Buffer.from(
  'example. 3600 IN SOA ns1.example. hostmaster.example. 2026112101 7200 3600 1209600 3600',
);

say(`kofn demo: dealing a ${bits}-bit RSA key as 5 shares, any 3 of which sign (Shoup 2000)...`);
const t0 = performance.now();
const { publicKey, shares } = await generateKey({ bits, shares: 5, threshold: 3 });
say(
  `  dealt in ${(performance.now() - t0).toFixed(0)} ms; the whole private key is wiped, shares live in native memory`,
);

const digest = createHash('sha256').update(rrset).digest();
const x = messageRepresentative({ scheme: 'pkcs1', hash: 'sha256', digest }, bits);
const picked = [shares[0], shares[2], shares[4]].filter((s) => s !== undefined);
const sigShares = await Promise.all(picked.map((s) => s.signAsync(x)));
const { y, used } = combineShares(publicKey, x, sigShares);
const signature = toSignatureBytes(publicKey, y);
say(`  shares ${used.join(', ')} signed; RSASHA256 signature ${signature.subarray(0, 12).toString('hex')}…`);
say(
  `  OpenSSL verifies it with the ordinary public key: ${verify('sha256', rrset, publicKey.toKeyObject(), signature)}`,
);

const proven = shares.map((s) => s.signWithProof(x));
const lying = proven.map((s) => (s.index === 2 ? { ...s, xi: (s.xi * 3n) % publicKey.n } : s));
const robust = combineShares(publicKey, x, lying);
say(
  `  with share 2 lying: its proof fails (${robust.invalid.join(', ')}), shares ${robust.used.join(', ')} sign instead`,
);
say(`  same signature: ${toSignatureBytes(publicKey, robust.y).equals(signature)}`);

for (const s of shares) s.destroy();
say('The networked cluster (nodes over mutual TLS) and the PKCS#11 module come next; see README.md.');
