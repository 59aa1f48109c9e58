// AP structures (counters, sets) on a member: one Replicator (delta CRDTs with acknowledged
// intervals and Merkle anti-entropy, protocol/replication) per partition this member replicates.
// A write is applied at once at this replica and answered; the Replicator gossips the delta to the
// partition's other replicas in `crdt-delta` frames (deltas, acks, nacks) and repairs what was
// lost with `crdt-digest` frames (digests, leaf states). AP state lives in memory: a restarted
// member comes back under a new replica id (peers key acknowledgements by it, so no dot is ever
// reused) and gets the state back from the other replicas by anti-entropy.

import type { Environment } from "../env/environment.js";
import { Prng } from "../lib/prng.js";
import type { Operation } from "../protocol/client/operations.js";
import { hlcConfigDefault } from "../protocol/clock/hlc.js";
import { MUTANTS_NONE } from "../protocol/crdt/mutants.js";
import type { PartitionTable } from "../protocol/placement/index.js";
import { Replicator, type ReplicationMessage, type ReplicatorConfig } from "../protocol/replication/index.js";
import type { WireMessage } from "../protocol/wire/index.js";
import { apApply, apRead } from "../structures/ap_structures.js";
import type { MachineResult } from "../structures/machine.js";
import {
  type Address,
  type GroupId,
  groupId,
  type NodeId,
  type PartitionId,
  type ReplicaId,
} from "../types.js";

/** The replicator settings of a member: gossip every tick, anti-entropy every 10 s at 50 ms ticks. */
export function memberReplicatorConfig(): ReplicatorConfig {
  return {
    mode: "delta",
    gossipIntervalTicks: 1,
    antiEntropyIntervalTicks: 200,
    deltaBufferEntriesMax: 1024,
    retransmitTicks: 20,
    leafStatesEntriesMax: 256,
    merkle: { fanout: 16, depth: 2 },
    hlc: hlcConfigDefault(),
    mutants: MUTANTS_NONE,
  };
}

/** What the AP service needs from its member. */
export interface ApHost {
  readonly nodeId: NodeId;
  readonly environment: Environment;
  addressOf(node: NodeId): Address | null;
  frameSend(to: Address, message: WireMessage<unknown>): boolean;
}

/** The replicators of the partitions this member replicates, and who the peers' replicas are. */
export class ApService {
  /** This member's replica id for this incarnation. */
  readonly replicaId: ReplicaId;
  private readonly replicators = new Map<PartitionId, Replicator>();
  private readonly rows = new Map<PartitionId, readonly NodeId[]>();
  private readonly replicaOfNode = new Map<NodeId, ReplicaId>();
  private readonly nodeOfReplica = new Map<ReplicaId, NodeId>();
  private readonly prng: Prng;

  constructor(
    private readonly host: ApHost,
    private readonly config: ReplicatorConfig,
  ) {
    this.prng = Prng.derive(host.environment.seed, "ap");
    const tag = Math.floor(this.prng.next() * 2 ** 48).toString(36);
    this.replicaId = `${host.nodeId}@${tag}` as ReplicaId;
  }

  /** Creates a replicator for every partition of `table` this member replicates. */
  start(table: PartitionTable): void {
    for (const row of table.partitions) {
      if (!row.replicas.includes(this.host.nodeId)) continue;
      const prng = Prng.derive(this.host.environment.seed, `ap/${row.partition}`);
      this.replicators.set(row.partition, new Replicator(this.replicaId, this.config, prng));
      this.rows.set(row.partition, row.replicas);
      this.peersSet(row.partition);
    }
  }

  /** Records a peer's current replica id (from its raft-batch frames); a new one means it restarted. */
  peerReplicaSeen(node: NodeId, replica: ReplicaId): void {
    if (node === this.host.nodeId || this.replicaOfNode.get(node) === replica) return;
    const previous = this.replicaOfNode.get(node);
    if (previous !== undefined) this.nodeOfReplica.delete(previous);
    this.replicaOfNode.set(node, replica);
    this.nodeOfReplica.set(replica, node);
    for (const [partition, replicas] of this.rows) if (replicas.includes(node)) this.peersSet(partition);
  }

  private peersSet(partition: PartitionId): void {
    const replicas = this.rows.get(partition) ?? [];
    const peers: ReplicaId[] = [];
    for (const node of replicas) {
      const replica = this.replicaOfNode.get(node);
      if (node !== this.host.nodeId && replica !== undefined) peers.push(replica);
    }
    this.replicators.get(partition)?.setPeers(peers);
  }

  /** Whether this member replicates `partition`. */
  replicates(partition: PartitionId): boolean {
    return this.replicators.has(partition);
  }

  /** Applies (or reads) one AP operation at this replica. */
  operation(partition: PartitionId, operation: Operation, readOnly: boolean): MachineResult {
    const replicator = this.replicators.get(partition);
    if (replicator === undefined)
      return { kind: "refused", message: `partition ${partition} is not replicated here` };
    const result = readOnly
      ? apRead(replicator, operation)
      : apApply(replicator, operation, this.host.environment.clock.wallMs());
    this.outboxSend(partition, replicator);
    return result;
  }

  /** One tick of every replicator, then their messages. */
  tick(): void {
    for (const [partition, replicator] of this.replicators) {
      replicator.tick();
      this.outboxSend(partition, replicator);
    }
  }

  /** Steps one replication message for the partition of `group`; false when it is malformed. */
  step(group: GroupId, payload: unknown): boolean {
    if (!replicationMessageValid(payload)) return false;
    const replicator = this.replicators.get((group - 1) as PartitionId);
    if (replicator === undefined) return true; // Not (or no longer) a replica here.
    replicator.step(payload, this.host.environment.clock.wallMs());
    this.outboxSend((group - 1) as PartitionId, replicator);
    return true;
  }

  /** Runs every replicator's invariants. */
  invariants(): void {
    for (const replicator of this.replicators.values()) replicator.invariants();
  }

  private outboxSend(partition: PartitionId, replicator: Replicator): void {
    for (const message of replicator.takeOutbox()) {
      const node = this.nodeOfReplica.get(message.to);
      const address = node === undefined ? null : this.host.addressOf(node);
      if (address === null) continue;
      const kind = message.type === "digest" || message.type === "leaf-states" ? "crdt-digest" : "crdt-delta";
      this.host.frameSend(address, { version: 1, kind, group: groupId(partition + 1), payload: message });
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function entriesValid(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every((e) => isRecord(e) && typeof e.key === "string" && e.bytes instanceof Uint8Array)
  );
}

/** Checks the shape of a replication message from a peer (the core checks the contents). */
export function replicationMessageValid(value: unknown): value is ReplicationMessage {
  if (!isRecord(value) || typeof value.from !== "string" || typeof value.to !== "string") return false;
  switch (value.type) {
    case "ack":
    case "nack":
      return isCount(value.seq);
    case "delta":
      return (
        isCount(value.fromSeq) &&
        isCount(value.toSeq) &&
        typeof value.isFull === "boolean" &&
        entriesValid(value.entries)
      );
    case "digest":
      return (
        isCount(value.level) &&
        Array.isArray(value.parents) &&
        value.parents.every(isCount) &&
        Array.isArray(value.hashes) &&
        value.hashes.every((h) => typeof h === "number")
      );
    case "leaf-states":
      return (
        Array.isArray(value.leaves) &&
        value.leaves.every(isCount) &&
        entriesValid(value.entries) &&
        typeof value.wantsReply === "boolean"
      );
    default:
      return false;
  }
}
