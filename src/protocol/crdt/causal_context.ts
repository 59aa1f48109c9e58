// Dots and causal contexts (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", §5).
// A dot (replica, counter) names one event. A causal context is the set of dots a state has seen,
// stored compactly as a version vector (every dot up to vv[r] seen) plus a dot cloud (dots seen
// beyond a gap). Compaction folds cloud dots into the vector as gaps close; under causal delivery
// the cloud stays empty, which is what keeps metadata proportional to the number of replicas.

import { assert } from "../../lib/assert.js";
import type { ReplicaId } from "../../types.js";
import { type ByteReader, type ByteWriter, CodecError, compareStrings } from "./codec.js";

/** One event: the `counter`-th dot minted by `replica`. Counters start at 1. */
export interface Dot {
  readonly replica: ReplicaId;
  readonly counter: number;
}

/** Orders dots by replica, then counter: the canonical order of every encoded dot list. */
export function compareDots(a: Dot, b: Dot): number {
  return compareStrings(a.replica, b.replica) || a.counter - b.counter;
}

/** The most replicas one decoded context may name (a hostile count is refused before allocating). */
export const CONTEXT_REPLICAS_MAX = 65_536;

/** The set of dots a state has seen: a version vector plus a cloud of dots beyond its gaps. */
export class CausalContext {
  private readonly vector = new Map<ReplicaId, number>();
  private readonly cloud = new Map<ReplicaId, Set<number>>();

  /** Whether the dot (replica, counter) has been seen. */
  contains(replica: ReplicaId, counter: number): boolean {
    if ((this.vector.get(replica) ?? 0) >= counter) return true;
    return this.cloud.get(replica)?.has(counter) ?? false;
  }

  /** Mints the next dot of `replica`: one past the highest counter seen from it. Does not record it. */
  next(replica: ReplicaId): Dot {
    let highest = this.vector.get(replica) ?? 0;
    for (const counter of this.cloud.get(replica) ?? []) highest = Math.max(highest, counter);
    return { replica, counter: highest + 1 };
  }

  /** Records one dot as seen and compacts that replica's entry. */
  add(dot: Dot): void {
    assert(Number.isSafeInteger(dot.counter) && dot.counter >= 1, "dot counters start at 1");
    if (this.contains(dot.replica, dot.counter)) return;
    let dots = this.cloud.get(dot.replica);
    if (dots === undefined) this.cloud.set(dot.replica, (dots = new Set()));
    dots.add(dot.counter);
    this.compactReplica(dot.replica);
  }

  /** Joins `other` into this context (set union), then compacts. */
  join(other: CausalContext): void {
    for (const [replica, counter] of other.vector) {
      if (counter > (this.vector.get(replica) ?? 0)) this.vector.set(replica, counter);
    }
    const touched = new Set<ReplicaId>(other.vector.keys());
    for (const [replica, counters] of other.cloud) {
      let dots = this.cloud.get(replica);
      if (dots === undefined) this.cloud.set(replica, (dots = new Set()));
      for (const counter of counters) dots.add(counter);
      touched.add(replica);
    }
    for (const replica of touched) this.compactReplica(replica);
  }

  /** Returns an independent copy. */
  clone(): CausalContext {
    const copy = new CausalContext();
    for (const [replica, counter] of this.vector) copy.vector.set(replica, counter);
    for (const [replica, counters] of this.cloud) copy.cloud.set(replica, new Set(counters));
    return copy;
  }

  /** Number of dots held in the cloud (zero when the context is a plain version vector). */
  get cloudDotCount(): number {
    let count = 0;
    for (const counters of this.cloud.values()) count += counters.size;
    return count;
  }

  /** Number of dots the context stands for (vector ranges plus cloud). */
  get dotCount(): number {
    let count = this.cloudDotCount;
    for (const counter of this.vector.values()) count += counter;
    return count;
  }

  /** Number of replicas named in the vector or the cloud. */
  get replicaCount(): number {
    const names = new Set<ReplicaId>(this.vector.keys());
    for (const replica of this.cloud.keys()) names.add(replica);
    return names.size;
  }

