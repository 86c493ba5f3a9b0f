/**
 * Step 2, Cluster PKI (first ceremony only): create the cluster CA, protect its key (a passphrase,
 * or k-of-n Shamir shares for custodians), sign the nodes' CSRs (each node made its own keys with
 * `kofn node init`; the CA never sees them) and issue the coordinator, ceremony and auditor
 * certificates. The CA key is never written in the clear.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../cli/errors.js';
import { type ClusterFile, writeClusterFile } from '../../cluster/cluster-file.js';
import { issueClients } from '../../cluster/init.js';
import { createCa, signCsr, verifyPeerCertificate, writePrivateFile } from '../../pki/index.js';
import { protectWithPassphrase, splitKey } from '../custody.js';
import { certFingerprint, readAloud } from '../fingerprint.js';
import type { Session } from '../session.js';

const NODE = /^([a-z0-9][a-z0-9._-]{0,62})@([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;

export async function pkiStep(s: Session, dir: string, n: number): Promise<ClusterFile> {
  s.step(n, 'Cluster PKI');
  const clusterId = await s.askText({
    id: 'pki.cluster', message: 'Cluster name:', default: `cluster-${randomBytes(3).toString('hex')}`,
    check: (a) => (/^[a-z0-9][a-z0-9._-]{0,62}$/.test(String(a)) ? undefined : 'lower-case letters, digits, . _ -'),
  });
  const nodeList = (await s.askText({
    id: 'pki.nodes', message: 'Nodes as id@host:port, comma-separated:',
    check: (a) => {
      const items = String(a).split(',').map((x) => x.trim());
      const bad = items.find((x) => !NODE.test(x));
      return bad === undefined ? undefined : `'${bad}' is not id@host:port`;
    },
  })).split(',').map((x) => x.trim());
  const threshold = Number(await s.askText({
    id: 'pki.threshold', message: `Default threshold k for ${nodeList.length} nodes:`,
    default: String(Math.floor(nodeList.length / 2) + 1),
    check: (a) => (Number(a) > nodeList.length / 2 && Number(a) <= nodeList.length ? undefined : 'more than half'),
  }));
  const csrs: { id: string; address: string; csrPem: string }[] = [];
  for (const item of nodeList) {
    const m = NODE.exec(item);
    if (m === null) continue;
    const id = m[1] ?? '';
    const path = await s.askText({
      id: `pki.csr.${id}`, message: `CSR file of ${id} (from kofn node init):`, default: join(dir, 'nodes', id, 'node.csr'),
      check: (a) => (existsSync(String(a)) ? undefined : 'no such file'),
    });
    const csrPem = readFileSync(path, 'utf8');
    s.event('csr', { node: id, file: resolve(path), sha256: createHash('sha256').update(csrPem).digest('hex') });
    csrs.push({ id, address: `${m[2] ?? ''}:${m[3] ?? ''}`, csrPem });
  }
  const protection = await s.select('pki.protection', 'Protect the CA key with:', [
    { name: 'a passphrase', value: 'passphrase' },
    { name: 'Shamir shares, k of n custodians', value: 'shamir' },
  ], 'shamir');
  let custodians: string[] = [];
  let ck = 0;
  let passphrase = '';
  if (protection === 'passphrase') {
    passphrase = await s.askText({ id: 'pki.passphrase', message: 'CA key passphrase (12 characters or more):',
      check: (a) => (String(a).length >= 12 ? undefined : 'at least 12 characters') }, { secret: true });
  } else {
    custodians = (await s.askText({ id: 'pki.custodians', message: 'Custodians (names, comma-separated):',
      check: (a) => (String(a).split(',').filter((x) => x.trim()).length >= 2 ? undefined : 'at least two') }))
      .split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    ck = Number(await s.askText({ id: 'pki.custodians-k', message: `Custodians needed to use the CA key, of ${custodians.length}:`,
      default: String(Math.floor(custodians.length / 2) + 1),
      check: (a) => (Number(a) >= 2 && Number(a) <= custodians.length ? undefined : `2 to ${custodians.length}`) }));
  }
  s.say(`About to create CA ${clusterId}, sign ${csrs.length} node certificates and issue the client certificates.`);
  if (!(await s.confirm('pki.confirm', 'Create the cluster PKI now?', true))) throw new UserError('stopped before the PKI');

  mkdirSync(join(dir, 'ca'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'certs'), { recursive: true, mode: 0o700 });
  const ca = await createCa({ clusterId });
  writeFileSync(join(dir, 'ca', 'ca.crt'), ca.certPem);
  const fp = certFingerprint(ca.certPem);
  if (protection === 'passphrase') {
    writePrivateFile(join(dir, 'ca', 'ca.key.enc'), protectWithPassphrase(ca.keyPem, passphrase));
    s.event('ca-key', { protection, file: 'ca/ca.key.enc' });
  } else {
    mkdirSync(join(dir, 'ca', 'custodians'), { recursive: true, mode: 0o700 });
    const shares = await splitKey(ca.keyPem, ck, custodians.length, ca.certPem);
    custodians.forEach((name, i) => {
      const file = join(dir, 'ca', 'custodians', `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.share`);
      writePrivateFile(file, `${shares[i] ?? ''}\n`);
      s.say(`  custodian ${name}: ${file} (take it away on your own medium, then delete it here)`);
      s.event('custodian', { name, index: i + 1, sha256: createHash('sha256').update(shares[i] ?? '').digest('hex') });
    });
    s.event('ca-key', { protection, k: ck, n: custodians.length });
  }
  const nodes: ClusterFile['nodes'] = [];
  for (const c of csrs) {
    const certPem = await signCsr({ ca, csrPem: c.csrPem, allowedRoles: ['node'] });
    const v = verifyPeerCertificate(certPem, ca.certPem);
    if (!v.ok || v.identity !== c.id) throw new UserError(`the CSR given for ${c.id} names ${v.ok ? v.identity : '?'}`);
    writeFileSync(join(dir, 'certs', `${c.id}.crt`), certPem);
    nodes.push({ id: c.id, address: c.address, cert: `certs/${c.id}.crt` });
    s.event('certificate', { node: c.id, fingerprint: certFingerprint(certPem) });
  }
  const clients = await issueClients(dir, ca, (client, roles, certPem) =>
    s.event('certificate', { client, roles, fingerprint: certFingerprint(certPem) }));
  const file: ClusterFile = { version: 1, cluster: clusterId, threshold, ca: 'ca/ca.crt', nodes, clients };
  writeClusterFile(dir, file);
  const r = readAloud(fp);
  s.say(`Cluster CA ${clusterId} made. Read its fingerprint aloud:`, `  ${r.hex}`, `  ${r.words.join(' ')}`,
    `Give each node its certificate (${join(dir, 'certs')}) and ca/ca.crt.`);
  s.event('pki', { created: true, cluster: clusterId, ca: fp, nodes: nodes.map((x) => x.id) });
  return file;
}
