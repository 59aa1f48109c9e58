// Shared fast-check generators and helpers for the placement tests (not a test file itself).

import fc from "fast-check";
import {
  applyMove,
  type PartitionTable,
  type PlacementConfig,
  type PlacementMove,
} from "../../src/protocol/placement/index.js";
import { type NodeId, nodeId } from "../../src/types.js";

/** The seed of statistical properties: fixed so that a bound is checked on the same cases each run. */
export const statisticalSeed = Number(process.env["SHOAL_FC_SEED"] ?? 20261129);

/**
 * One Unicode scalar value as a string, ASCII more often than not. (fast-check's own "binary" unit
 * spends seconds building tables on first use; this one costs nothing.)
 */
export const unicodeCharacter: fc.Arbitrary<string> = fc
  .oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0x10ffff }),
  )
  .map((codePoint) => String.fromCodePoint(codePoint));

/** A well-formed Unicode string of up to `maxLength` scalar values. */
export function unicodeString(minLength = 0, maxLength = 16): fc.Arbitrary<string> {
  return fc.string({ unit: unicodeCharacter, minLength, maxLength });
}

/** Node names: arbitrary non-empty Unicode strings, so placement never relies on a name pattern. */
export const nodeName: fc.Arbitrary<NodeId> = unicodeString(1, 10).map((name) => nodeId(name));

/** A member set of `minLength` to `maxLength` distinct names. */
export function memberSet(minLength: number, maxLength: number): fc.Arbitrary<NodeId[]> {
  return fc.uniqueArray(nodeName, { minLength, maxLength });
}

/** A placement shape: P in [1, 64], R in [1, 5]. */
export const placementConfig: fc.Arbitrary<PlacementConfig> = fc.record({
  partitionCount: fc.integer({ min: 1, max: 64 }),
  replicaCountMax: fc.integer({ min: 1, max: 5 }),
});

/** Applies every move in order, failing the test if one does not apply. */
export function applyAllMoves(table: PartitionTable, moves: readonly PlacementMove[]): PartitionTable {
  let current = table;
  for (const move of moves) {
    const result = applyMove(current, move);
    if (result.kind !== "applied") throw new Error(`move did not apply: ${JSON.stringify(result)}`);
    current = result.table;
  }
  return current;
}

/** Returns the number of replicas each member holds, over all partitions. */
export function loadOf(table: PartitionTable): Map<NodeId, number> {
  const load = new Map<NodeId, number>(table.members.map((member) => [member, 0]));
  for (const row of table.partitions) {
    for (const node of row.replicas) load.set(node, (load.get(node) ?? 0) + 1);
  }
  return load;
}

/** Returns the smallest majority of `count` voters. */
export function majorityOf(count: number): number {
  return Math.floor(count / 2) + 1;
}

/** Deep-freezes a value, so that a function that mutates its input throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
