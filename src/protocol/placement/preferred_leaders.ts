// Which replica of each partition should lead its Raft group. Rank order alone (the first replica)
// leaves leadership as uneven as rendezvous hashing happens to be for a small P: 16 partitions on
// members n1, n2, n3 give them 8, 4 and 4, so one member answers half of every CP write and read.
// Leaders cost more than followers (client requests, answers, apply, reads), so this spreads them:
// each partition goes to its first replica in rank order that still has fewer than floor(P/M)
// partitions (M: the members holding replicas); a partition whose replicas are all full goes to
// the least loaded of them, ties to rank order. For the example: 6, 5 and 5. Pure and
// deterministic: every member computes the same from the same table, so transfers never fight.

import { assert } from "../../lib/assert.js";
import type { NodeId } from "../../types.js";
import type { PartitionTable } from "./partition_table.js";

/** The preferred leader of every partition of `table`, by partition. */
export function preferredLeaders(table: PartitionTable): NodeId[] {
  const holders = new Set<NodeId>();
  for (const row of table.partitions) for (const node of row.replicas) holders.add(node);
  const quota = Math.floor(table.partitionCount / Math.max(1, holders.size));
  const counts = new Map<NodeId, number>();
  const leaders: (NodeId | null)[] = table.partitions.map((row) => {
    const first = row.replicas.find((node) => (counts.get(node) ?? 0) < quota);
    if (first !== undefined) counts.set(first, (counts.get(first) ?? 0) + 1);
    return first ?? null;
  });
  // Second pass, once every partition that fits under the quota has its leader.
  return leaders.map((leader, partition) => {
    if (leader !== null) return leader;
    const replicas = table.partitions[partition]!.replicas;
    assert(replicas.length > 0, `partition ${partition} has no replicas`);
    let least = replicas[0]!;
    for (const node of replicas) if ((counts.get(node) ?? 0) < (counts.get(least) ?? 0)) least = node;
    counts.set(least, (counts.get(least) ?? 0) + 1);
    return least;
  });
}
