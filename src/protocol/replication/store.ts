// The states one replica holds, by key, with a lazily refreshed Merkle tree over them. Joins mark
// a key dirty; the tree is brought up to date only when a digest is needed, so the write path
// never re-encodes a large state.

import { assert } from "../../lib/assert.js";
import { hashString, murmur3_32 } from "../../lib/hash.js";
import type { Crdt, CrdtTypeName } from "../crdt/crdt.js";
import type { CrdtMutants } from "../crdt/mutants.js";
import { encodeCrdt } from "../crdt/registry.js";
import { entryHash, MerkleTree, type MerkleShape } from "./merkle.js";

/** The outcome of joining a state into the store. */
export type JoinResult = "changed" | "unchanged" | "wrong-type";

/** Keyed CRDT states with a Merkle digest. */
export class ReplicaStore {
  private readonly states = new Map<string, Crdt>();
  private readonly entryHashes = new Map<string, number>();
  private readonly leafKeys = new Map<number, Set<string>>();
  private readonly dirty = new Set<string>();
  readonly tree: MerkleTree;

  constructor(
    shape: MerkleShape,
    private readonly mutants: CrdtMutants,
  ) {
    this.tree = new MerkleTree(shape);
  }

  /** The state at `key`, or undefined. The caller must not mutate it. */
  get(key: string): Crdt | undefined {
    return this.states.get(key);
  }

  /** Number of keys held. */
  get keyCount(): number {
    return this.states.size;
  }

  /** The keys, in insertion order. */
  keys(): IterableIterator<string> {
    return this.states.keys();
  }

  /** Joins `value` into the state at `key` (creating it from a copy if absent). */
  join(key: string, value: Crdt): JoinResult {
    const mine = this.states.get(key);
    if (mine === undefined) {
      if (value.isBottom) return "unchanged";
      this.states.set(key, value.clone());
      this.indexKey(key);
      this.dirty.add(key);
      return "changed";
    }
    if (mine.type !== value.type) return "wrong-type";
    if (!mine.join(value, this.mutants)) return "unchanged";
    this.dirty.add(key);
    return "changed";
  }

  /**
   * Changes the state at `key` in place with `apply` (creating it from `bottom()` if absent; a new
   * key whose state stays bottom is not kept) and returns the delta `apply` returned. `apply` must
   * leave the state equal to its join with that delta.
   */
  update<T extends Crdt>(
    key: string,
    type: CrdtTypeName,
    bottom: () => T,
    apply: (state: T) => Crdt,
  ):
    | { readonly kind: "ok"; readonly delta: Crdt }
    | { readonly kind: "wrong-type"; readonly actual: CrdtTypeName } {
    let state = this.states.get(key);
    if (state !== undefined && state.type !== type) return { kind: "wrong-type", actual: state.type };
    const created = state === undefined;
    if (state === undefined) {
      state = bottom();
      assert(state.type === type, "bottom() makes the named type");
    }
    const delta = apply(state as T);
    assert(delta.type === type, "a delta has its state's type");
    if (created) {
      if (state.isBottom) return { kind: "ok", delta };
      this.states.set(key, state);
      this.indexKey(key);
    }
    this.dirty.add(key);
    return { kind: "ok", delta };
  }

  /**
   * Changes the state at `key` in place with `apply(state, first, second)`, which returns whether
   * it changed it (creating the state from `bottom()` if absent; a new key left unchanged is not
   * kept). No delta is made: for writes whose delta the replicator takes from the state later.
   * The two arguments spare the caller a closure per write.
   */
  modify<T extends Crdt, B, A>(
    key: string,
    type: CrdtTypeName,
    bottom: () => T,
    apply: (state: T, first: B, second: A) => boolean,
    first: B,
    second: A,
  ):
    | { readonly kind: "ok"; readonly state: T; readonly changed: boolean }
    | { readonly kind: "wrong-type"; readonly actual: CrdtTypeName } {
    const held = this.states.get(key);
    if (held !== undefined && held.type !== type) return { kind: "wrong-type", actual: held.type };
    const state = (held ?? bottom()) as T;
    assert(state.type === type, "bottom() makes the named type");
    const changed = apply(state, first, second);
    if (!changed) return { kind: "ok", state, changed };
    if (held === undefined) {
      this.states.set(key, state);
      this.indexKey(key);
    }
    this.dirty.add(key);
    return { kind: "ok", state, changed };
  }

  /** Brings the Merkle tree up to date with every state changed since the last refresh. */
  refresh(): void {
    for (const key of this.dirty) {
      const state = this.states.get(key);
      assert(state !== undefined, "a dirty key must be held");
      const keyHash = hashString(key);
      const after = entryHash(keyHash, murmur3_32(encodeCrdt(state)));
      this.tree.update(keyHash, this.entryHashes.get(key) ?? 0, after);
      this.entryHashes.set(key, after);
    }
    this.dirty.clear();
  }

  /** The keys in Merkle leaf `leaf`, sorted. */
  keysInLeaf(leaf: number): string[] {
    return [...(this.leafKeys.get(leaf) ?? [])].sort();
  }

  /** The entry hash of `key` after the last refresh (0 if absent). */
  entryHashOf(key: string): number {
    assert(!this.dirty.has(key), "refresh before reading entry hashes");
    return this.entryHashes.get(key) ?? 0;
  }

  private indexKey(key: string): void {
    const leaf = this.tree.leafOf(hashString(key));
    let keys = this.leafKeys.get(leaf);
    if (keys === undefined) this.leafKeys.set(leaf, (keys = new Set()));
    keys.add(key);
  }
}
