// Rendezvous (highest random weight) hashing, Thaler and Ravishankar 1998. Every node gets a
// pseudo-random weight per partition that depends only on the pair (node, partition); a
// partition's replicas are the R nodes of highest weight. Because a weight never depends on the
// other nodes, a joining node only takes the partitions where it outranks someone, and a leaving
// node only frees the partitions it held: the movement is the minimum a balanced placement needs,
// and every member with the same member list computes the same replicas without talking to anyone.

import { assert } from "../../lib/assert.js";
import { mix32, murmur3_32, utf8 } from "../../lib/hash.js";
import type { NodeId, PartitionId } from "../../types.js";

/** The seed all partition keys derive from (ASCII "RDVZ"). Part of the format: never change it. */
const partitionSeedBase = 0x5244565a;

/** The most replicas one partition may have (the Raft group size). */
export const replicaCountLimit = 7;

/**
 * Returns the weight of `node` for `partition`: murmur3_32 of the node's name, keyed by the
 * partition. Stable across processes and platforms.
 */
export function rendezvousWeight(node: NodeId, partition: PartitionId): number {
  return weightOf(utf8(node), partition);
}

/**
 * Ranks nodes for one partition, computing each node's UTF-8 bytes once. Reuse one ranker for
 * every partition of a table: placing P partitions over N nodes costs P·N hashes.
 */
export class RendezvousRanker {
  private readonly nodeBytes: Map<NodeId, Uint8Array> = new Map();

  /** Ranks `nodes` for `partition`, highest weight first; ties go to the smaller node id. */
  rank(nodes: readonly NodeId[], partition: PartitionId): NodeId[] {
    const weighted = nodes.map((node) => ({ node, weight: weightOf(this.bytesOf(node), partition) }));
    weighted.sort(compareWeighted);
    const ranked = weighted.map((entry) => entry.node);
    assert(ranked.length === nodes.length);
    return ranked;
  }

  /** Returns the `replicaCount` nodes of highest weight for `partition`, in rank order. */
  place(nodes: readonly NodeId[], partition: PartitionId, replicaCount: number): NodeId[] {
    assert(
      replicaCount >= 1 && replicaCount <= nodes.length,
      `cannot place ${replicaCount} on ${nodes.length}`,
    );
    return this.rank(nodes, partition).slice(0, replicaCount);
  }

  /** Sorts `nodes` in place into rank order for `partition` and returns it. */
  sortInPlace(nodes: NodeId[], partition: PartitionId): NodeId[] {
    const ranked = this.rank(nodes, partition);
    for (let i = 0; i < ranked.length; i++) nodes[i] = ranked[i]!;
    return nodes;
  }

  /** Whether `nodes` is already in rank order for `partition`. */
  isRanked(nodes: readonly NodeId[], partition: PartitionId): boolean {
    const ranked = this.rank(nodes, partition);
    return ranked.every((node, i) => node === nodes[i]);
  }

  private bytesOf(node: NodeId): Uint8Array {
    let bytes = this.nodeBytes.get(node);
    if (bytes === undefined) {
      bytes = utf8(node);
      // The cache holds member names only; bound it so a long-lived ranker cannot grow forever.
      if (this.nodeBytes.size >= rankerCacheNodesMax) this.nodeBytes.clear();
      this.nodeBytes.set(node, bytes);
    }
    return bytes;
  }
}

/** The most node names a ranker caches before it starts over. */
const rankerCacheNodesMax = 4096;

function weightOf(nodeBytes: Uint8Array, partition: PartitionId): number {
  assert(Number.isSafeInteger(partition) && partition >= 0);
  return murmur3_32(nodeBytes, mix32(partitionSeedBase, partition));
}

interface Weighted {
  readonly node: NodeId;
  readonly weight: number;
}

function compareWeighted(a: Weighted, b: Weighted): number {
  if (a.weight !== b.weight) return b.weight - a.weight;
  // Equal 32-bit weights are rare but possible; the id order makes the ranking total.
  if (a.node < b.node) return -1;
  if (a.node > b.node) return 1;
  return 0;
}
