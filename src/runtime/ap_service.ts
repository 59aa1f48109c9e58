// AP structures (counters, sets) on a member: one Replicator (delta CRDTs with acknowledged
// intervals and Merkle anti-entropy, protocol/replication) per partition this member replicates.
// A write is applied at once at this replica and answered; the Replicator gossips the delta to the
// partition's other replicas and repairs what was lost by Merkle digest exchanges. Every message of
// every partition to one peer (deltas, acks, nacks, digests, leaf states) leaves at the tick, in
// one `crdt-batch` frame per peer, so frames do not multiply with the partition count; the
// `crdt-delta` and `crdt-digest` frames of the previous version (one message each) are still
// read. The stores of every partition are saved to disk together, in one file (ap_persist.ts),
// when one changed, at most once per save interval, and at graceful stop; on start the saved
// states are joined into the fresh replicators. A restarted member still comes back under a new
// replica id (peers key acknowledgements by it, so no dot is ever reused, even for updates made
// after the last save) and gets whatever it did not save back from the other replicas by
// anti-entropy.

import type { Environment } from "../env/environment.js";
import { ByteWriter } from "../lib/byte_codec.js";
import { Prng } from "../lib/prng.js";
import type { Operation } from "../protocol/client/operations.js";
import { hlcConfigDefault } from "../protocol/clock/hlc.js";
import type { Crdt } from "../protocol/crdt/crdt.js";
import { MUTANTS_NONE } from "../protocol/crdt/mutants.js";
import type { PartitionTable } from "../protocol/placement/index.js";
import {
  type KeyedBytes,
  type ReplicationBatchWireEntry,
  type ReplicationMessage,
  replicationEntriesPack,
  replicationMessageWire,
  Replicator,
  type ReplicatorConfig,
  replicationBatchParse,
  replicationMessageValid,
} from "../protocol/replication/index.js";
import {
  type ApPersistConfig,
  apFolderTidy,
  apLegacyPartitions,
  apLegacyRemove,
  apStoreLoad,
  apStoreEncode,
  apStoresAssemble,
  apStoresLoad,
  apStoresSave,
} from "./ap_persist.js";
import type { WireMessage } from "../protocol/wire/index.js";
import { apApply, apRead } from "../structures/ap_structures.js";
import { sendInHalves } from "./send_in_halves.js";
import type { MachineResult } from "../structures/machine.js";
import type { Address, GroupId, NodeId, PartitionId, ReplicaId } from "../types.js";

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
  /**
   * Partitions whose store may have changed since its body in `encoded` was made, in the order of
   * their first change since then (encoding deletes one; its next change adds it at the back):
   * tick() re-encodes a few of them per tick, so a save never encodes every store at once.
   */
  private readonly stale = new Set<PartitionId>();
  /** Each partition's last encoded store (ap_persist apStoreEncode), what the next save writes. */
  private readonly encoded = new Map<PartitionId, Uint8Array>();
  /** Whether a body in `encoded` changed since the file was last written. */
  private encodedUnsaved = false;
  /** Whether the last save failed or was skipped, so the failure is logged once. */
  private saveFailing = false;
  /** Partitions with a file of the earlier one-file-per-partition layout, removed after a save. */
  private legacy: PartitionId[] = [];
  private ticks = 0;
  /** Messages queued since the last tick, by destination member; they leave in one frame each. */
  private readonly pending = new Map<NodeId, ReplicationBatchWireEntry[]>();
  /** Reused to pack delta entries; its buffer grows to the largest interval and stays. */
  private readonly packWriter = new ByteWriter(1024);

  constructor(
    private readonly host: ApHost,
    private readonly config: ReplicatorConfig,
    private readonly persist: ApPersistConfig | null = null,
  ) {
    this.prng = Prng.derive(host.environment.seed, "ap");
    const tag = Math.floor(this.prng.next() * 2 ** 48).toString(36);
    this.replicaId = `${host.nodeId}@${tag}` as ReplicaId;
  }

  /**
   * Creates a replicator for every partition of `table` this member replicates and joins into it
   * the states saved by earlier incarnations of this member.
   */
  start(table: PartitionTable): void {
    const saved = this.loadAll();
    for (const row of table.partitions) {
      if (!row.replicas.includes(this.host.nodeId)) continue;
      const prng = Prng.derive(this.host.environment.seed, `ap/${row.partition}`);
      const replicator = new Replicator(this.replicaId, this.config, prng);
      this.replicators.set(row.partition, replicator);
      this.rows.set(row.partition, row.replicas);
      this.restore(row.partition, replicator, saved.get(row.partition) ?? []);
      this.peersSet(row.partition);
    }
  }

  /** Reads the stores file once; a bad file is logged, and every partition starts empty. */
  private loadAll(): Map<PartitionId, [string, Crdt][]> {
    if (this.persist === null) return new Map();
    const logger = this.host.environment.logger;
    const failure = apFolderTidy(this.persist);
    if (failure !== null) logger.warn("ap.tidy_failed", { reason: failure });
    try {
      this.legacy = apLegacyPartitions(this.persist);
    } catch (error) {
      logger.warn("ap.list_failed", { reason: error instanceof Error ? error.message : String(error) });
    }
    const loaded = apStoresLoad(this.persist);
    if (loaded.kind === "ok") {
      logger.info("ap.loaded", { partitions: loaded.partitions.size, bytes: loaded.bytes });
      return loaded.partitions;
    }
    // Start empty: anti-entropy refills every partition from the other replicas.
    if (loaded.kind === "unreadable") logger.warn("ap.load_failed", { reason: loaded.reason });
    return new Map();
  }

  /**
   * Joins the saved states of `partition` into its replicator: those of the stores file, and those
   * of its file in the earlier layout, if any (a bad one is logged and skipped).
   */
  private restore(partition: PartitionId, replicator: Replicator, saved: readonly [string, Crdt][]): void {
    if (this.persist === null) return;
    const logger = this.host.environment.logger;
    const entries = [...saved];
    if (this.legacy.includes(partition)) {
      const loaded = apStoreLoad(this.persist, partition);
      if (loaded.kind === "ok") entries.push(...loaded.entries);
      if (loaded.kind === "unreadable") logger.warn("ap.load_failed", { partition, reason: loaded.reason });
    }
    if (entries.length === 0) return;
    for (const [key, state] of entries) {
      if (replicator.store.join(key, state) === "wrong-type")
        logger.warn("ap.load_wrong_type", { partition, key });
    }
  }

  /**
   * Writes the stores of every partition, in one file, when one changed since the last write: at
   * graceful stop and by hand, with every store up to date (save); once per save interval from
   * tick() (write with `final` false). A store's
   * body is re-encoded only when it changed (stale), and tick() spreads that work over the interval
   * (encodeSome): under a steady write load a save then writes bodies up to one interval old
   * instead of stalling the member for a fresh encode of every store (tens of ms for large sets).
   * What a restart misses is got back from the other replicas by anti-entropy, as for any write
   * after the last save. `final` encodes every stale store first, so a graceful stop loses nothing.
   * It does not compare Merkle roots to skip a save: refreshing the tree every interval cost more
   * than the rare save it spared.
   */
  save(): void {
    this.write(true);
  }

  private write(final: boolean): void {
    if (this.persist === null) return;
    if (this.stale.size === 0 && !this.encodedUnsaved) return; // Nothing changed since the last write.
    for (const partition of this.encoded.keys()) {
      if (this.replicators.has(partition)) continue;
      this.encoded.delete(partition);
      this.encodedUnsaved = true;
    }
    // The file holds every store: one never encoded (loaded at start, or new) is encoded now.
    for (const partition of this.replicators.keys()) {
      if (!this.encoded.has(partition) || (final && this.stale.has(partition))) this.encodeOne(partition);
    }
    if (!this.encodedUnsaved) return;
    const logger = this.host.environment.logger;
    const body = apStoresAssemble(this.encoded);
    if (body.byteLength > this.persist.fileBytesMax) {
      // Not retried until a store changes again; logged once until a save succeeds.
      if (!this.saveFailing)
        logger.warn("ap.save_skipped", { bytes: body.byteLength, limit: this.persist.fileBytesMax });
      this.saveFailing = true;
      this.encodedUnsaved = false;
      return;
    }
    try {
      apStoresSave(this.persist, body);
      // The earlier layout's files are now older than the stores file: drop them.
      apLegacyRemove(this.persist, this.legacy);
      this.legacy = [];
    } catch (error) {
      // encodedUnsaved stays set: retried next interval.
      if (!this.saveFailing)
        logger.warn("ap.save_failed", { reason: error instanceof Error ? error.message : String(error) });
      this.saveFailing = true;
      return;
    }
    this.encodedUnsaved = false;
    this.saveFailing = false;
  }

  /** Re-encodes enough stale stores this tick that all are refreshed within one save interval. */
  private encodeSome(interval: number): void {
    let budget = Math.ceil(this.replicators.size / interval);
    for (const partition of this.stale) {
      if (budget-- <= 0) return;
      this.encodeOne(partition);
    }
  }

  private encodeOne(partition: PartitionId): void {
    this.stale.delete(partition);
    const replicator = this.replicators.get(partition);
    if (replicator === undefined) {
      if (this.encoded.delete(partition)) this.encodedUnsaved = true;
      return;
    }
    this.encoded.set(partition, apStoreEncode(replicator.store));
    this.encodedUnsaved = true;
  }

  /**
   * Marks `partition`'s store as changed since its last encoding. One already stale keeps its place
   * (stale since its first change): moving it back would starve it under steady writes.
   */
  private changed(partition: PartitionId): void {
    this.stale.add(partition);
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

  /**
   * SWIM suspects `node` or declared it dead: in every partition it replicates, the other replicas
   * exchange digests at once, so a delta it sent to some of them only (replication is origin-only,
   * see protocol/replication/replicator.ts) reaches the rest without waiting for anti-entropy.
   */
  peerLost(node: NodeId): void {
    const replica = this.replicaOfNode.get(node);
    if (node === this.host.nodeId || replica === undefined) return;
    for (const [partition, replicas] of this.rows) {
      if (!replicas.includes(node)) continue;
      const replicator = this.replicators.get(partition);
      if (replicator === undefined) continue;
      replicator.peerLost(replica);
      this.outboxCollect(partition, replicator);
    }
  }

  private peersSet(partition: PartitionId): void {
    const replicas = this.rows.get(partition) ?? [];
    const peers: ReplicaId[] = [];
    for (const node of replicas) {
      const replica = this.replicaOfNode.get(node);
      if (node !== this.host.nodeId && replica !== undefined) peers.push(replica);
    }
    const replicator = this.replicators.get(partition);
    if (replicator === undefined) return;
    replicator.setPeers(peers);
    this.outboxCollect(partition, replicator); // The digest exchanges a changed peer set starts.
  }

  /** Whether this member replicates `partition`. */
  replicates(partition: PartitionId): boolean {
    return this.replicators.has(partition);
  }

  /** Applies (or reads) one AP operation at this replica. A local write queues no message. */
  operation(partition: PartitionId, operation: Operation, readOnly: boolean): MachineResult {
    const replicator = this.replicators.get(partition);
    if (replicator === undefined)
      return { kind: "refused", message: `partition ${partition} is not replicated here` };
    if (readOnly) return apRead(replicator, operation);
    const result = apApply(replicator, operation, this.host.environment.clock.wallMs());
    if (result.kind === "ok") this.changed(partition);
    this.outboxCollect(partition, replicator);
    return result;
  }

  /**
   * One tick of every replicator, then every message queued since the last tick leaves: one
   * `crdt-batch` frame per peer. Saves changed partitions on its cadence.
   */
  tick(): void {
    this.ticks += 1;
    for (const [partition, replicator] of this.replicators) {
      replicator.tick();
      this.outboxCollect(partition, replicator);
    }
    this.outboxFlush();
    const interval = this.persist?.saveIntervalTicks ?? 0;
    if (interval <= 0) return;
    this.encodeSome(interval);
    if (this.ticks % interval === 0) this.write(false);
  }

  /**
   * Steps one replication message for the partition of `group` (the `crdt-delta` and `crdt-digest`
   * frames of the previous member version); false when it is malformed. Replies leave at the tick.
   */
  step(group: GroupId, payload: unknown): boolean {
    if (!replicationMessageValid(payload)) return false;
    this.messageStep((group - 1) as PartitionId, payload);
    return true;
  }

  /**
   * Steps every valid entry of a `crdt-batch` payload from a peer, in order; returns how many
   * entries were malformed (skipped). Never throws on what a peer sent. Replies leave at the tick.
   */
  stepBatch(payload: unknown): number {
    const parsed = replicationBatchParse(payload);
    for (const [partition, message] of parsed.entries) this.messageStep(partition as PartitionId, message);
    return parsed.malformed;
  }

  private messageStep(partition: PartitionId, message: ReplicationMessage): void {
    const replicator = this.replicators.get(partition);
    if (replicator === undefined) return; // Not (or no longer) a replica here.
    replicator.step(message, this.host.environment.clock.wallMs());
    // Only these carry states; whether they changed anything is decided at save time.
    if (message.type === "delta" || message.type === "leaf-states") this.changed(partition);
    this.outboxCollect(partition, replicator);
  }

  /** Runs every replicator's invariants. */
  invariants(): void {
    for (const replicator of this.replicators.values()) replicator.invariants();
  }

  /**
   * Queues the replicator's messages by destination member, for the next flush, a delta's entries
   * packed (batch.ts). Peers in step are sent one entries array (Replicator.gossip): it is packed
   * once for all of them.
   */
  private outboxCollect(partition: PartitionId, replicator: Replicator): void {
    if (!replicator.hasOutbox) return;
    let lastEntries: readonly KeyedBytes[] | null = null;
    let lastPacked: Uint8Array | null = null;
    for (const message of replicator.takeOutbox()) {
      const node = this.nodeOfReplica.get(message.to);
      if (node === undefined) continue; // A replica id no longer current: the peer restarted.
      let packed: Uint8Array | null = null;
      if (message.type === "delta") {
        if (message.entries !== lastEntries) {
          lastEntries = message.entries;
          lastPacked = replicationEntriesPack(message.entries, this.packWriter);
        }
        packed = lastPacked;
      }
      let queue = this.pending.get(node);
      if (queue === undefined) this.pending.set(node, (queue = []));
      queue.push([partition, replicationMessageWire(message, packed)]);
    }
  }

  /** Sends the queued messages: one `crdt-batch` frame per peer. */
  private outboxFlush(): void {
    for (const [node, entries] of this.pending) {
      const address = this.host.addressOf(node);
      if (address !== null) this.batchSend(address, entries);
    }
    this.pending.clear();
  }

  /** Sends one batch, split in halves only if it exceeds a frame; a lone entry too large is dropped. */
  private batchSend(to: Address, entries: readonly ReplicationBatchWireEntry[]): void {
    sendInHalves(
      entries,
      (part) => this.host.frameSend(to, { version: 1, kind: "crdt-batch", payload: part }),
      ([partition]) => this.host.environment.logger.warn("ap.message_too_large", { to, partition }),
    );
  }
}
