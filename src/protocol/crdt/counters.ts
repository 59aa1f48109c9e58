// Grow-only and positive-negative counters. A GCounter maps each replica to the total it has
// added; the join is the entry-wise maximum and the value the sum. A delta carries just the
// incrementing replica's new total. A PNCounter is a pair of GCounters, increments and decrements.

import { assert } from "../../lib/assert.js";
import type { ReplicaId } from "../../types.js";
import { type ByteReader, type ByteWriter, CodecError, compareStrings } from "./codec.js";
import { CONTEXT_REPLICAS_MAX } from "./causal_context.js";
import type { Crdt, ProjectableCrdt } from "./crdt.js";
import { type CrdtMutants, MUTANTS_NONE } from "./mutants.js";

/** The totals of every GCounter never written: shared, never changed. */
const NO_TOTALS: ReadonlyMap<ReplicaId, number> = new Map();

/** A grow-only counter. */
export class GCounter implements ProjectableCrdt {
  readonly type = "gcounter";
  /** Shared and empty until the first write (most deltas leave one side of a PNCounter empty). */
  private totals: ReadonlyMap<ReplicaId, number> = NO_TOTALS;
  /** The sum of `totals`, kept by every write (put), so that value() reads no map. */
  private sum = 0;

  get isBottom(): boolean {
    return this.totals.size === 0;
  }

  /** The counter's value: the sum of every replica's total. */
  value(): number {
    return this.sum;
  }

  /** The total added by one replica. */
  totalOf(replica: ReplicaId): number {
    return this.totals.get(replica) ?? 0;
  }

  /** Returns the delta of adding `amount` (≥ 0) at `replica`, without applying it. */
  incrementDelta(replica: ReplicaId, amount: number): GCounter {
    assert(Number.isSafeInteger(amount) && amount >= 0, "a GCounter grows by a non-negative integer");
    const delta = new GCounter();
    delta.put(replica, this.totalOf(replica) + amount);
    return delta;
  }

  /**
   * Adds `amount` at `replica` in place and returns the delta applied (the replica's new total);
   * equal to joining {@link incrementDelta}, since the new total is at least the old one.
   */
  increment(replica: ReplicaId, amount: number): GCounter {
    this.incrementInPlace(replica, amount);
    return this.projection(replica);
  }

  /** Adds `amount` (≥ 0) at `replica` in place, allocating nothing: {@link increment} without the delta. */
  incrementInPlace(replica: ReplicaId, amount: number): void {
    assert(Number.isSafeInteger(amount) && amount >= 0, "a GCounter grows by a non-negative integer");
    this.put(replica, this.totalOf(replica) + amount);
  }

  /** The total of `replica` alone (bottom if it has none): every increment delta it made is ⊑ it. */
  projection(replica: ReplicaId): GCounter {
    const part = new GCounter();
    const total = this.totals.get(replica);
    if (total !== undefined) part.put(replica, total);
    return part;
  }

  join(other: Crdt, mutants: CrdtMutants = MUTANTS_NONE): boolean {
    assert(other instanceof GCounter, "GCounter joins only a GCounter");
    if (other === this && !mutants.mergeAddsCounters) return false;
    let changed = false;
    // A join with itself (only under the M10 mutant) must not see its own writes while iterating.
    const entries = other === this ? [...other.totals] : other.totals;
    if (other.totals.size === 0) return false;
    for (const [replica, total] of entries) {
      const mine = this.totals.get(replica);
      const base = mine ?? 0;
      // M10 adds instead of joining: duplicated or re-sent deltas then count twice.
      const joined = mutants.mergeAddsCounters ? base + total : Math.max(base, total);
      if (mine !== undefined && joined === mine) continue;
      changed = true;
      this.putOver(replica, joined, base);
    }
    return changed;
  }

  clone(): GCounter {
    const copy = new GCounter();
    if (this.totals.size > 0) copy.totals = new Map(this.totals);
    copy.sum = this.sum;
    return copy;
  }

  encodeBody(writer: ByteWriter): void {
    // Deltas hold one replica (or none): no array to sort.
    if (this.totals.size <= 1) {
      writer.uint(this.totals.size);
      for (const [replica, total] of this.totals) {
        writer.string(replica);
        writer.uint(total);
      }
      return;
    }
    const replicas = [...this.totals.keys()].sort(compareStrings);
    writer.uint(replicas.length);
    for (const replica of replicas) {
      writer.string(replica);
      writer.uint(this.totals.get(replica)!);
    }
  }

