/**
 * kofn ceremony: the numbered, scripted steps of a key ceremony (docs/ceremony.md). The same code
 * runs at a terminal and from an answers file; the transcript records which.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../cli/errors.js';
import { NodeClients } from '../cluster/clients.js';
import { CLUSTER_FILE, loadCluster } from '../cluster/cluster-file.js';
import { DB_FILE } from '../pkcs11/service/daemon.js';
import { TokenStore } from '../pkcs11/service/store.js';
import { readAloud } from './fingerprint.js';
import { AnswersPrompter, InteractivePrompter } from './prompter.js';
import { Session } from './session.js';
import { keygenStep, type KeygenPlan } from './steps/keygen.js';
import { openStep } from './steps/open.js';
import { pkiStep } from './steps/pki.js';
import { registerStep, shipStep } from './steps/ship-register.js';
import { unreachable } from './ship.js';
import { renderSummary } from './summary.js';

export interface CeremonyOptions {
  /** State directory: token/token.db and, by default, the cluster. */
  dir: string;
  answers?: string;
  transcript?: string;
  out?: (line: string) => void;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function runCeremony(o: CeremonyOptions): Promise<{ transcript: string; summary: string }> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const prompter = o.answers ? new AnswersPrompter(o.answers, out) : new InteractivePrompter();
  const s = new Session(prompter, out);
  const dir = resolve(o.dir);
  out(`kofn key ceremony (${prompter.mode}${o.answers ? ` from ${o.answers}` : ''}), state in ${dir}`);

  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const id = await s.askText({
    id: 'open.ceremony', message: 'Ceremony id:', default: `ceremony-${stamp}`,
    check: (a) => (ID.test(String(a)) ? undefined : 'letters, digits, dot, dash and underscore, at most 64'),
  });
  const transcript = resolve(o.transcript ?? join(dir, 'ceremonies', `${id}.jsonl`));
  if (existsSync(transcript)) throw new UserError(`${transcript} exists: a ceremony id is used once`);
  mkdirSync(dirname(transcript), { recursive: true, mode: 0o700 });
  s.startTranscript(transcript, {
    ceremony: id, mode: prompter.mode, tool: 'kofn ceremony', started: new Date().toISOString(),
  });

  let store: TokenStore | undefined;
  let plan: KeygenPlan | undefined;
  let clients: NodeClients | undefined;
  try {
    const extra = o.answers ? [resolve(o.answers)] : [];
    if (!existsSync(join(dir, CLUSTER_FILE))) {
      // A first ceremony: it opens without a CA to read out, makes the PKI, and ends there, because
      // keys need running nodes (with the certificates it just signed) and a token.
      await openStep(s, undefined, extra);
      await pkiStep(s, dir, 2);
      s.say('Next: install each node\'s certificate and start the nodes, run kofn token init, then hold a key ceremony.');
      return close(s, undefined, transcript, loadCluster(dir).tlsFor('ceremony'));
    }
    const cluster = loadCluster(dir);
    await openStep(s, cluster, extra);
    s.step(2, 'Cluster PKI');
    s.say(`The cluster ${cluster.file.cluster} exists (${cluster.endpoints.length} nodes); its PKI is not changed.`);
    s.event('pki', { created: false, cluster: cluster.file.cluster });
    if (!existsSync(join(dir, 'token', DB_FILE))) throw new UserError(`${dir}/token has no token store: run kofn token init`);
    store = new TokenStore(join(dir, 'token', DB_FILE));
    const ceremonyClients = new NodeClients(cluster, 'ceremony');
    clients = ceremonyClients;
    plan = await keygenStep(s, store, (ids) => unreachable(ceremonyClients, ids));
    await shipStep(s, ceremonyClients, store, plan);
    registerStep(s, store, plan, id);
    return close(s, plan, transcript, cluster.tlsFor('ceremony'));
  } catch (err) {
    s.event('abort', { reason: err instanceof Error ? err.message : String(err) });
    wipe(s, plan);
    const t = s.transcript;
    if (t && existsSync(join(dir, CLUSTER_FILE))) {
      const tls = loadCluster(dir).tlsFor('ceremony');
      t.seal(tls.keyPem, tls.certPem);
    }
    throw err;
  } finally {
    clients?.close();
    store?.close();
  }
}

function wipe(s: Session, plan: KeygenPlan | undefined): void {
  if (plan === undefined) return;
  for (const k of plan.keys) for (const sh of k.dealt.shares) sh.destroy();
  s.event('wipe', { keys: plan.keys.map((k) => k.keyId), shares: plan.keys.reduce((n, k) => n + k.dealt.shares.length, 0) });
}

function close(s: Session, plan: KeygenPlan | undefined, transcript: string, tls: { keyPem: string; certPem: string }):
{ transcript: string; summary: string } {
  s.step(6, 'Close');
  wipe(s, plan);
  s.say('The dealt key and every share held by this tool are wiped from its memory.');
  for (const k of plan?.keys ?? []) {
    if (k.origin === 'imported') {
      s.say(`The source of ${k.label} (${k.source}) was NOT deleted: destroy it according to your policy.`);
      s.event('import', { keyId: k.keyId, source: k.source, sourceDeleted: false });
    }
  }
  const t = s.transcript;
  if (t === undefined) throw new Error('no transcript');
  const head = t.seal(tls.keyPem, tls.certPem);
  const summary = transcript.replace(/\.jsonl$/, '') + '.md';
  writeFileSync(summary, renderSummary(readFileSync(transcript, 'utf8')), { mode: 0o600 });
  const r = readAloud(head);
  s.say(`Transcript ${transcript}, sealed with the ceremony key.`, `  head ${r.hex}`, `  ${r.words.join(' ')}`,
    `Summary for sign-off: ${summary}`);
  return { transcript, summary };
}
