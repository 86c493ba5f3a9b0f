/**
 * Step 1, Open: who is in the room and in which role, then the fingerprints of the tool's own code,
 * of the configuration and of the cluster CA, as hex and as PGP words, read aloud and confirmed by
 * the witnesses before anything else happens (as at the root KSK ceremonies).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../cli/errors.js';
import { type Cluster, CLUSTER_FILE } from '../../cluster/cluster-file.js';
import { certFingerprint, codeFingerprint, fingerprintFiles, readAloud } from '../fingerprint.js';
import type { Session } from '../session.js';

/** The installed tree: dist/src/ceremony/steps → the package root. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const NAME = /^[\p{L}\p{N} .'_-]{1,64}$/u;

function names(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function checkNames(min: number) {
  return (a: unknown): string | undefined => {
    const ns = names(String(a));
    if (ns.length < min) return `at least ${min} name${min > 1 ? 's' : ''}, separated by commas`;
    const bad = ns.find((n) => !NAME.test(n));
    return bad === undefined ? undefined : `'${bad}' is not a plain name`;
  };
}

export interface Participants {
  administrator: string;
  officers: string[];
  witnesses: string[];
}

export async function openStep(s: Session, cluster: Cluster | undefined, extraFiles: string[]): Promise<Participants> {
  s.step(1, 'Open');
  const administrator = await s.askText({
    id: 'open.administrator', message: 'Ceremony administrator (name):', check: checkNames(1),
  });
  const officers = names(await s.askText({
    id: 'open.officers', message: 'Crypto officers present (names, comma-separated):', check: checkNames(1),
  }));
  const witnesses = names(await s.askText({
    id: 'open.witnesses', message: 'Witnesses (names, comma-separated):', check: checkNames(1),
  }));
  const p = { administrator: administrator.trim(), officers, witnesses };
  s.event('participants', {
    roles: [
      { name: p.administrator, role: 'ceremony administrator' },
      ...officers.map((name) => ({ name, role: 'crypto officer' })),
      ...witnesses.map((name) => ({ name, role: 'witness' })),
    ],
  });

  const code = codeFingerprint(PACKAGE_ROOT);
  // Paths relative to the cluster directory, so the value read aloud does not depend on where it sits.
  const config = fingerprintFiles([...(cluster ? [join(cluster.dir, CLUSTER_FILE)] : []), ...extraFiles],
    cluster ? { root: cluster.dir } : {});
  const ca = cluster ? certFingerprint(cluster.caPem) : undefined;
  const show = (what: string, hex: string) => {
    const r = readAloud(hex);
    s.say(`  ${what}`, `    ${r.hex}`, `    ${r.words.join(' ')}`);
  };
  s.say('Read these aloud; the witnesses compare them with the published values:');
  show('code (kofn as installed)', code.sha256);
  show(`configuration (${config.files.length} files)`, config.sha256);
  if (cluster && ca) show(`cluster CA ${cluster.file.cluster}`, ca);
  else s.say('  cluster CA: none yet (this ceremony makes it in step 2)');
  s.event('fingerprints', {
    code: code.sha256, codeFiles: code.files.length, config: config.sha256,
    configFiles: config.files.map((f) => f.path), ...(cluster && ca ? { ca, cluster: cluster.file.cluster } : {}),
  });
  if (!(await s.confirm('open.fingerprints-confirmed', 'Were the fingerprints read aloud and confirmed by the witnesses?'))) {
    throw new UserError('the fingerprints were not confirmed: the ceremony stops here');
  }
  return p;
}
