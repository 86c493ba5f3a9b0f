/**
 * The embedded default (`npm start`, `kofn up`): a local 3-of-5 cluster on loopback and the token
 * service in one foreground process tree, with a token labelled `kofn` and demo PINs created on
 * first run. Everything lives in one state directory and is reused by the next start.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLUSTER_FILE, loadCluster } from '../cluster/cluster-file.js';
import { initCluster } from '../cluster/init.js';
import { LocalCluster } from '../cluster/processes.js';
import { defaultTokenConfig } from '../pkcs11/service/config.js';
import { DB_FILE, type RunningTokenService, startTokenService } from '../pkcs11/service/daemon.js';
import { TokenStore } from '../pkcs11/service/store.js';
import { createToken, tokenUri } from '../pkcs11/service/tokens.js';

/** Demo PINs of the local token: for a developer's machine only, documented in the README. */
export const DEMO = { label: 'kofn', soPin: '12345678', pin: '1234' } as const;
export const MODULE_PATH = fileURLToPath(new URL('../../../native/build/Release/libkofn-pkcs11.so', import.meta.url));

export interface LocalHsm {
  dir: string;
  socket: string;
  cluster: LocalCluster;
  service: RunningTokenService;
  uri: string;
  stop(): Promise<void>;
}

export async function startLocalHsm(opts: { dir: string; socket?: string; nodes?: number; threshold?: number }):
Promise<LocalHsm> {
  const dir = resolve(opts.dir);
  if (!existsSync(join(dir, CLUSTER_FILE))) {
    await initCluster({ dir, nodes: opts.nodes ?? 5, threshold: opts.threshold ?? 3 });
  }
  const cluster = new LocalCluster(loadCluster(dir));
  await cluster.startAll();
  try {
    const store = new TokenStore(join(dir, 'token', DB_FILE));
    let token = store.tokenByLabel(DEMO.label);
    try {
      token ??= await createToken(store, { label: DEMO.label, soPin: DEMO.soPin, userPin: DEMO.pin, clusterDir: dir });
    } finally {
      store.close();
    }
    const socket = resolve(opts.socket ?? join(dir, 'pkcs11.sock'));
    const service = await startTokenService(defaultTokenConfig(join(dir, 'token'), socket));
    return {
      dir, socket, cluster, service, uri: tokenUri(token),
      async stop() {
        await service.close();
        await cluster.stopAll();
      },
    };
  } catch (err) {
    await cluster.stopAll();
    throw err;
  }
}

/** What an operator pastes: the environment, OpenDNSSEC's <Repository>, the libp11 engine block. */
export function usage(h: LocalHsm): string {
  return `kofn local HSM ready: a ${h.cluster.cluster.file.threshold}-of-${h.cluster.ids.length} cluster on loopback, state in ${h.dir}

  module   ${MODULE_PATH}
  socket   ${h.socket}
  token    ${h.uri}
  PINs     user ${DEMO.pin}, SO ${DEMO.soPin} (demo PINs: for this machine only)

Programs that load the module need the socket in their environment:

  export KOFN_SOCKET=${h.socket}
  pkcs11-tool --module ${MODULE_PATH} --login --pin ${DEMO.pin} --list-objects

OpenDNSSEC (conf.xml):

  <Repository name="kofn">
    <Module>${MODULE_PATH}</Module>
    <TokenLabel>${DEMO.label}</TokenLabel>
    <PIN>${DEMO.pin}</PIN>
  </Repository>

BIND's dnssec-* tools through the libp11 engine (openssl.cnf):

  openssl_conf = openssl_init
  [openssl_init]
  engines = engine_section
  [engine_section]
  pkcs11 = pkcs11_section
  [pkcs11_section]
  engine_id = pkcs11
  dynamic_path = /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
  MODULE_PATH = ${MODULE_PATH}
  init = 0

Ctrl-C stops the token service and the nodes.
`;
}
