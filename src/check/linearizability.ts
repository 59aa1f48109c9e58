// The linearizability checker: Wing and Gong's search as Porcupine runs it, with Lowe's
// memoisation. The history of one object becomes a list of call and return entries in time order.
// The search walks it, linearizing a call whenever the model allows it at the current state, and
// lifting the call and its return out of the list; reaching a return whose call is not yet
// linearized means the last choice was wrong, so it backtracks. A cache of (linearized set, state
// set) pairs already explored cuts every repeated subproblem: two paths that linearized the same
// operations and reached the same state have the same future.
//
// Operations of unknown outcome return at +Infinity: they may be linearized anywhere after their
// call, and once every operation of known outcome is linearized the rest may simply never have
// happened, so the search succeeds there. A deadline turns a search that runs too long into the
// verdict "unknown".

import { assert, mix32 } from "../lib/index.js";
import type { Model } from "./model.js";

/** What the search needs of one prepared operation. */
export interface SearchOperation<Operation> {
  readonly operation: Operation;
  readonly callTime: number;
  /** +Infinity when the outcome is unknown. */
  readonly returnTime: number;
}

/** The outcome of searching one object's history. */
export type SearchResult<State> =
  | { readonly verdict: "ok" }
  | { readonly verdict: "unknown" }
  | {
      readonly verdict: "illegal";
      /** The longest prefix of a linearization found: operation indexes, in order. */
      readonly longest: readonly number[];
      /** The state sets after each operation of `longest`. */
      readonly statesAfter: readonly (readonly State[])[];
    };

/** Stops the search when `nowMs()` passes `deadlineMs`. */
export interface SearchDeadline {
  readonly nowMs: () => number;
  readonly deadlineMs: number;
}

/** Search iterations between two looks at the clock. */
const iterationsPerClockCheck = 2048;

interface Entry {
  readonly isCall: boolean;
  readonly operationIndex: number;
  readonly time: number;
  /** For a call, its return entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

interface Frame<State> {
  readonly entry: Entry;
  readonly states: readonly State[];
}

interface CacheItem<State> {
  readonly words: Uint32Array;
  readonly states: readonly State[];
}

function buildEntries<Operation>(operations: readonly SearchOperation<Operation>[]): Entry {
  const entries: Entry[] = [];
  operations.forEach((operation, operationIndex) => {
    assert(operation.callTime < operation.returnTime, "an operation must return after its call");
    const call: Entry = {
      isCall: true,
      operationIndex,
      time: operation.callTime,
      match: null,
      prev: null,
      next: null,
    };
    const ret: Entry = {
      isCall: false,
      operationIndex,
      time: operation.returnTime,
      match: null,
      prev: null,
      next: null,
    };
    call.match = ret;
    entries.push(call, ret);
  });
  // Time order; at equal times calls first (they overlap), then by operation for determinism.
  entries.sort((a, b) => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1;
    if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
    return a.operationIndex - b.operationIndex;
  });
  const head: Entry = {
    isCall: false,
    operationIndex: -1,
    time: -Infinity,
    match: null,
    prev: null,
    next: null,
  };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function lift(entry: Entry): void {
  const ret = entry.match!;
  entry.prev!.next = entry.next;
  if (entry.next !== null) entry.next.prev = entry.prev;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(entry: Entry): void {
  const ret = entry.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  entry.prev!.next = entry;
  if (entry.next !== null) entry.next.prev = entry;
}

/** Searches for a linearization of one object's operations. */
export function searchLinearization<State, Operation>(
  model: Model<State, Operation>,
  operations: readonly SearchOperation<Operation>[],
  deadline: SearchDeadline | null,
): SearchResult<State> {
  const search = new Search(model, operations);
  return search.run(deadline);
}

class Search<State, Operation> {
  private readonly head: Entry;
  private readonly words: Uint32Array;
  private readonly operationHashes: Uint32Array;
  private readonly cache = new Map<number, CacheItem<State>[]>();
  private readonly frames: Frame<State>[] = [];
  private wordsHash = 0;
  private knownRemaining = 0;
  private longest: readonly Frame<State>[] = [];
  private longestLastStates: readonly State[] = [];

