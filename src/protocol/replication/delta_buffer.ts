// The delta buffer of delta-state anti-entropy (Almeida, Shoker, Baquero, Algorithm 2): every
// delta applied locally (and any delta received from a replica that is not a peer, which the
// replicator forwards; see replicator.ts on origin-only propagation) is numbered and kept until
// every peer has acknowledged it. An in-place write of a projectable type (a counter) keeps no
// delta: its entry names the key, and an interval carries the key's current projection on this
// replica, which includes every such write (ProjectableCrdt); a key written again before the next
// interval is taken keeps its one open entry, so a hot key costs one entry per gossip round. A peer
// that acknowledged sequence a is sent the join of deltas [a, next): a delta-interval, which it may
// join because it already holds everything before a.
// The buffer has a hard entry limit; when it overflows, the oldest deltas go and a peer that
// still needed them gets the full state instead.

import { assert } from "../../lib/assert.js";
import type { Crdt } from "../crdt/crdt.js";
import type { CrdtMutants } from "../crdt/mutants.js";

interface BufferedDelta {
  readonly seq: number;
  readonly key: string;
  /** The delta, or null for in-place writes: the key's projection when the interval is taken. */
  readonly delta: Crdt | null;
}

/** Numbered deltas awaiting acknowledgement, oldest first. */
export class DeltaBuffer {
  private readonly entries: BufferedDelta[] = [];
  private head = 0;
  private next = 0;
  /** Keys with a projected entry that no interval has been taken over yet (since seal()). */
  private readonly open = new Set<string>();

  constructor(private readonly entriesMax: number) {
    assert(Number.isSafeInteger(entriesMax) && entriesMax >= 0, "entriesMax must be a non-negative integer");
  }

  /** The sequence number the next delta will take: every delta below it has been numbered. */
  get nextSeq(): number {
    return this.next;
  }

  /** The oldest sequence number still held (nextSeq when empty). */
  get oldestSeq(): number {
    return this.entries[this.head]?.seq ?? this.next;
  }

  /** Number of deltas held. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /** Numbers and keeps a delta; drops the oldest one if the buffer is full. */
  push(key: string, delta: Crdt): void {
    this.entryAdd(key, delta);
  }

  /**
   * Records an in-place write to `key` whose delta is the key's projection: a new entry, unless the
   * key has one no interval has been taken over yet (that one will carry this write too).
   */
  pushProjected(key: string): void {
    if (this.open.has(key)) return;
    this.open.add(key);
    this.entryAdd(key, null);
  }

  /** Closes the open projected entries: the caller is about to take intervals over them. */
  seal(): void {
    this.open.clear();
  }

  private entryAdd(key: string, delta: Crdt | null): void {
    if (this.entriesMax > 0) this.entries.push({ seq: this.next, key, delta });
    this.next += 1;
    if (this.size > this.entriesMax) {
      const dropped = this.entries[this.head]!;
      // A dropped open entry cannot carry later writes: the next write of its key gets a new one.
      if (dropped.delta === null) this.open.delete(dropped.key);
      this.head += 1;
    }
    this.compactArray();
    assert(this.size <= this.entriesMax, "delta buffer over its limit");
  }

  /** Whether the deltas [fromSeq, nextSeq) are all still held. */
  holdsFrom(fromSeq: number): boolean {
    return fromSeq >= this.oldestSeq;
  }

  /**
   * Joins the deltas [fromSeq, nextSeq) by key; a projected entry contributes `project(key)` once.
   * A key with one delta in the interval maps to the buffered delta itself, not a copy: the caller
   * reads the result (to encode it) and drops it, and must not change or keep its values.
   */
  interval(fromSeq: number, mutants: CrdtMutants, project: (key: string) => Crdt | null): Map<string, Crdt> {
    assert(this.holdsFrom(fromSeq), "interval starts before the oldest held delta");
    const joined = new Map<string, Crdt>();
    const copied = new Set<string>();
    const projected = new Set<string>();
    for (let i = this.head + (fromSeq - this.oldestSeq); i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      assert(entry.seq >= fromSeq, "buffer order broken");
      let delta = entry.delta;
      if (delta === null) {
        if (projected.has(entry.key)) continue;
        projected.add(entry.key);
        delta = project(entry.key);
        if (delta === null) continue;
      }
      const mine = joined.get(entry.key);
      if (mine === undefined) {
        joined.set(entry.key, delta);
        // A projection is fresh: it is this interval's own, and later deltas may join into it.
        if (entry.delta === null) copied.add(entry.key);
        continue;
      }
      if (mine.type !== delta.type) continue;
      if (copied.has(entry.key)) {
        mine.join(delta, mutants);
        continue;
      }
      // A second delta of the key: join into a copy, never into the buffered delta.
      const copy = mine.clone();
      copy.join(delta, mutants);
      joined.set(entry.key, copy);
      copied.add(entry.key);
    }
    return joined;
  }

  /** Drops every delta below `seq` (all peers acknowledged them). */
  collect(seq: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.seq < seq) this.head += 1;
    this.compactArray();
  }

  private compactArray(): void {
    // Amortised: the array is rebuilt only once half of it is dead.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
