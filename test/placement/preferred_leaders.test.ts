// Goal: preferredLeaders spreads Raft leadership evenly over the members without leaving a
// partition's replicas: every preferred leader is one of its partition's replicas, the same table
// always gives the same leaders, full replication (R = M) is balanced to within one partition, no
// placement ends up more uneven than rank order's first replicas, and rank order is kept where it
// is already even. Method: fast-check over member sets and placement shapes through bootstrapTable;
// the bench's own cluster (n1..n3, 16 partitions) as a worked example.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bootstrapTable, preferredLeaders } from "../../src/protocol/placement/index.js";
import type { PartitionTable } from "../../src/protocol/placement/index.js";
import { type NodeId, nodeId } from "../../src/types.js";
import { memberSet, placementConfig } from "./arbitraries.js";

function countsOf(leaders: readonly NodeId[]): number[] {
  const counts = new Map<NodeId, number>();
  for (const leader of leaders) counts.set(leader, (counts.get(leader) ?? 0) + 1);
  return [...counts.values()];
}

function holdersOf(table: PartitionTable): number {
  return new Set(table.partitions.flatMap((row) => row.replicas)).size;
}

describe("preferredLeaders", () => {
  it("picks a replica of each partition, the same one every time, never more unevenly than rank order", () => {
    fc.assert(
      fc.property(memberSet(1, 9), placementConfig, (members, config) => {
        const table = bootstrapTable(members, config);
        const leaders = preferredLeaders(table);
        expect(leaders.length).toBe(table.partitionCount);
        for (const row of table.partitions) expect(row.replicas).toContain(leaders[row.partition]);
        expect(preferredLeaders(table)).toEqual(leaders);
        const ranked = table.partitions.map((row) => row.replicas[0]!);
        expect(Math.max(...countsOf(leaders))).toBeLessThanOrEqual(Math.max(...countsOf(ranked)));
      }),
      { numRuns: 500 },
    );
  });

  it("never gives a member more than rank order does, on the placement that broke a greedy quota", () => {
    // Found by the property above: taking each partition's first replica under floor(P/M) and the
    // least loaded one after gave a member 14 partitions where rank order gives it 13 at most.
    const members = ["|𡳅", '嵎ൃ"󙘲⟰', "큠", "䔵ᡫ򉇼郬莵"];
    const table = bootstrapTable(members.map(nodeId), { partitionCount: 48, replicaCountMax: 2 });
    const ranked = table.partitions.map((row) => row.replicas[0]!);
    expect(Math.max(...countsOf(ranked))).toBe(13);
    expect(Math.max(...countsOf(preferredLeaders(table)))).toBeLessThanOrEqual(13);
  });

  it("balances full replication to within one partition per member", () => {
    fc.assert(
      fc.property(memberSet(1, 5), fc.integer({ min: 1, max: 256 }), (members, partitionCount) => {
        const table = bootstrapTable(members, { partitionCount, replicaCountMax: 5 });
        const counts = countsOf(preferredLeaders(table));
        const holders = holdersOf(table);
        const full = [...counts, ...Array.from({ length: holders - counts.length }, () => 0)];
        expect(Math.max(...full) - Math.min(...full)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps rank order's first replicas where no member has more than its share", () => {
    let even = 0;
    fc.assert(
      fc.property(memberSet(1, 6), placementConfig, (members, config) => {
        const table = bootstrapTable(members, config);
        const ranked = table.partitions.map((row) => row.replicas[0]!);
        const share = Math.floor(table.partitionCount / holdersOf(table));
        fc.pre(Math.max(...countsOf(ranked)) <= share);
        even += 1;
        expect(preferredLeaders(table)).toEqual(ranked);
      }),
      { numRuns: 300 },
    );
    expect(even).toBeGreaterThan(10);
  });

  it("gives the bench's three members 6, 5 and 5 of 16 partitions where rank order gives 8, 4 and 4", () => {
    const table = bootstrapTable(["n1", "n2", "n3"].map(nodeId), { partitionCount: 16, replicaCountMax: 3 });
    const ranked = table.partitions.map((row) => row.replicas[0]!);
    expect(countsOf(ranked).sort()).toEqual([4, 4, 8]);
    expect(countsOf(preferredLeaders(table)).sort()).toEqual([5, 5, 6]);
  });
});
