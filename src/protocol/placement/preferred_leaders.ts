// Which replica of each partition should lead its Raft group. Rank order alone (the first replica)
// leaves leadership as uneven as rendezvous hashing happens to be for a small P: 16 partitions on
// members n1, n2, n3 give them 8, 4 and 4, so one member answers half of every CP write and read.
// Leaders cost more than followers (client requests, answers, apply, reads), so this spreads them.
// It starts from rank order and moves a partition's leadership to another of its replicas only
// while that replica leads at least two partitions fewer than the current leader (the least loaded
// such replica, ties to rank order, partitions in order, until no move is left). A move never
// raises the largest load (the target ends below the source's old load), so no member ever leads
// more than under rank order; each move lowers the sum of squared loads, so the loop ends; and a
// placement that is already even keeps rank order. For the example: 6, 5 and 5. Pure and
// deterministic: every member computes the same from the same table, so transfers never fight.

import { assert } from "../../lib/assert.js";
import type { NodeId } from "../../types.js";
import type { PartitionTable } from "./partition_table.js";

/** The preferred leader of every partition of `table`, by partition. */
export function preferredLeaders(table: PartitionTable): NodeId[] {
  const counts = new Map<NodeId, number>();
  const countOf = (node: NodeId): number => counts.get(node) ?? 0;
  const leaders = table.partitions.map((row) => {
    const first = row.replicas[0];
    assert(first !== undefined, `partition ${row.partition} has no replicas`);
    counts.set(first, countOf(first) + 1);
    return first;
  });
  // Each move lowers the sum of squared loads by at least 2, which starts below P²: bounded.
  const movesMax = table.partitionCount * table.partitionCount;
  let moves = 0;
  for (let moved = true; moved; ) {
    moved = false;
    for (const row of table.partitions) {
      const current = leaders[row.partition]!;
      let least = current;
      for (const node of row.replicas) if (countOf(node) < countOf(least)) least = node;
      if (countOf(least) + 2 > countOf(current)) continue;
      counts.set(current, countOf(current) - 1);
      counts.set(least, countOf(least) + 1);
      leaders[row.partition] = least;
      moved = true;
      moves += 1;
      assert(moves <= movesMax, "leader balancing converges");
    }
  }
  return leaders;
}