  /** Reads a body written by {@link encodeBody}. */
  static decodeBody(reader: ByteReader): GCounter {
    const counter = new GCounter();
    const count = reader.uintAtMost(CONTEXT_REPLICAS_MAX, "counter entries");
    let previous: string | null = null;
    for (let i = 0; i < count; i++) {
      const replica = reader.string() as ReplicaId;
      if (previous !== null && compareStrings(previous, replica) >= 0)
        throw new CodecError("unsorted counter");
      counter.put(replica, reader.uint());
      previous = replica;
    }
    return counter;
  }

  describe(): string {
    return `gcounter ${this.value()} over ${this.totals.size} replicas`;
  }

  /** Sets the total of `replica` (in the counter's own map, made on the first write) and the sum. */
  private put(replica: ReplicaId, total: number): void {
    this.putOver(replica, total, this.totals.get(replica) ?? 0);
  }

  /** {@link put} when the caller has read the current total, `previous` (0 if none). */
  private putOver(replica: ReplicaId, total: number, previous: number): void {
    if (this.totals === NO_TOTALS) this.totals = new Map();
    this.sum += total - previous;
    (this.totals as Map<ReplicaId, number>).set(replica, total);
  }
}

/** A counter that goes up and down: increments minus decrements. */
export class PNCounter implements ProjectableCrdt {
  readonly type = "pncounter";

  constructor(
    private readonly increments = new GCounter(),
    private readonly decrements = new GCounter(),
  ) {}

  get isBottom(): boolean {
    return this.increments.isBottom && this.decrements.isBottom;
  }

  /** The counter's value. */
  value(): number {
    return this.increments.value() - this.decrements.value();
  }

  /** Returns the delta of adding `amount` (any sign) at `replica`, without applying it. */
  addDelta(replica: ReplicaId, amount: number): PNCounter {
    assert(Number.isSafeInteger(amount), "a PNCounter moves by an integer");
    if (amount >= 0) return new PNCounter(this.increments.incrementDelta(replica, amount), new GCounter());
    return new PNCounter(new GCounter(), this.decrements.incrementDelta(replica, -amount));
  }

  /** Adds `amount` at `replica` in place and returns the delta applied (equal to joining {@link addDelta}). */
  add(replica: ReplicaId, amount: number): PNCounter {
    assert(Number.isSafeInteger(amount), "a PNCounter moves by an integer");
    if (amount >= 0) return new PNCounter(this.increments.increment(replica, amount), new GCounter());
    return new PNCounter(new GCounter(), this.decrements.increment(replica, -amount));
  }

  /** Adds `amount` (any sign) at `replica` in place, allocating nothing: {@link add} without the delta. */
  addInPlace(replica: ReplicaId, amount: number): void {
    assert(Number.isSafeInteger(amount), "a PNCounter moves by an integer");
    if (amount >= 0) this.increments.incrementInPlace(replica, amount);
    else this.decrements.incrementInPlace(replica, -amount);
  }

  /** The increments and decrements of `replica` alone: every delta it made is ⊑ it. */
  projection(replica: ReplicaId): PNCounter {
    return new PNCounter(this.increments.projection(replica), this.decrements.projection(replica));
  }

  join(other: Crdt, mutants: CrdtMutants = MUTANTS_NONE): boolean {
    assert(other instanceof PNCounter, "PNCounter joins only a PNCounter");
    const up = this.increments.join(other.increments, mutants);
    const down = this.decrements.join(other.decrements, mutants);
    return up || down;
  }

  clone(): PNCounter {
    return new PNCounter(this.increments.clone(), this.decrements.clone());
  }

  encodeBody(writer: ByteWriter): void {
    this.increments.encodeBody(writer);
    this.decrements.encodeBody(writer);
  }

  /** Reads a body written by {@link encodeBody}. */
  static decodeBody(reader: ByteReader): PNCounter {
    const increments = GCounter.decodeBody(reader);
    return new PNCounter(increments, GCounter.decodeBody(reader));
  }

  describe(): string {
    return `pncounter ${this.value()} (+${this.increments.value()} -${this.decrements.value()})`;
  }
}
