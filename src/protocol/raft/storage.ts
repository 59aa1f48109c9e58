// The storage the core reads (etcd's Storage): the durable log, hard state and latest snapshot.
// The driver writes to it (persisting a Ready) before calling advance(); the core only reads. The
// in-memory implementation serves tests, the simulator and the bare-core benchmark.

import { assert } from "../../lib/assert.js";
import type { LogIndex, NodeId, Term } from "../../types.js";
import type { ConfigState, Entry, HardState, Snapshot } from "./types.js";

/** What the core reads at start and while running. Every method is synchronous and pure of side effects. */
export interface Storage {
  /** The durable hard state (term 0, no vote, commit 0 for a fresh member). */
  hardState(): HardState;
  /** Entries in [low, high); both must lie within [firstIndex, lastIndex + 1]. */
  entries(low: LogIndex, high: LogIndex): Entry[];
  /** The term of `index`, or null when it is compacted away or beyond the last index. */
  term(index: LogIndex): Term | null;
  /** The first index still in the log (snapshot index + 1). */
  firstIndex(): LogIndex;
  /** The last index in the log (the snapshot index when the log is empty). */
  lastIndex(): LogIndex;
  /** The latest snapshot; at index 0 it holds the bootstrap configuration. */
  snapshot(): Snapshot;
}

/** Returns a configuration with the given voters and nobody else. */
export function configOfVoters(voters: readonly NodeId[]): ConfigState {
  return { voters: [...voters].sort(), learners: [], retired: [] };
}

/** A Storage in memory. The caller owns synchronisation with the core: write, then advance(). */
export class MemoryStorage implements Storage {
  private state: HardState = { term: 0 as Term, vote: null, commit: 0 as LogIndex };
  private latest: Snapshot;
  /** Entries after the snapshot: log[i] has index snapshot.index + 1 + i. */
  private log: Entry[] = [];

  constructor(snapshot: Snapshot) {
    this.latest = snapshot;
  }

  /** Creates the storage of a member of a new cluster whose voters are `voters`. */
  static bootstrap(voters: readonly NodeId[]): MemoryStorage {
    assert(voters.length > 0, "a cluster needs a voter");
    return new MemoryStorage({
      meta: { index: 0 as LogIndex, term: 0 as Term, config: configOfVoters(voters) },
      data: new Uint8Array(0),
    });
  }

  hardState(): HardState {
    return this.state;
  }

  entries(low: LogIndex, high: LogIndex): Entry[] {
    assert(low >= this.firstIndex(), `entries(${low}) below first index ${this.firstIndex()}`);
    assert(high <= this.lastIndex() + 1, `entries(.., ${high}) beyond last index ${this.lastIndex()}`);
    const offset = this.latest.meta.index + 1;
    return this.log.slice(low - offset, high - offset);
  }

  term(index: LogIndex): Term | null {
    if (index === this.latest.meta.index) return this.latest.meta.term;
    if (index < this.latest.meta.index || index > this.lastIndex()) return null;
    return this.log[index - this.latest.meta.index - 1]!.term;
  }

  firstIndex(): LogIndex {
    return (this.latest.meta.index + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return (this.latest.meta.index + this.log.length) as LogIndex;
  }

  snapshot(): Snapshot {
    return this.latest;
  }

  /** Stores the hard state. Term and vote within a term never go backwards. */
  setHardState(state: HardState): void {
    assert(state.term >= this.state.term, "term went backwards in storage");
    assert(
      state.term > this.state.term || this.state.vote === null || state.vote === this.state.vote,
      "vote changed within a term",
    );
    this.state = state;
  }

  /**
   * Appends entries, discarding every stored entry at or after the first new index (etcd README:
   * "any previously-persisted entries with Index >= i must be discarded", H8).
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first <= this.latest.meta.index) {
      // Entries the snapshot already covers are committed; the core never re-sends different ones.
      const skip = this.latest.meta.index + 1 - first;
      this.append(entries.slice(skip));
      return;
    }
    this.log.length = first - this.latest.meta.index - 1;
    for (const entry of entries) {
      assert(entry.index === this.lastIndex() + 1, "entries must be contiguous");
      this.log.push(entry);
    }
  }

  /**
   * Replaces the whole log with a received snapshot. The core hands a snapshot out only when the
   * member's log conflicts with it or ends before it; a matching log is kept by the core instead (H7).
   */
  applySnapshot(snapshot: Snapshot): void {
    assert(snapshot.meta.index >= this.latest.meta.index, "snapshot older than the stored one");
    this.log = [];
    this.latest = snapshot;
    if (this.state.commit < snapshot.meta.index) this.state = { ...this.state, commit: snapshot.meta.index };
  }

  /** Records a state-machine snapshot taken at `index` and drops the log up to it (log compaction). */
  compact(index: LogIndex, data: Uint8Array, config: ConfigState): void {
    assert(index > this.latest.meta.index, "compaction must move forward");
    assert(index <= this.state.commit, "only committed entries may be compacted");
    const term = this.term(index);
    assert(term !== null, "compaction index must be in the log");
    this.log = this.log.slice(index - this.latest.meta.index);
    this.latest = { meta: { index, term, config }, data };
  }
}
