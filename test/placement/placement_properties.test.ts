// Goal: TESTING.md T10 for placement. Identical membership views give identical owners; R =
// min(R_max, N) distinct replicas per partition; a join or a leave moves about P·R/N replicas and
// only to or from the changed member; load spreads within a stated bound. Method: fast-check, 1,000
// cases per property, over arbitrary Unicode member names and placement shapes. Logical properties
// use fresh seeds each run (fast-check prints the seed and path of a failure: rerun with
// `fc.assert(..., { seed, path })`); the statistical ones use a fixed seed (`SHOAL_FC_SEED`
// overrides it) so their bounds are checked on the same cases every run. Bounds: per case, a
// member's count may stray from its binomial mean by at most 6 standard deviations plus one; over
// all cases, the mean of (moved / ideal) must lie in [0.9, 1.1] and the mean chi-square of the
// load, divided by its expectation N - R, in [0.8, 1.2].

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import {
  bootstrapTable,
  describeTable,
  partitionOf,
  type PartitionTable,
  type PlacementConfig,
  planPlacement,
  placementConfigDefault,
  replicaCountFor,
  sameList,
} from "../../src/protocol/placement/index.js";
import { type NodeId, nodeId } from "../../src/types.js";
import { loadOf, memberSet, placementConfig, statisticalSeed } from "./arbitraries.js";

const cases = 1000;

function shuffled(members: readonly NodeId[], seed: number): NodeId[] {
  return Prng.fromSeed(seed).shuffle([...members]);
}

