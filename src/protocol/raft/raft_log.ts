// The log as the core sees it: the durable part in Storage plus an unstable tail (entries and maybe
// a snapshot) that the driver has not yet persisted. Ready hands the unstable tail out; advance()
// marks it stable. The commit and applied indexes live here too (etcd log.go, log_unstable.go).

import { assert } from "../../lib/assert.js";
import type { LogIndex, Term } from "../../types.js";
import type { Storage } from "./storage.js";
import type { Entry, Snapshot } from "./types.js";

/** Bytes an entry counts for in flow control: its payload plus a fixed header. */
export function entryBytes(entry: Entry): number {
  return entry.type === "normal" ? entry.data.length + 24 : 48;
}

/** The log: stable entries in Storage plus the unstable tail. */
export class RaftLog {
  committed: LogIndex;
  applied: LogIndex;
  /** The last committed index handed out for applying (by a Ready, or taken early); ≥ applied. */
  applying: LogIndex;
  /** A snapshot received from the leader and not yet persisted. */
  unstableSnapshot: Snapshot | null = null;
  /** Entries not yet persisted; unstable[0] has index `unstableOffset`. */
  private unstable: Entry[] = [];
  private unstableOffset: LogIndex;

  constructor(
    readonly storage: Storage,
    appliedIndex: number,
  ) {
    this.committed = storage.hardState().commit;
    const snapshotIndex = storage.firstIndex() - 1;
    this.applied = Math.max(appliedIndex, snapshotIndex) as LogIndex;
    this.applying = this.applied;
    this.unstableOffset = (storage.lastIndex() + 1) as LogIndex;
    assert(this.committed <= storage.lastIndex(), "hard state commit beyond the durable log");
    assert(this.applied <= this.committed || this.applied === snapshotIndex, "applied beyond commit");
  }

