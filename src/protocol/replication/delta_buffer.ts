// The delta buffer of delta-state anti-entropy (Almeida, Shoker, Baquero, Algorithm 2): every
// delta applied locally (and any delta received from a replica that is not a peer, which the
// replicator forwards; see replicator.ts on origin-only propagation) is numbered and kept until
// every peer has acknowledged it. A peer that acknowledged sequence a is sent the join of deltas
// [a, next): a delta-interval, which it may join because it already holds everything before a.
// The buffer has a hard entry limit; when it overflows, the oldest deltas go and a peer that
// still needed them gets the full state instead.

import { assert } from "../../lib/assert.js";
import type { Crdt } from "../crdt/crdt.js";
import type { CrdtMutants } from "../crdt/mutants.js";

interface BufferedDelta {
  readonly seq: number;
  readonly key: string;
  readonly delta: Crdt;
}

/** Numbered deltas awaiting acknowledgement, oldest first. */
export class DeltaBuffer {
  private readonly entries: BufferedDelta[] = [];
  private head = 0;
  private next = 0;

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
    if (this.entriesMax > 0) this.entries.push({ seq: this.next, key, delta });
    this.next += 1;
    if (this.size > this.entriesMax) this.head += 1;
    this.compactArray();
    assert(this.size <= this.entriesMax, "delta buffer over its limit");
  }

  /** Whether the deltas [fromSeq, nextSeq) are all still held. */
  holdsFrom(fromSeq: number): boolean {
    return fromSeq >= this.oldestSeq;
  }

  /**
   * Joins the deltas [fromSeq, nextSeq) by key. A key with one delta in the interval maps to the
   * buffered delta itself, not a copy: the caller reads the result (to encode it) and drops it, and
   * must not change or keep its values.
   */
  interval(fromSeq: number, mutants: CrdtMutants): Map<string, Crdt> {
    assert(this.holdsFrom(fromSeq), "interval starts before the oldest held delta");
    const joined = new Map<string, Crdt>();
    const copied = new Set<string>();
    for (let i = this.head + (fromSeq - this.oldestSeq); i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      assert(entry.seq >= fromSeq, "buffer order broken");
      const mine = joined.get(entry.key);
      if (mine === undefined) {
        joined.set(entry.key, entry.delta);
        continue;
      }
      if (mine.type !== entry.delta.type) continue;
      if (copied.has(entry.key)) {
        mine.join(entry.delta, mutants);
        continue;
      }
      // A second delta of the key: join into a copy, never into the buffered delta.
      const copy = mine.clone();
      copy.join(entry.delta, mutants);
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
