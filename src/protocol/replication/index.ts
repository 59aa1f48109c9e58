// The public face of AP replication: delta-intervals with acknowledgements, full-state fallback,
// Merkle-digest anti-entropy.

export { AntiEntropy } from "./anti_entropy.js";
export {
  REPLICATION_BATCH_ENTRIES_MAX,
  REPLICATION_BATCH_PARTITION_MAX,
  replicationBatchParse,
  replicationEntriesPack,
  replicationEntriesUnpack,
  replicationMessageValid,
  replicationMessageWire,
} from "./batch.js";
export type {
  PackedDeltaMessage,
  ReplicationBatch,
  ReplicationBatchEntry,
  ReplicationBatchParsed,
  ReplicationBatchWireEntry,
} from "./batch.js";
export { DeltaBuffer } from "./delta_buffer.js";
export { entryHash, MERKLE_LEAVES_MAX, MerkleTree } from "./merkle.js";
export { describeMessage, messageSizeBytes } from "./messages.js";
export { Replicator } from "./replicator.js";
export { ReplicaStore } from "./store.js";
export type { MerkleShape } from "./merkle.js";
export type {
  AckMessage,
  DeltaMessage,
  DigestMessage,
  KeyedBytes,
  LeafStatesMessage,
  NackMessage,
  ReplicationMessage,
} from "./messages.js";
export type { MutateResult, ReplicatorConfig, ReplicatorStats } from "./replicator.js";
export type { JoinResult } from "./store.js";