  /** Whether no dot has been seen. */
  get isEmpty(): boolean {
    return this.vector.size === 0 && this.cloud.size === 0;
  }

  /** Calls `visit` for every dot the context stands for (vector ranges first). */
  forEachDot(visit: (replica: ReplicaId, counter: number) => void): void {
    for (const [replica, counter] of this.vector) for (let c = 1; c <= counter; c++) visit(replica, c);
    for (const [replica, counters] of this.cloud) for (const c of counters) visit(replica, c);
  }

  /** The replicas named in the vector or the cloud, sorted. */
  replicaIds(): ReplicaId[] {
    const names = new Set<ReplicaId>(this.vector.keys());
    for (const replica of this.cloud.keys()) names.add(replica);
    return [...names].sort(compareStrings);
  }

  /** The highest contiguous counter seen from `replica` (0 if none). */
  contiguous(replica: ReplicaId): number {
    return this.vector.get(replica) ?? 0;
  }

  /** Whether every dot of this context is in `other`. */
  isSubsetOf(other: CausalContext): boolean {
    for (const [replica, counter] of this.vector) {
      if (other.contiguous(replica) >= counter) continue;
      for (let c = other.contiguous(replica) + 1; c <= counter; c++) {
        if (!other.contains(replica, c)) return false;
      }
    }
    for (const [replica, counters] of this.cloud) {
      for (const c of counters) if (!other.contains(replica, c)) return false;
    }
    return true;
  }

  /** Writes the context canonically: vector sorted by replica, then cloud sorted. */
  encode(writer: ByteWriter): void {
    const replicas = [...this.vector.keys()].sort(compareStrings);
    writer.uint(replicas.length);
    for (const replica of replicas) {
      writer.string(replica);
      writer.uint(this.vector.get(replica)!);
    }
    const clouded = [...this.cloud.keys()].sort(compareStrings);
    writer.uint(clouded.length);
    for (const replica of clouded) {
      const counters = [...this.cloud.get(replica)!].sort((a, b) => a - b);
      writer.string(replica);
      writer.uint(counters.length);
      for (const counter of counters) writer.uint(counter);
    }
  }

  /** Reads a context written by {@link encode}; refuses non-canonical input. */
  static decode(reader: ByteReader): CausalContext {
    const context = new CausalContext();
    const vectorCount = reader.uintAtMost(CONTEXT_REPLICAS_MAX, "vector entries");
    for (let i = 0; i < vectorCount; i++) {
      const replica = reader.string() as ReplicaId;
      const counter = reader.uint();
      if (counter === 0 || context.vector.has(replica)) throw new CodecError("bad vector entry");
      context.vector.set(replica, counter);
    }
    const cloudCount = reader.uintAtMost(CONTEXT_REPLICAS_MAX, "cloud entries");
    for (let i = 0; i < cloudCount; i++) {
      const replica = reader.string() as ReplicaId;
      const count = reader.uintAtMost(reader.remaining, "cloud dots");
      const counters = new Set<number>();
      for (let j = 0; j < count; j++) counters.add(reader.uint());
      if (counters.size === 0 || context.cloud.has(replica)) throw new CodecError("bad cloud entry");
      context.cloud.set(replica, counters);
      context.compactReplica(replica);
    }
    return context;
  }

  /** Folds cloud dots of `replica` that close the vector's gap into the vector; drops covered ones. */
  private compactReplica(replica: ReplicaId): void {
    const counters = this.cloud.get(replica);
    if (counters === undefined) return;
    let top = this.vector.get(replica) ?? 0;
    for (const counter of counters) if (counter <= top) counters.delete(counter);
    while (counters.delete(top + 1)) top += 1;
    if (top > 0) this.vector.set(replica, top);
    if (counters.size === 0) this.cloud.delete(replica);
    assert(!this.cloud.get(replica)?.has(top + 1), "compaction left a closable gap");
  }
}
