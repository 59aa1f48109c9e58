// A Merkle tree over key hashes with a fixed shape: `fanout` children per node and `depth`
// levels below the root, so fanout^depth leaves. A key lives in the leaf named by the top bits of
// its hash. A node's hash is the sum (mod 2^32) of the entry hashes below it, where an entry hash
// mixes the key hash with the hash of the key's encoded state. Sums make updates O(depth) and
// independent of insertion order, so two replicas holding the same states hold the same tree.

import { assert } from "../../lib/assert.js";
import { mix32 } from "../../lib/hash.js";

/** The shape of a Merkle tree. Both sides of an exchange must use the same shape. */
export interface MerkleShape {
  /** Children per node: a power of two. */
  readonly fanout: number;
  /** Levels below the root. */
  readonly depth: number;
}

/** The most leaves a tree may have (keeps the arrays bounded). */
export const MERKLE_LEAVES_MAX = 1 << 20;

/** A Merkle tree of sums; level 0 is the root, level `depth` the leaves. */
export class MerkleTree {
  private readonly levels: Uint32Array[] = [];
  private readonly fanoutBits: number;

  constructor(readonly shape: MerkleShape) {
    this.fanoutBits = Math.log2(shape.fanout);
    assert(Number.isInteger(this.fanoutBits) && this.fanoutBits >= 1, "fanout must be a power of two ≥ 2");
    assert(shape.depth >= 1 && shape.fanout ** shape.depth <= MERKLE_LEAVES_MAX, "Merkle tree too large");
    for (let level = 0; level <= shape.depth; level++)
      this.levels.push(new Uint32Array(shape.fanout ** level));
  }

  /** The leaf that holds a key with hash `keyHash`. */
  leafOf(keyHash: number): number {
    return (keyHash >>> 0) >>> (32 - this.fanoutBits * this.shape.depth);
  }

  /** Replaces an entry's contribution: `before` and `after` are entry hashes, 0 for absent. */
  update(keyHash: number, before: number, after: number): void {
    const leaf = this.leafOf(keyHash);
    const change = (after - before) >>> 0;
    for (let level = this.shape.depth; level >= 0; level--) {
      const index = leaf >>> (this.fanoutBits * (this.shape.depth - level));
      const nodes = this.levels[level]!;
      nodes[index] = (nodes[index]! + change) >>> 0;
    }
  }

  /** The hash of node `index` at `level`. */
  hashAt(level: number, index: number): number {
    assert(level >= 0 && level <= this.shape.depth, "level out of range");
    const nodes = this.levels[level]!;
    assert(index >= 0 && index < nodes.length, "node index out of range");
    return nodes[index]!;
  }

  /** The root hash. */
  get root(): number {
    return this.levels[0]![0]!;
  }

  /** The indices of the children of node `index` at `level`. */
  childrenOf(level: number, index: number): number[] {
    assert(level < this.shape.depth, "leaves have no children");
    const first = index * this.shape.fanout;
    return Array.from({ length: this.shape.fanout }, (_, i) => first + i);
  }
}

/** The hash of one (key, state) entry; never 0, so 0 can stand for "absent". */
export function entryHash(keyHash: number, stateHash: number): number {
  return mix32(keyHash, stateHash) || 1;
}