/** The binomial bound of the file comment: |count - mean| <= 6 sd + 1. */
function withinBinomialBound(count: number, trials: number, probability: number): boolean {
  const mean = trials * probability;
  const sd = Math.sqrt(trials * probability * (1 - probability));
  return Math.abs(count - mean) <= 6 * sd + 1;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** A member set and one name outside it. */
const membersAndNewcomer = (minLength: number, maxLength: number) =>
  memberSet(minLength + 1, maxLength + 1).map((names) => ({
    members: names.slice(1),
    newcomer: names[0]!,
  }));

describe("T10 placement: views and replica sets", () => {
  it("gives identical tables and plans for identical member sets in any order", () => {
    fc.assert(
      fc.property(memberSet(1, 8), memberSet(1, 8), placementConfig, fc.integer(), (m1, m2, config, seed) => {
        // JSON text compares the whole value (order included) far faster than a deep equality.
        const table = bootstrapTable(m1, config);
        expect(JSON.stringify(bootstrapTable(shuffled(m1, seed), config))).toBe(JSON.stringify(table));
        expect(describeTable(bootstrapTable(shuffled(m1, seed + 1), config))).toBe(describeTable(table));
        const plan = JSON.stringify(planPlacement(table, m2));
        expect(JSON.stringify(planPlacement(table, shuffled(m2, seed)))).toBe(plan);
      }),
      { numRuns: cases },
    );
  });

  it("places R = min(R_max, N) distinct members on every partition", () => {
    fc.assert(
      fc.property(memberSet(1, 16), placementConfig, (members, config) => {
        const table = bootstrapTable(members, config);
        const replicaCount = Math.min(config.replicaCountMax, members.length);
        expect(replicaCountFor(members.length, config.replicaCountMax)).toBe(replicaCount);
        expect(table.partitions).toHaveLength(config.partitionCount);
        // Plain checks collected into one expect: vitest's expect is too slow to call per row.
        const bad = table.partitions.filter(
          (row) =>
            row.replicas.length !== replicaCount ||
            new Set(row.replicas).size !== replicaCount ||
            !row.replicas.every((node) => members.includes(node)) ||
            row.learners.length !== 0,
        );
        expect(bad).toEqual([]);
      }),
      { numRuns: cases },
    );
  });
});

describe("T10 placement: movement on join and leave", () => {
  it("moves replicas only to a joining member, about P·R/(N+1) of them", () => {
    const ratios: number[] = [];
    fc.assert(
      fc.property(membersAndNewcomer(1, 15), placementConfig, ({ members, newcomer }, config) => {
        const before = bootstrapTable(members, config);
        const after = planPlacement(before, [...members, newcomer]).target;
        const gained = joinDiff(before, after, newcomer);
        const replicaCount = replicaCountFor(members.length + 1, config.replicaCountMax);
        const probability = replicaCount / (members.length + 1);
        expect(withinBinomialBound(gained, config.partitionCount, probability)).toBe(true);
        ratios.push(gained / (config.partitionCount * probability));
      }),
      { numRuns: cases, seed: statisticalSeed },
    );
    expect(mean(ratios)).toBeGreaterThan(0.9);
    expect(mean(ratios)).toBeLessThan(1.1);
  });

  it("moves replicas only away from a leaving member, about P·R/N of them", () => {
    const ratios: number[] = [];
    fc.assert(
      fc.property(memberSet(2, 16), placementConfig, fc.nat(), (members, config, pick) => {
        const leaver = members[pick % members.length]!;
        const before = bootstrapTable(members, config);
        const rest = members.filter((member) => member !== leaver);
        const after = planPlacement(before, rest).target;
        const lost = leaveDiff(before, after, leaver);
        const probability = replicaCountFor(members.length, config.replicaCountMax) / members.length;
        expect(withinBinomialBound(lost, config.partitionCount, probability)).toBe(true);
        ratios.push(lost / (config.partitionCount * probability));
      }),
      { numRuns: cases, seed: statisticalSeed },
    );
    expect(mean(ratios)).toBeGreaterThan(0.9);
    expect(mean(ratios)).toBeLessThan(1.1);
  });
});

/**
 * Checks a join row by row and returns how many partitions gained `newcomer`: no other node is
 * added; with the newcomer taken out, the new row is a prefix of the old one (rendezvous never
 * reorders the others); and the preferred leader changes only to the newcomer.
 */
function joinDiff(before: PartitionTable, after: PartitionTable, newcomer: NodeId): number {
  let gained = 0;
  const violations: string[] = [];
  for (const row of after.partitions) {
    const old = before.partitions[row.partition]!.replicas;
    const added = row.replicas.filter((node) => !old.includes(node));
    if (!added.every((node) => node === newcomer)) violations.push(`p${row.partition}: added ${added}`);
    const others = row.replicas.filter((node) => node !== newcomer);
    if (!sameList(others, old.slice(0, others.length))) violations.push(`p${row.partition}: reordered`);
    if (row.replicas[0] !== old[0] && row.replicas[0] !== newcomer)
      violations.push(`p${row.partition}: leader`);
    if (added.length > 0) gained += 1;
  }
  expect(violations).toEqual([]);
  return gained;
}

/**
 * Checks a leave row by row and returns how many partitions lost `leaver`: no other node is
 * removed, rows without the leaver do not change at all, and with the leaver taken out the old row
 * is a prefix of the new one.
 */
function leaveDiff(before: PartitionTable, after: PartitionTable, leaver: NodeId): number {
  let lost = 0;
  const violations: string[] = [];
  for (const row of before.partitions) {
    const next = after.partitions[row.partition]!.replicas;
    const removed = row.replicas.filter((node) => !next.includes(node));
    if (!removed.every((node) => node === leaver)) violations.push(`p${row.partition}: removed ${removed}`);
    if (!row.replicas.includes(leaver)) {
      if (!sameList(next, row.replicas)) violations.push(`p${row.partition}: changed without the leaver`);
      continue;
    }
    const others = row.replicas.filter((node) => node !== leaver);
    if (!sameList(next.slice(0, others.length), others)) violations.push(`p${row.partition}: reordered`);
    lost += 1;
  }
  expect(violations).toEqual([]);
  return lost;
}

describe("T10 placement: keys moved", () => {
  it("moves about the newcomer's fair share of keys on a join, 3->4 and 5->6, and only to it", () => {
    // The default shape, 20,000 map entries, 100 random name sets per size (fixed seed).
    const config = placementConfigDefault();
    const keysPerPartition = new Array<number>(config.partitionCount).fill(0);
    for (let i = 0; i < 20_000; i++)
      keysPerPartition[partitionOf("users", `user-${i}`, config.partitionCount)]! += 1;
    const prng = Prng.fromSeed(statisticalSeed);
    for (const size of [3, 5]) {
      const ratios: number[] = [];
      for (let trial = 0; trial < 100; trial++) {
        const names = Array.from({ length: size + 1 }, (_, i) => nodeId(`m${i}-${prng.nextUint32()}`));
        const before = bootstrapTable(names.slice(0, size), config);
        const after = planPlacement(before, names).target;
        let copies = 0;
        for (const row of after.partitions) {
          const gained = row.replicas.filter(
            (node) => !before.partitions[row.partition]!.replicas.includes(node),
          );
          expect(gained.every((node) => node === names[size])).toBe(true);
          copies += gained.length * keysPerPartition[row.partition]!;
        }
        ratios.push(copies / ((20_000 * 3) / (size + 1)));
      }
      expect(mean(ratios)).toBeGreaterThan(0.95);
      expect(mean(ratios)).toBeLessThan(1.05);
    }
  });
});

describe("T10 placement: load spread", () => {
  it("spreads replicas and preferred leaders within the binomial bound", () => {
    const chiSquareRatios: number[] = [];
    fc.assert(
      fc.property(memberSet(4, 16), fc.constantFrom(32, 64, 128, 256), (members, partitionCount) => {
        const config: PlacementConfig = { partitionCount, replicaCountMax: 3 };
        const table = bootstrapTable(members, config);
        const load = loadOf(table);
        const leaders = new Map<NodeId, number>();
        for (const row of table.partitions)
          leaders.set(row.replicas[0]!, (leaders.get(row.replicas[0]!) ?? 0) + 1);
        const probability = 3 / members.length;
        let chiSquare = 0;
        const outliers: string[] = [];
        for (const member of members) {
          const count = load.get(member) ?? 0;
          const leaderCount = leaders.get(member) ?? 0;
          if (!withinBinomialBound(count, partitionCount, probability)) outliers.push(`${member}: ${count}`);
          if (!withinBinomialBound(leaderCount, partitionCount, 1 / members.length))
            outliers.push(`${member} leads ${leaderCount}`);
          const expected = partitionCount * probability;
          chiSquare += (count - expected) ** 2 / expected;
        }
        expect(outliers).toEqual([]);
        chiSquareRatios.push(chiSquare / (members.length - 3));
      }),
      { numRuns: cases, seed: statisticalSeed },
    );
    expect(mean(chiSquareRatios)).toBeGreaterThan(0.8);
    expect(mean(chiSquareRatios)).toBeLessThan(1.2);
  });

  it("keeps the default shape (64 partitions, R = 3) near even on named clusters", () => {
    for (const size of [3, 4, 5, 6, 9]) {
      const members = Array.from({ length: size }, (_, i) => nodeId(`n${i + 1}`));
      const load = loadOf(bootstrapTable(members, placementConfigDefault()));
      const ideal = (64 * Math.min(3, size)) / size;
      for (const count of load.values()) {
        expect(count).toBeGreaterThanOrEqual(Math.floor(ideal * 0.6));
        expect(count).toBeLessThanOrEqual(Math.ceil(ideal * 1.4));
      }
    }
  });
});
