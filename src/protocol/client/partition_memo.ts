// The partition of an operation, remembered. partitionOf (protocol/placement) encodes the name and
// key as UTF-8 and hashes them on every call; a client or member that routes tens of thousands of
// operations a second on the same few thousand names and keys asks it again and again. The memo
// answers a repeated (name, key) from two Map lookups. It is bounded: past `entriesMax` remembered
// keys it forgets them all and starts over, so a stream of distinct keys costs one partitionOf per
// operation, as without it, and never more memory than the bound.

import { assert } from "../../lib/assert.js";
import { partitionOf } from "../placement/index.js";
import type { PartitionId } from "../../types.js";
import type { Operation } from "./operations.js";

/** Most (name, key) pairs a memo remembers before it starts over. */
export const partitionMemoEntriesMax = 65_536;

/** Remembers the partition of the operations it has placed, for one partition count. */
export class PartitionMemo {
  /** Structures placed by name alone: name -> partition. */
  private readonly byName = new Map<string, PartitionId>();
  /** Map entries: name -> key -> partition. */
  private readonly byEntry = new Map<string, Map<string, PartitionId>>();
  private entries = 0;

  constructor(
    readonly partitionCount: number,
    private readonly entriesMax: number = partitionMemoEntriesMax,
  ) {
    assert(Number.isSafeInteger(entriesMax) && entriesMax > 0, "entriesMax must be a positive integer");
  }

  /** The partition of `operation` (as placementKeyOf and partitionOf place it). */
  of(operation: Operation): PartitionId {
    if (operation.structure === "map") return this.ofEntry(operation.name, operation.key);
    const known = this.byName.get(operation.name);
    if (known !== undefined) return known;
    const partition = partitionOf(operation.name, null, this.partitionCount);
    this.remember();
    this.byName.set(operation.name, partition);
    return partition;
  }

  /** Remembered (name, key) pairs. */
  get size(): number {
    return this.entries;
  }

  private ofEntry(name: string, key: string): PartitionId {
    let keys = this.byEntry.get(name);
    const known = keys?.get(key);
    if (known !== undefined) return known;
    const partition = partitionOf(name, key, this.partitionCount);
    this.remember();
    keys = this.byEntry.get(name); // remember() may have started over.
    if (keys === undefined) {
      keys = new Map();
      this.byEntry.set(name, keys);
    }
    keys.set(key, partition);
    return partition;
  }

  /** Counts one more remembered pair, starting over first when the memo is full. */
  private remember(): void {
    if (this.entries >= this.entriesMax) {
      this.byName.clear();
      this.byEntry.clear();
      this.entries = 0;
    }
    this.entries += 1;
  }
}