  firstIndex(): LogIndex {
    if (this.unstableSnapshot !== null) return (this.unstableSnapshot.meta.index + 1) as LogIndex;
    return this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    if (this.unstable.length > 0) return (this.unstableOffset + this.unstable.length - 1) as LogIndex;
    if (this.unstableSnapshot !== null) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** The last index that is durable (entries of earlier Ready batches the driver has advanced past). */
  persistedLastIndex(): LogIndex {
    if (this.unstableSnapshot !== null) return (this.firstIndex() - 1) as LogIndex;
    return (this.unstableOffset - 1) as LogIndex;
  }

  /** The term of `index`, or null when compacted away or beyond the end. */
  term(index: LogIndex): Term | null {
    if (this.unstableSnapshot !== null && index === this.unstableSnapshot.meta.index)
      return this.unstableSnapshot.meta.term;
    if (index >= this.unstableOffset && index < this.unstableOffset + this.unstable.length) {
      return this.unstable[index - this.unstableOffset]!.term;
    }
    if (index > this.lastIndex()) return null;
    if (this.unstableSnapshot !== null) return null;
    if (index >= this.unstableOffset) return null;
    return this.storage.term(index);
  }

  lastTerm(): Term {
    const term = this.term(this.lastIndex());
    assert(term !== null, "the last entry always has a term");
    return term;
  }

  matchTerm(index: LogIndex, term: Term): boolean {
    return this.term(index) === term;
  }

  /** Whether a log ending at (lastIndex, lastTerm) is at least as up to date as ours (§5.4.1). */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [low, high), at most `bytesMax` bytes but always at least one. */
  entries(low: LogIndex, high: LogIndex, bytesMax = Number.POSITIVE_INFINITY): Entry[] {
    assert(low >= this.firstIndex(), `entries from ${low} below first index ${this.firstIndex()}`);
    assert(high <= this.lastIndex() + 1, "entries beyond the last index");
    if (low >= high) return [];
    const offset = this.unstableOffset;
    // The common cases take one slice: all from storage (a follower catching up, applying) or all
    // from the unstable tail (a leader replicating what it just appended).
    if (low >= offset) return limitBytes(this.unstable.slice(low - offset, high - offset), bytesMax);
    // With an unstable snapshot the log starts at `offset` (firstIndex), so low < offset is refused above.
    assert(this.unstableSnapshot === null, "entries below an unstable snapshot");
    const stored = this.storage.entries(low, Math.min(high, offset) as LogIndex);
    if (high <= offset) return limitBytes(stored, bytesMax);
    const out = stored.slice();
    for (let index = offset; index < high; index++) out.push(this.unstable[index - offset]!);
    return limitBytes(out, bytesMax);
  }

  /** Appends entries after truncating any conflicting tail; returns the new last index. */
  append(entries: readonly Entry[]): LogIndex {
    if (entries.length === 0) return this.lastIndex();
    const first = entries[0]!.index;
    assert(first > this.committed, `append at ${first} would overwrite committed ${this.committed} (H8)`);
    assert(first <= this.lastIndex() + 1, "append leaves a gap");
    if (first === this.unstableOffset + this.unstable.length) {
      this.unstable.push(...entries);
    } else if (first <= this.unstableOffset) {
      // The whole unstable tail and part of the stable log are replaced; the driver's next write
      // truncates storage at `first` (the write of entries at i discards persisted ones >= i).
      this.unstableOffset = first;
      this.unstable = [...entries];
    } else {
      this.unstable = this.unstable.slice(0, first - this.unstableOffset).concat(entries);
    }
    return this.lastIndex();
  }

  /** The index of the first entry whose term differs from ours or that we lack; 0 if none. */
  findConflict(entries: readonly Entry[]): LogIndex {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0 as LogIndex;
  }

  /** The largest index <= `index` whose term is <= `term` (fast backtracking, etcd log.go). */
  findConflictByTerm(index: LogIndex, term: Term): LogIndex {
    let candidate = Math.min(index, this.lastIndex());
    for (; candidate > 0; candidate--) {
      const ours = this.term(candidate as LogIndex);
      if (ours === null || ours <= term) break;
    }
    return candidate as LogIndex;
  }

  /** Raises the commit index. It never goes back (Figure 2 invariant). */
  commitTo(index: LogIndex): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Marks entries up to (index, term) persisted; ignores a stale acknowledgement after truncation. */
  stableTo(index: LogIndex, term: Term): void {
    if (index < this.unstableOffset) return;
    const ours = this.term(index);
    if (ours !== term || this.unstableSnapshot !== null) return;
    this.unstable = this.unstable.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = (index + 1) as LogIndex;
  }

  /** Marks the unstable snapshot persisted. */
  stableSnapshotTo(index: LogIndex): void {
    if (this.unstableSnapshot === null || this.unstableSnapshot.meta.index !== index) return;
    this.unstableSnapshot = null;
    this.unstableOffset = Math.max(this.unstableOffset, index + 1) as LogIndex;
  }

  /** Replaces the log with a snapshot (the follower's log conflicts with it or is shorter, H7). */
  restore(snapshot: Snapshot): void {
    assert(snapshot.meta.index > this.committed, "restore must move commit forward");
    this.unstableSnapshot = snapshot;
    this.unstable = [];
    this.unstableOffset = (snapshot.meta.index + 1) as LogIndex;
    this.committed = snapshot.meta.index;
  }

  hasUnstableEntries(): boolean {
    return this.unstable.length > 0;
  }

  unstableEntries(): Entry[] {
    return [...this.unstable];
  }

  /** The latest snapshot, unstable or stored. */
  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }

  /**
   * Hands out the committed entries not handed out yet, at most `bytesMax` bytes (at least one):
   * the caller applies them, in order, before it hands out more.
   */
  takeCommittedEntries(bytesMax: number): Entry[] {
    if (this.unstableSnapshot !== null) return [];
    const low = Math.max(this.applying + 1, this.firstIndex()) as LogIndex;
    if (low > this.committed) return [];
    const entries = this.entries(low, (this.committed + 1) as LogIndex, bytesMax);
    const last = entries[entries.length - 1];
    if (last !== undefined) this.applying = last.index;
    return entries;
  }

  /** Whether committed entries wait to be handed out. */
  hasCommittedToApply(): boolean {
    return this.unstableSnapshot === null && this.applying < this.committed;
  }

  appliedTo(index: LogIndex): void {
    assert(index <= this.committed, `applied ${index} beyond commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
    if (index > this.applying) this.applying = index;
  }
}

function limitBytes(entries: Entry[], bytesMax: number): Entry[] {
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    total += entryBytes(entries[i]!);
    if (total > bytesMax && i > 0) return entries.slice(0, i);
  }
  return entries;
}
