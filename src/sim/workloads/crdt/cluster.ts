// The simulated cluster of the `crdt` workload: named nodes, each running one Replicator under
// its current incarnation's ReplicaId, wired through SimNetwork on SimScheduler. Membership is
// driven directly (a node leaves, keeps or loses its state, and rejoins); a node that lost its
// state rejoins under a new ReplicaId, as the replication core requires.

import { assert } from "../../../lib/assert.js";
import { Prng } from "../../../lib/prng.js";
import { type ReplicaId, replicaId } from "../../../types.js";
import { hlcConfigDefault } from "../../../protocol/clock/index.js";
import type { CrdtMutants } from "../../../protocol/crdt/index.js";
import {
  describeMessage,
  messageSizeBytes,
  type ReplicationMessage,
  Replicator,
  type ReplicatorConfig,
} from "../../../protocol/replication/index.js";
import type { LinkFaults } from "../../network.js";
import { SimNetwork } from "../../network.js";
import type { SimScheduler } from "../../scheduler.js";
import { simEpochMs } from "../../sim_clock.js";
import type { Trace } from "../../trace.js";

/** One simulated member. */
export interface CrdtNode {
  readonly name: string;
  incarnation: number;
  /** The live replica, or null after the node lost its state (until it rejoins). */
  replicator: Replicator | null;
  isUp: boolean;
  /** This node's wall clock minus virtual time, well inside the HLC drift bound. */
  readonly wallOffsetMs: number;
}

/** Tunables of the cluster. */
export interface CrdtClusterOptions {
  readonly nodeCount: number;
  readonly tickMs: number;
  readonly mode: "delta" | "full";
  readonly mutants: CrdtMutants;
  readonly faults: LinkFaults;
  readonly seed: number;
}

/** Returns the replicator configuration the workload runs with. */
export function workloadReplicatorConfig(mode: "delta" | "full", mutants: CrdtMutants): ReplicatorConfig {
  return {
    mode,
    gossipIntervalTicks: 2,
    antiEntropyIntervalTicks: 10,
    deltaBufferEntriesMax: 256,
    retransmitTicks: 8,
    leafStatesEntriesMax: 64,
    merkle: { fanout: 16, depth: 2 },
    hlc: { ...hlcConfigDefault(), driftMsMax: 1_000 },
    mutants,
  };
}

/** The nodes, their network, and membership changes. */
export class CrdtCluster {
  readonly nodes: CrdtNode[] = [];
  readonly network: SimNetwork<ReplicationMessage>;
  private readonly owners = new Map<ReplicaId, CrdtNode>();

  constructor(
    readonly scheduler: SimScheduler,
    readonly trace: Trace,
    private readonly options: CrdtClusterOptions,
  ) {
    const networkPrng = Prng.derive(options.seed, `crdt-network-${options.mode}`);
    this.network = new SimNetwork<ReplicationMessage>(scheduler, networkPrng, trace, {
      faults: options.faults,
      describe: describeMessage,
      sizeBytes: messageSizeBytes,
    });
    const clockPrng = Prng.derive(options.seed, "crdt-clocks");
    for (let i = 0; i < options.nodeCount; i++) {
      const node: CrdtNode = {
        name: `n${i}`,
        incarnation: 0,
        replicator: null,
        isUp: false,
        wallOffsetMs: clockPrng.intBetween(-200, 200),
      };
      this.nodes.push(node);
      this.join(node);
    }
  }

  /** The node's wall clock now, in integer milliseconds. */
  wallMs(node: CrdtNode): number {
    return Math.floor(simEpochMs + this.scheduler.nowMs + node.wallOffsetMs);
  }

  /** The nodes that are up. */
  upNodes(): CrdtNode[] {
    return this.nodes.filter((node) => node.isUp);
  }

  /** Ticks every up node and sends what it queued. */
  tick(): void {
    for (const node of this.nodes) {
      if (!node.isUp) continue;
      node.replicator!.tick();
      this.flush(node);
      node.replicator!.invariants(); // DESIGN.md: invariants after every step in simulation.
    }
  }

  /** Sends everything `node` queued. */
  flush(node: CrdtNode): void {
    for (const message of node.replicator!.takeOutbox()) {
      const target = this.owners.get(message.to);
      if (target === undefined) continue; // An incarnation that no longer exists.
      this.network.send(node.name, target.name, message);
    }
  }

  /** Takes `node` out of the cluster; with `loseState`, its replica is gone for good. */
  leave(node: CrdtNode, loseState: boolean): void {
    assert(node.isUp, "only an up node leaves");
    node.isUp = false;
    this.network.detach(node.name);
    if (loseState) {
      this.owners.delete(node.replicator!.self);
      node.replicator = null;
    }
    this.trace.record(this.scheduler.nowMs, `crdt leave ${node.name} lose=${loseState}`);
    this.refreshPeers();
  }

  /** Brings `node` back (or up for the first time); without state it takes a new ReplicaId. */
  join(node: CrdtNode): void {
    assert(!node.isUp, "only a down node joins");
    if (node.replicator === null) {
      node.incarnation += 1;
      const id = replicaId(`${node.name}.${node.incarnation}`);
      const prng = Prng.derive(this.options.seed, `crdt-replica-${id}-${this.options.mode}`);
      node.replicator = new Replicator(
        id,
        workloadReplicatorConfig(this.options.mode, this.options.mutants),
        prng,
      );
      this.owners.set(id, node);
    }
    node.isUp = true;
    this.network.attach(node.name, (_from, message) => this.deliver(node, message));
    this.trace.record(this.scheduler.nowMs, `crdt join ${node.name} as ${node.replicator.self}`);
    this.refreshPeers();
  }

  /** Whether every up replica has nothing left to send. */
  isQuiet(): boolean {
    return this.upNodes().every((node) => node.replicator!.isQuiet());
  }

  private deliver(node: CrdtNode, message: ReplicationMessage): void {
    if (!node.isUp) return;
    node.replicator!.step(message, this.wallMs(node));
    this.flush(node);
  }

  private refreshPeers(): void {
    const ids = this.upNodes().map((node) => node.replicator!.self);
    for (const node of this.upNodes()) {
      node.replicator!.setPeers(ids.filter((id) => id !== node.replicator!.self));
    }
  }
}
