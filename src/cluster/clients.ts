/**
 * One NodeClient per node of a cluster, made on first use with one of the cluster's client
 * identities (ceremony, auditor…), for tools that talk to several nodes once and then exit.
 */
import { type ClientRole, type Cluster } from './cluster-file.js';
import { NodeClient } from '../coordinator/node-client.js';

export class NodeClients {
  readonly #clients = new Map<string, NodeClient>();
  readonly #tls;

  constructor(readonly cluster: Cluster, role: ClientRole) {
    this.#tls = cluster.tlsFor(role);
  }

  /** Throws for a node the cluster file does not name, or whose certificate is not usable. */
  get(id: string): NodeClient {
    let c = this.#clients.get(id);
    if (c === undefined) {
      const ep = this.cluster.endpoints.find((e) => e.id === id);
      if (ep === undefined) throw new Error(`node ${id} is not in ${this.cluster.dir}/cluster.yaml`);
      c = new NodeClient(ep, this.#tls);
      this.#clients.set(id, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
