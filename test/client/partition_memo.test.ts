// Goal: the partition memo places every operation exactly where placementKeyOf + partitionOf do, for
// names and keys seen before or not, map entries and whole structures alike (a map entry and a
// structure whose names would collide if joined must not share a slot), and never holds more than
// its bound. Method: fast-check over arbitrary names, keys and partition counts, asked twice (the
// second answer comes from memory), with a small bound so that starting over is exercised too.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { placementKeyOf, type Operation, PartitionMemo } from "../../src/protocol/client/index.js";
import { partitionOf } from "../../src/protocol/placement/index.js";

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    structure: fc.constant("map" as const),
    op: fc.constant("get" as const),
    name: fc.string({ minLength: 1, maxLength: 6 }),
    key: fc.string({ maxLength: 6 }),
  }),
  fc.record({
    structure: fc.constantFrom("counter" as const),
    op: fc.constant("get" as const),
    name: fc.string({ minLength: 1, maxLength: 12 }),
  }),
);

function direct(op: Operation, partitionCount: number): number {
  const key = placementKeyOf(op);
  return partitionOf(key.name, key.entryKey, partitionCount);
}

describe("PartitionMemo", () => {
  it("answers as partitionOf does, first time and from memory, within its bound", () => {
    fc.assert(
      fc.property(
        fc.array(operation, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 1, max: 16 }),
        (ops, partitionCount, entriesMax) => {
          const memo = new PartitionMemo(partitionCount, entriesMax);
          for (const op of [...ops, ...ops]) {
            expect(memo.of(op)).toBe(direct(op, partitionCount));
            expect(memo.size).toBeLessThanOrEqual(entriesMax);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps a map entry apart from a structure whose joined name and key would be the same", () => {
    const memo = new PartitionMemo(64);
    const entry: Operation = { structure: "map", op: "get", name: "a", key: "bc" };
    const whole: Operation = { structure: "counter", op: "get", name: "abc" };
    const other: Operation = { structure: "map", op: "get", name: "ab", key: "c" };
    for (const op of [entry, whole, other, entry, whole, other]) expect(memo.of(op)).toBe(direct(op, 64));
    expect(memo.size).toBe(3);
  });
});
