// The replication messages of many partitions to one peer, coalesced: a member sends every
// partition's deltas, acks, nacks, digests and leaf states for one peer in one `crdt-batch` frame
// per tick, so the frame count (and its syscall, wakeup, encode and decode walk) does not grow
// with the partition count. This file checks the shape of what a peer sent, entry by entry: a
// malformed entry is counted and skipped, the valid ones are kept, and nothing here throws.

import { isCount, isRecord } from "../wire/plain_data.js";
import type { ReplicationMessage } from "./messages.js";

/** One partition's replication message inside a batch: `[partition, message]`. */
export type ReplicationBatchEntry = readonly [partition: number, message: ReplicationMessage];

/** The payload of a `crdt-batch` frame. */
export type ReplicationBatch = readonly ReplicationBatchEntry[];

/**
 * Most entries a batch from a peer may hold: a few messages per partition per tick (a delta or a
 * full state, an ack or a nack, a digest step, leaf states), far below it. The frame size bounds
 * a batch first; this bounds the work of walking a hostile one.
 */
export const REPLICATION_BATCH_ENTRIES_MAX = 65_536;

/** Highest partition number a batch entry may name (partition ids are below 2^31 − 1 groups). */
export const REPLICATION_BATCH_PARTITION_MAX = 2 ** 31 - 2;

/** What a peer's batch holds once checked: its valid entries, in order, and how many were not. */
export interface ReplicationBatchParsed {
  readonly entries: ReplicationBatchEntry[];
  readonly malformed: number;
}

/**
 * Checks a `crdt-batch` payload from a peer. A payload that is not an array, or holds more than
 * {@link REPLICATION_BATCH_ENTRIES_MAX} entries, is one malformed unit with no entries; otherwise
 * every entry is `[partition, message]` with a partition number in range and a message of valid
 * shape ({@link replicationMessageValid}), or it is counted as malformed and left out.
 */
export function replicationBatchParse(payload: unknown): ReplicationBatchParsed {
  if (!Array.isArray(payload) || payload.length > REPLICATION_BATCH_ENTRIES_MAX)
    return { entries: [], malformed: 1 };
  const entries: ReplicationBatchEntry[] = [];
  let malformed = 0;
  for (const entry of payload as unknown[]) {
    if (
      Array.isArray(entry) &&
      entry.length === 2 &&
      isCount(entry[0]) &&
      entry[0] <= REPLICATION_BATCH_PARTITION_MAX &&
      replicationMessageValid(entry[1])
    ) {
      entries.push([entry[0], entry[1]]);
    } else {
      malformed += 1;
    }
  }
  return { entries, malformed };
}

function entriesValid(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const e of value as unknown[]) {
    if (!isRecord(e) || typeof e.key !== "string" || !(e.bytes instanceof Uint8Array)) return false;
  }
  return true;
}

function numbersValid(value: unknown, isValid: (n: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  for (const n of value as unknown[]) if (!isValid(n)) return false;
  return true;
}

const isNumber = (value: unknown): boolean => typeof value === "number";

/** Checks the shape of one replication message from a peer (the Replicator checks the contents). */
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
        isCount(value.level) && numbersValid(value.parents, isCount) && numbersValid(value.hashes, isNumber)
      );
    case "leaf-states":
      return (
        numbersValid(value.leaves, isCount) &&
        entriesValid(value.entries) &&
        typeof value.wantsReply === "boolean"
      );
    default:
      return false;
  }
}
