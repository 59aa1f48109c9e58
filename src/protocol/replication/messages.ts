// The messages of delta replication and anti-entropy. Plain data only, so the wire codec can
// carry them: states travel as canonical CRDT encodings.

import type { ReplicaId } from "../../types.js";

/** One key's state or delta, encoded. */
export interface KeyedBytes {
  readonly key: string;
  readonly bytes: Uint8Array;
}

/**
 * A delta-interval: the join of the sender's deltas numbered [fromSeq, toSeq), or its whole state
 * when `isFull` (then fromSeq is 0). The receiver may join an interval only if it already holds
 * every delta of the sender before fromSeq (the causal delta-merging condition).
 */
export interface DeltaMessage {
  readonly type: "delta";
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly isFull: boolean;
  readonly entries: readonly KeyedBytes[];
}

/** Acknowledges every delta of `to` below `seq`. */
export interface AckMessage {
  readonly type: "ack";
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  readonly seq: number;
}

/** Refuses an interval that starts beyond what the sender acknowledged; `seq` is what it holds. */
export interface NackMessage {
  readonly type: "nack";
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  readonly seq: number;
}

/**
 * The sender's Merkle hashes of every child of the listed `parents` (nodes at `level - 1`), in
 * order: `hashes` holds fanout entries per parent. Level 1 (parents [0], the root) opens an exchange.
 */
export interface DigestMessage {
  readonly type: "digest";
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  readonly level: number;
  readonly parents: readonly number[];
  readonly hashes: readonly number[];
}

/** The sender's states of every key in the listed leaves; `wantsReply` asks for the other side's. */
export interface LeafStatesMessage {
  readonly type: "leaf-states";
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  readonly leaves: readonly number[];
  readonly entries: readonly KeyedBytes[];
  readonly wantsReply: boolean;
}

/** Every replication message. */
export type ReplicationMessage = DeltaMessage | AckMessage | NackMessage | DigestMessage | LeafStatesMessage;

/** The bytes a message takes on the wire, estimated: headers, ids, numbers and payloads. */
export function messageSizeBytes(message: ReplicationMessage): number {
  const header = 16 + message.from.length + message.to.length;
  switch (message.type) {
    case "ack":
    case "nack":
      return header + 4;
    case "digest":
      return header + 4 + 4 * message.parents.length + 4 * message.hashes.length;
    case "delta":
      return header + 8 + entriesBytes(message.entries);
    case "leaf-states":
      return header + 4 * message.leaves.length + entriesBytes(message.entries);
  }
}

function entriesBytes(entries: readonly KeyedBytes[]): number {
  let total = 0;
  for (const entry of entries) total += 4 + entry.key.length + entry.bytes.byteLength;
  return total;
}

/** A one-line text form for traces. */
export function describeMessage(message: ReplicationMessage): string {
  const route = `${message.from}->${message.to}`;
  switch (message.type) {
    case "ack":
    case "nack":
      return `${message.type} ${route} seq=${message.seq}`;
    case "digest":
      return `digest ${route} level=${message.level} parents=${message.parents.length}`;
    case "delta":
      return `delta ${route} [${message.fromSeq},${message.toSeq}) full=${message.isFull} keys=${message.entries.length}`;
    case "leaf-states":
      return `leaf-states ${route} leaves=${message.leaves.length} keys=${message.entries.length} reply=${message.wantsReply}`;
  }
}
