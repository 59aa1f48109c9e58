// The replication messages of many partitions to one peer, coalesced: a member sends every
// partition's deltas, acks, nacks, digests and leaf states for one peer in one `crdt-batch` frame
// per tick, so the frame count (and its syscall, wakeup, encode and decode walk) does not grow
// with the partition count. This file checks the shape of what a peer sent, entry by entry: a
// malformed entry is counted and skipped, the valid ones are kept, and nothing here throws.
//
// In a batch, a delta message's entries travel packed: one byte string of [key][state bytes]
// pairs (ByteWriter string and length-prefixed bytes) instead of one {key, bytes} object each,
// which the wire codec would walk, name and copy one by one (encode plus decode of a key's entry:
// 0.3 µs packed, 1.0 µs as an object). The parser unpacks them into the message's usual form
// (KeyedBytes views of the one string) and still takes the object form (an earlier version's).

import { ByteReader, type ByteWriter, CodecError } from "../../lib/byte_codec.js";
import { isCount, isRecord } from "../wire/plain_data.js";
import type { DeltaMessage, KeyedBytes, ReplicationMessage } from "./messages.js";

/** One partition's replication message inside a batch: `[partition, message]`. */
export type ReplicationBatchEntry = readonly [partition: number, message: ReplicationMessage];

/** The payload of a `crdt-batch` frame. */
export type ReplicationBatch = readonly ReplicationBatchEntry[];

/** A delta message as it travels in a batch: its entries packed ({@link replicationEntriesPack}). */
export type PackedDeltaMessage = Omit<DeltaMessage, "entries"> & { readonly entries: Uint8Array };

/** One entry of a batch as sent: a delta's entries are packed, other messages go as they are. */
export type ReplicationBatchWireEntry = readonly [
  partition: number,
  message: Exclude<ReplicationMessage, DeltaMessage> | PackedDeltaMessage,
];

/** Packs a delta's entries into one byte string: each key, then its bytes, length-prefixed. */
export function replicationEntriesPack(entries: readonly KeyedBytes[], writer: ByteWriter): Uint8Array {
  writer.reset();
  for (const entry of entries) {
    writer.string(entry.key);
    writer.bytes(entry.bytes);
  }
  return writer.finish();
}

/**
 * Unpacks what {@link replicationEntriesPack} made; each entry's bytes are a view of `packed`.
 * Null when `packed` is not a whole number of well-formed pairs. Never throws.
 */
export function replicationEntriesUnpack(packed: Uint8Array): KeyedBytes[] | null {
  const entries: KeyedBytes[] = [];
  try {
    const reader = new ByteReader(packed);
    while (reader.remaining > 0) {
      const key = reader.string();
      entries.push({ key, bytes: reader.lengthPrefixedView() });
    }
  } catch (error) {
    if (error instanceof CodecError) return null;
    throw error;
  }
  return entries;
}

/** A delta message with its entries packed, for a batch (other messages are returned as they are). */
export function replicationMessageWire(
  message: ReplicationMessage,
  packed: Uint8Array | null,
): ReplicationBatchWireEntry[1] {
  if (message.type !== "delta" || packed === null) return message as ReplicationBatchWireEntry[1];
  return { ...message, entries: packed };
}

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
    const pair = Array.isArray(entry) && entry.length === 2 ? (entry as unknown[]) : null;
    const message = pair === null ? null : unpacked(pair[1]);
    if (
      pair !== null &&
      message !== null &&
      isCount(pair[0]) &&
      pair[0] <= REPLICATION_BATCH_PARTITION_MAX &&
      replicationMessageValid(message)
    ) {
      entries.push([pair[0], message]);
    } else {
      malformed += 1;
    }
  }
  return { entries, malformed };
}

/** A delta with packed entries in their usual form (null if the packing is malformed); else as is. */
function unpacked(value: unknown): unknown {
  if (!isRecord(value) || value.type !== "delta" || !(value.entries instanceof Uint8Array)) return value;
  const entries = replicationEntriesUnpack(value.entries);
  return entries === null ? null : { ...value, entries };
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
