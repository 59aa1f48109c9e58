// Rendezvous (highest random weight) hashing, Thaler and Ravishankar 1998. Every node gets a
// pseudo-random weight per partition that depends only on the pair (node, partition); a
// partition's replicas are the R nodes of highest weight. Because a weight never depends on the
// other nodes, a joining node only takes the partitions where it outranks someone, and a leaving
// node only frees the partitions it held: the movement is the minimum a balanced placement needs,
// and every member with the same member list computes the same replicas without talking to anyone.

import { assert } from "../../lib/assert.js";
import { mix32, murmur3_32, utf8 } from "../../lib/hash.js";
import type { NodeId, PartitionId } from "../../types.js";

/** The seed of node-name hashes (ASCII "RDVZ"). Part of the format: never change it. */
const nodeSeed = 0x5244565a;

/** The seed partition keys derive from (ASCII "PART"). Part of the format: never change it. */
const partitionSeed = 0x50415254;

/** The most replicas one partition may have (the Raft group size). */
export const replicaCountLimit = 7;

/**
 * Returns the weight of `node` for `partition`. The node's name is hashed once (murmur3_32 of its
 * UTF-8 bytes); the weight mixes that hash with the partition's key through murmur3's finalizer,
 * a bijection with full avalanche, so for each partition the members' weights are distinct
 * whenever their name hashes are, and rankings of different partitions look independent (the
 * load and movement properties of test/placement check this statistically). Stable across
 * processes and platforms.
 */
export function rendezvousWeight(node: NodeId, partition: PartitionId): number {
  return weightOf(nodeHashOf(node), partition);
}

/**
 * Ranks nodes for partitions, hashing each node's name once. Reuse one ranker for every partition
 * of a table: placing P partitions over N nodes then costs N string hashes and P·N integer mixes.
 */
export class RendezvousRanker {
  private readonly nodeHashes: Map<NodeId, number> = new Map();

  /** Ranks `nodes` for `partition`, highest weight first; ties go to the smaller node id. */
  rank(nodes: readonly NodeId[], partition: PartitionId): NodeId[] {
    const weighted = nodes.map((node) => ({ node, weight: weightOf(this.hashOf(node), partition) }));
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

  /** Whether `nodes` is in rank order for `partition` (and holds no node twice). */
  isRanked(nodes: readonly NodeId[], partition: PartitionId): boolean {
    for (let i = 1; i < nodes.length; i++) {
      const previous = { node: nodes[i - 1]!, weight: weightOf(this.hashOf(nodes[i - 1]!), partition) };
      const current = { node: nodes[i]!, weight: weightOf(this.hashOf(nodes[i]!), partition) };
      if (compareWeighted(previous, current) >= 0) return false;
    }
    return true;
  }

  private hashOf(node: NodeId): number {
    let hash = this.nodeHashes.get(node);
    if (hash === undefined) {
      hash = nodeHashOf(node);
      // The cache holds member names; bound it so that a long-lived ranker cannot grow forever.
      if (this.nodeHashes.size >= rankerCacheNodesMax) this.nodeHashes.clear();
      this.nodeHashes.set(node, hash);
    }
    return hash;
  }
}

/** The most node hashes a ranker caches before it starts over. */
const rankerCacheNodesMax = 4096;

function nodeHashOf(node: NodeId): number {
  return murmur3_32(utf8(node), nodeSeed);
}

function weightOf(nodeHash: number, partition: PartitionId): number {
  assert(Number.isSafeInteger(partition) && partition >= 0);
  return mix32(nodeHash, mix32(partitionSeed, partition));
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