  constructor(
    private readonly model: Model<State, Operation>,
    private readonly operations: readonly SearchOperation<Operation>[],
  ) {
    this.head = buildEntries(operations);
    this.words = new Uint32Array(Math.ceil(operations.length / 32) + 1);
    this.operationHashes = new Uint32Array(operations.length);
    for (let i = 0; i < operations.length; i++) {
      this.operationHashes[i] = mix32(i, 0x9e3779b9);
      if (operations[i]!.returnTime !== Infinity) this.knownRemaining += 1;
    }
  }

  run(deadline: SearchDeadline | null): SearchResult<State> {
    let states: readonly State[] = [this.model.init()];
    let entry = this.head.next;
    let iterations = 0;
    while (this.knownRemaining > 0) {
      assert(entry !== null, "the entry list ends before every known operation is linearized");
      iterations += 1;
      if (deadline !== null && iterations % iterationsPerClockCheck === 0) {
        if (deadline.nowMs() > deadline.deadlineMs) return { verdict: "unknown" };
      }
      if (entry.isCall) {
        const next = this.stepAll(states, entry.operationIndex);
        if (next.length > 0 && this.remember(entry.operationIndex, next)) {
          this.frames.push({ entry, states });
          states = next;
          this.linearized(entry);
          if (this.frames.length > this.longest.length) {
            this.longest = this.frames.slice();
            this.longestLastStates = states;
          }
          entry = this.head.next;
        } else {
          entry = entry.next;
        }
        continue;
      }
      // A return whose call is not linearized: undo the last choice.
      const frame = this.frames.pop();
      if (frame === undefined) return this.illegal();
      states = frame.states;
      this.unlinearized(frame.entry);
      entry = frame.entry.next;
    }
    return { verdict: "ok" };
  }

  private illegal(): SearchResult<State> {
    const longest = this.longest.map((frame) => frame.entry.operationIndex);
    const statesAfter = this.longest.map((_, i) =>
      i + 1 < this.longest.length ? this.longest[i + 1]!.states : this.longestLastStates,
    );
    return { verdict: "illegal", longest, statesAfter };
  }

  private linearized(entry: Entry): void {
    const index = entry.operationIndex;
    lift(entry);
    if (this.operations[index]!.returnTime !== Infinity) this.knownRemaining -= 1;
  }

  private unlinearized(entry: Entry): void {
    const index = entry.operationIndex;
    unlift(entry);
    this.flip(index);
    if (this.operations[index]!.returnTime !== Infinity) this.knownRemaining += 1;
  }

  private flip(index: number): void {
    this.words[index >>> 5]! ^= 1 << (index & 31);
    this.wordsHash = (this.wordsHash ^ this.operationHashes[index]!) >>> 0;
  }

  private stepAll(states: readonly State[], index: number): readonly State[] {
    const operation = this.operations[index]!.operation;
    if (states.length === 1) return this.model.step(states[0]!, operation);
    const next: State[] = [];
    for (const state of states) {
      for (const candidate of this.model.step(state, operation)) {
        if (!next.some((known) => this.model.equal(known, candidate))) next.push(candidate);
      }
    }
    return next;
  }

  /** Marks `index` linearized and records (set, states); false (and unmarked) if seen before. */
  private remember(index: number, states: readonly State[]): boolean {
    this.flip(index);
    const key = mix32(this.wordsHash, this.statesHash(states));
    const bucket = this.cache.get(key);
    if (bucket === undefined) {
      this.cache.set(key, [{ words: this.words.slice(), states }]);
      return true;
    }
    for (const item of bucket) {
      if (wordsEqual(item.words, this.words) && this.statesEqual(item.states, states)) {
        this.flip(index);
        return false;
      }
    }
    bucket.push({ words: this.words.slice(), states });
    return true;
  }

  private statesHash(states: readonly State[]): number {
    if (states.length === 1) return this.model.hash(states[0]!);
    let sum = 0;
    for (const state of states) sum = (sum + mix32(this.model.hash(state), 0x5eed)) >>> 0;
    return sum;
  }

  private statesEqual(a: readonly State[], b: readonly State[]): boolean {
    if (a.length !== b.length) return false;
    return a.every((state) => b.some((other) => this.model.equal(state, other)));
  }
}

function wordsEqual(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
