// Key -> partition. A structure's name (and, for maps, the entry key) hashes with murmur3_32 to one
// of P partitions, where P is fixed when the cluster bootstraps. The mapping never depends on the
// members, so it is the same on every member and every client, and it never changes: only the
// partition -> replicas table moves when members join or leave.
//
// The seeds and the range reduction below are part of the on-disk and on-wire format: changing
// either sends keys to other partitions, so it needs a migration, not an edit.

import { assert } from "../../lib/assert.js";
import { murmur3_32, utf8 } from "../../lib/hash.js";
import { type PartitionId, partitionId } from "../../types.js";

/** The largest partition count a cluster may bootstrap with. */
export const partitionCountMax = 4096;

/** The partition count a cluster bootstraps with unless told otherwise. */
export const partitionCountDefault = 64;

/** The seed of the structure-name hash (ASCII "SHOL"). Part of the format: never change it. */
const structureNameSeed = 0x53484f4c;

/** An entry key of a map: a string (hashed as UTF-8) or raw bytes. */
export type EntryKey = string | Uint8Array;

/**
 * Returns the partition that holds `structureName`, or, when `entryKey` is not null, the partition
 * that holds that entry of the map `structureName`. Maps pass their entry keys so that one large
 * map spreads over every partition; every other structure passes null and lives whole in the
 * partition of its name. Pure and stable across processes and platforms.
 */
export function partitionOf(
  structureName: string,
  entryKey: EntryKey | null,
  partitionCount: number,
): PartitionId {
  assertPartitionCount(partitionCount);
  const nameHash = murmur3_32(utf8(structureName), structureNameSeed);
  // The name's hash seeds the entry hash, so ("a", "bc") and ("ab", "c") do not collide by
  // construction, as they would if the two strings were concatenated.
  const hash =
    entryKey === null
      ? nameHash
      : murmur3_32(typeof entryKey === "string" ? utf8(entryKey) : entryKey, nameHash);
  const partition = rangeReduce(hash, partitionCount);
  assert(partition >= 0 && partition < partitionCount);
  return partitionId(partition);
}

/** Asserts that `partitionCount` is an integer in [1, partitionCountMax]. */
export function assertPartitionCount(partitionCount: number): void {
  assert(Number.isSafeInteger(partitionCount), `partitionCount must be an integer, got ${partitionCount}`);
  assert(partitionCount >= 1, `partitionCount must be positive, got ${partitionCount}`);
  assert(partitionCount <= partitionCountMax, `partitionCount ${partitionCount} > ${partitionCountMax}`);
}

/**
 * Maps a 32-bit hash onto [0, count) with a multiply and a shift (Lemire's reduction): it uses the
 * hash's high bits and, unlike `hash % count`, has no bias towards low partitions worth naming.
 * The product stays below 2^44, well inside a double's exact integers.
 */
function rangeReduce(hash: number, count: number): number {
  assert(hash >>> 0 === hash);
  return Math.floor((hash * count) / 0x1_0000_0000);
}
