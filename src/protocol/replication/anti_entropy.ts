// Merkle-digest anti-entropy between two replicas. The initiator sends the hashes of the root's
// children; each side answers with the children of the nodes that differ, one level deeper each
// time; at the leaves, the side that found differing leaves sends its states of every key in
// them and asks for the other side's states of the keys that still differ. Equal subtrees cost
// one hash each, so two replicas that differ in few keys ship roughly only those keys.

import { assert } from "../../lib/assert.js";
import { hashString, murmur3_32 } from "../../lib/hash.js";
import type { ReplicaId } from "../../types.js";
import { encodeCrdt } from "../crdt/registry.js";
import { entryHash } from "./merkle.js";
import type { DigestMessage, KeyedBytes, LeafStatesMessage } from "./messages.js";
import type { ReplicaStore } from "./store.js";

/** The digest-exchange half of a replicator. Stateless between messages. */
export class AntiEntropy {
  constructor(
    private readonly self: ReplicaId,
    private readonly store: ReplicaStore,
    private readonly leafStatesEntriesMax: number,
  ) {
    assert(leafStatesEntriesMax >= 1, "leafStatesEntriesMax must be at least 1");
  }

  /** Opens an exchange with `peer`: the hashes of the root's children. */
  start(peer: ReplicaId): DigestMessage {
    this.store.refresh();
    return this.digest(peer, 1, [0]);
  }

  /** Answers a digest: deeper hashes below the differing nodes, or states at the leaves. */
  digestReceive(message: DigestMessage): (DigestMessage | LeafStatesMessage)[] {
    this.store.refresh();
    const tree = this.store.tree;
    const fanout = tree.shape.fanout;
    if (message.level < 1 || message.level > tree.shape.depth) return [];
    if (message.hashes.length !== message.parents.length * fanout) return [];
    const parentsCount = fanout ** (message.level - 1);
    const differing: number[] = [];
    for (let p = 0; p < message.parents.length; p++) {
      const parent = message.parents[p]!;
      if (!Number.isSafeInteger(parent) || parent < 0 || parent >= parentsCount) return [];
      for (let c = 0; c < fanout; c++) {
        const index = parent * fanout + c;
        if (tree.hashAt(message.level, index) !== message.hashes[p * fanout + c]) differing.push(index);
      }
    }
    if (differing.length === 0) return [];
    if (message.level < tree.shape.depth) return [this.digest(message.from, message.level + 1, differing)];
    return [this.leafStates(message.from, differing, null, true)];
  }

  /** Answers leaf states (already joined here): our states of the keys that still differ. */
  leafStatesReply(message: LeafStatesMessage): LeafStatesMessage {
    this.store.refresh();
    const theirs = new Map<string, number>();
    for (const entry of message.entries) {
      theirs.set(entry.key, entryHash(hashString(entry.key), murmur3_32(entry.bytes)));
    }
    return this.leafStates(message.from, message.leaves, theirs, false);
  }

  private digest(peer: ReplicaId, level: number, parents: number[]): DigestMessage {
    const hashes = parents.flatMap((parent) =>
      this.store.tree.childrenOf(level - 1, parent).map((index) => this.store.tree.hashAt(level, index)),
    );
    return { type: "digest", from: this.self, to: peer, level, parents, hashes };
  }

  /** Our states of the keys in `leaves`, skipping keys whose entry hash equals `theirs`. */
  private leafStates(
    peer: ReplicaId,
    leaves: readonly number[],
    theirs: Map<string, number> | null,
    wantsReply: boolean,
  ): LeafStatesMessage {
    const entries: KeyedBytes[] = [];
    const included: number[] = [];
    for (const leaf of leaves) {
      const keys = this.store.keysInLeaf(leaf);
      if (entries.length > 0 && entries.length + keys.length > this.leafStatesEntriesMax) break;
      included.push(leaf);
      for (const key of keys) {
        if (theirs !== null && theirs.get(key) === this.store.entryHashOf(key)) continue;
        entries.push({ key, bytes: encodeCrdt(this.store.get(key)!) });
      }
    }
    return { type: "leaf-states", from: this.self, to: peer, leaves: included, entries, wantsReply };
  }
}
