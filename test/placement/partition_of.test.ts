// Goal: key -> partition is total, stable across releases, spreads keys evenly, and spreads the
// entries of one map over every partition while other structures map by name. Method: golden
// values that pin the format (a change to the hash, seed or range reduction fails here), fast-check
// properties for range and encoding equivalence, and a chi-square check of the spread of 64,000
// keys over 64 partitions (df = 63; the bound 120 is far above the 99.99th percentile, ~110).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../src/lib/hash.js";
import {
  groupOfPartition,
  partitionCountMax,
  partitionOf,
  partitionOfGroup,
} from "../../src/protocol/placement/index.js";
import { groupId, partitionId } from "../../src/types.js";
import { unicodeString } from "./arbitraries.js";

function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((sum, count) => sum + count, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

describe("partitionOf", () => {
  it("pins the format with golden values", () => {
    const golden = [
      partitionOf("locks", null, 64),
      partitionOf("users", "alice", 64),
      partitionOf("users", "bob", 64),
      partitionOf("counter:visits", null, 64),
      partitionOf("users", "alice", 1000),
      partitionOf("", "", 7),
    ];
    expect(golden).toEqual([58, 44, 32, 62, 702, 1]);
  });

  it("returns a partition in [0, P) for any name, key and P (1,000 cases)", () => {
    fc.assert(
      fc.property(
        unicodeString(0, 32),
        fc.option(unicodeString(0, 32)),
        fc.integer({ min: 1, max: partitionCountMax }),
        (name, key, partitionCount) => {
          const partition = partitionOf(name, key, partitionCount);
          expect(Number.isInteger(partition)).toBe(true);
          expect(partition).toBeGreaterThanOrEqual(0);
          expect(partition).toBeLessThan(partitionCount);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("hashes a string key as its UTF-8 bytes (1,000 cases)", () => {
    fc.assert(
      fc.property(unicodeString(0, 32), unicodeString(0, 32), (name, key) => {
        expect(partitionOf(name, utf8(key), 64)).toBe(partitionOf(name, key, 64));
      }),
      { numRuns: 1000 },
    );
  });

  it("spreads the entries of one map evenly over all partitions", () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) counts[partitionOf("sessions", `session-${i}`, 64)]! += 1;
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(chiSquare(counts)).toBeLessThan(120);
  });

  it("spreads structure names evenly, and keys of one name differ from the name alone", () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) counts[partitionOf(`lock-${i}`, null, 64)]! += 1;
    expect(chiSquare(counts)).toBeLessThan(120);
    // The map's entries do not all follow the map's name to one partition.
    const entryPartitions = new Set<number>();
    for (let i = 0; i < 1000; i++) entryPartitions.add(partitionOf("users", `u${i}`, 64));
    expect(entryPartitions.size).toBe(64);
  });

  it("does not collide names and keys that concatenate to the same string", () => {
    let same = 0;
    for (let i = 0; i < 1000; i++) {
      if (partitionOf(`a${i}`, "bc", 1024) === partitionOf(`a${i}b`, "c", 1024)) same += 1;
    }
    // Independent hashes agree with probability 1/1024; allow a handful.
    expect(same).toBeLessThan(10);
  });

  it("maps partitions to Raft groups 1 + p and back, keeping group 0 for the configuration", () => {
    for (let p = 0; p < 64; p++) {
      const group = groupOfPartition(partitionId(p));
      expect(group).toBe(p + 1);
      expect(partitionOfGroup(group)).toBe(p);
    }
    expect(partitionOfGroup(groupId(0))).toBeNull();
  });

  it("refuses a partition count outside [1, partitionCountMax]", () => {
    expect(() => partitionOf("x", null, 0)).toThrow(/partitionCount/);
    expect(() => partitionOf("x", null, partitionCountMax + 1)).toThrow(/partitionCount/);
    expect(() => partitionOf("x", null, 1.5)).toThrow(/partitionCount/);
  });
});
