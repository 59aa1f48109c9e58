// Dot stores (delta-CRDT paper §5.1): the payload half of a causal CRDT, whose other half is a
// causal context. A DotSet is a set of dots (Flag, the per-element half of ORSet); a DotFun maps
// dots to values (MVRegister, LWWMap entries); a DotMap maps keys to nested dot stores (ORSet,
// ORMap). One join serves them all: a dot survives if both sides hold it, or if one side holds it
// and the other side's context has not seen it. A dot seen by the other side and absent from its
// store was removed there, so removes need no tombstones.

import { assert } from "../../lib/assert.js";
import { type ByteReader, type ByteWriter, CodecError, compareStrings } from "./codec.js";
import { type CausalContext, compareDots, type Dot } from "./causal_context.js";
import type { ReplicaId } from "../../types.js";

/** A value held at a dot, with the hybrid-logical-clock stamp it was written at. */
export interface Stamped {
  readonly value: string;
  readonly wallMs: number;
  readonly logical: number;
}

/** The shape of a dot store: a set, a function, or a map whose values have the given shape. */
export type StoreShape = "set" | "fun" | { readonly map: StoreShape };

/** Any dot store. */
export type DotStore = DotSet | DotFun | DotMap;

/** The most entries one decoded store level may claim. */
export const STORE_ENTRIES_MAX = 1 << 24;

/** A set of dots, kept sorted by {@link compareDots}. */
export class DotSet {
  readonly kind = "set";
  constructor(public dots: Dot[] = []) {}

  get isBottom(): boolean {
    return this.dots.length === 0;
  }

  forEachDot(visit: (dot: Dot) => void): void {
    for (const dot of this.dots) visit(dot);
  }

  clone(): DotSet {
    return new DotSet(this.dots.slice());
  }
}

/** A map from dots to stamped values, kept sorted by dot. */
export class DotFun {
  readonly kind = "fun";
  constructor(public entries: { readonly dot: Dot; readonly value: Stamped }[] = []) {}

  get isBottom(): boolean {
    return this.entries.length === 0;
  }

  forEachDot(visit: (dot: Dot) => void): void {
    for (const entry of this.entries) visit(entry.dot);
  }

  clone(): DotFun {
    return new DotFun(this.entries.slice());
  }
}

/**
 * A map from string keys to nested stores of one shape. It indexes which key owns each dot, so
 * that joining a small delta whose context removes a few dots touches only the keys that held them
 * instead of scanning the whole map.
 */
export class DotMap {
  readonly kind = "map";
  readonly entries = new Map<string, DotStore>();
  /** replica → counter → owning key: nested maps avoid building a string per dot. */
  private readonly owners = new Map<ReplicaId, Map<number, string>>();
  private ownedDotCount = 0;

  constructor(readonly valueShape: StoreShape) {}

  get isBottom(): boolean {
    return this.entries.size === 0;
  }

  forEachDot(visit: (dot: Dot) => void): void {
    for (const store of this.entries.values()) store.forEachDot(visit);
  }

  /** Number of dots held at any depth below this map. */
  get dotCount(): number {
    return this.ownedDotCount;
  }

  /** The key whose nested store holds the dot, if any. */
  ownerOf(replica: ReplicaId, counter: number): string | undefined {
    return this.owners.get(replica)?.get(counter);
  }

  /** Removes the entry at `key` and returns it (bottom if absent), keeping the dot index exact. */
  take(key: string): DotStore {
    const previous = this.entries.get(key);
    if (previous === undefined) return bottomStore(this.valueShape);
    previous.forEachDot((dot) => {
      if (this.owners.get(dot.replica)?.delete(dot.counter) === true) this.ownedDotCount -= 1;
    });
    this.entries.delete(key);
    return previous;
  }

  /** Replaces (or, with a bottom store, deletes) the entry at `key`, keeping the dot index exact. */
  put(key: string, store: DotStore): void {
    this.take(key);
    if (store.isBottom) return;
    assert(shapeMatches(store, this.valueShape), "nested store has the wrong shape");
    this.entries.set(key, store);
    store.forEachDot((dot) => {
      let byCounter = this.owners.get(dot.replica);
      if (byCounter === undefined) this.owners.set(dot.replica, (byCounter = new Map()));
      if (!byCounter.has(dot.counter)) this.ownedDotCount += 1;
      byCounter.set(dot.counter, key);
    });
  }

  clone(): DotMap {
    const copy = new DotMap(this.valueShape);
    // Sets and funs are replaced, never mutated, by joins: sharing them is safe; maps are copied.
    for (const [key, store] of this.entries)
      copy.entries.set(key, store.kind === "map" ? store.clone() : store);
    for (const [replica, byCounter] of this.owners) copy.owners.set(replica, new Map(byCounter));
    copy.ownedDotCount = this.ownedDotCount;
    return copy;
  }
}

/** Whether `store` has the given shape at its top level. */
export function shapeMatches(store: DotStore, shape: StoreShape): boolean {
  if (typeof shape === "string") return store.kind === shape;
  return store.kind === "map" && shapesEqual(store.valueShape, shape.map);
}

/** Whether two shapes are the same. */
export function shapesEqual(a: StoreShape, b: StoreShape): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return shapesEqual(a.map, b.map);
}

/** Returns the empty store of a shape. */
export function bottomStore(shape: StoreShape): DotStore {
  if (shape === "set") return new DotSet();
  if (shape === "fun") return new DotFun();
  return new DotMap(shape.map);
}

/** Returns an independent copy of a store. */
export function cloneStore(store: DotStore): DotStore {
  return store.clone();
}

/** Returns the shape of a store. */
export function shapeOf(store: DotStore): StoreShape {
  if (store.kind === "map") return { map: store.valueShape };
  return store.kind;
}

/**
 * Joins store `b` (seen under context `cb`) into store `a` (seen under `ca`) and returns the
 * result, which may be `a` itself mutated. The caller joins the contexts afterwards.
 */
export function joinStores(a: DotStore, ca: CausalContext, b: DotStore, cb: CausalContext): DotStore {
  assert(a.kind === b.kind, `cannot join a ${a.kind} store with a ${b.kind} store`);
  if (a.kind === "set") return joinSets(a, ca, b as DotSet, cb);
  if (a.kind === "fun") return joinFuns(a, ca, b as DotFun, cb);
  return joinMaps(a, ca, b as DotMap, cb);
}

function joinSets(a: DotSet, ca: CausalContext, b: DotSet, cb: CausalContext): DotSet {
  const out: Dot[] = [];
  let isFromAOnly = true;
  let i = 0;
  let j = 0;
  while (i < a.dots.length || j < b.dots.length) {
    const x = a.dots[i];
    const y = b.dots[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x, y);
    if (order === 0) {
      out.push(x!);
      i++;
      j++;
    } else if (order < 0) {
      if (!cb.contains(x!.replica, x!.counter)) out.push(x!);
      i++;
    } else {
      if (!ca.contains(y!.replica, y!.counter)) {
        out.push(y!);
        isFromAOnly = false;
      }
      j++;
    }
  }
  // Unchanged: hand back `a` itself, so the caller can skip re-indexing.
  return isFromAOnly && out.length === a.dots.length ? a : new DotSet(out);
}

function joinFuns(a: DotFun, ca: CausalContext, b: DotFun, cb: CausalContext): DotFun {
  const out: DotFun["entries"] = [];
  let isFromAOnly = true;
  let i = 0;
  let j = 0;
  while (i < a.entries.length || j < b.entries.length) {
    const x = a.entries[i];
    const y = b.entries[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (order === 0) {
      // A dot names one event, so both sides must hold the same value for it (dots are never reused).
      assert(x!.value.value === y!.value.value, "one dot carries two different values");
      out.push(x!);
      i++;
      j++;
    } else if (order < 0) {
      if (!cb.contains(x!.dot.replica, x!.dot.counter)) out.push(x!);
      i++;
    } else {
      if (!ca.contains(y!.dot.replica, y!.dot.counter)) {
        out.push(y!);
        isFromAOnly = false;
      }
      j++;
    }
  }
  return isFromAOnly && out.length === a.entries.length ? a : new DotFun(out);
}

function joinMaps(a: DotMap, ca: CausalContext, b: DotMap, cb: CausalContext): DotMap {
  assert(shapesEqual(a.valueShape, b.valueShape), "cannot join maps of different value shapes");
  // Keys only in `a` change only if `cb` has seen one of their dots; find them by the dot index
  // when `cb` is small (a delta), else by scanning `a` (a full state).
  const onlyInA = new Set<string>();
  if (cb.dotCount <= a.entries.size) {
    cb.forEachDot((replica, counter) => {
      const owner = a.ownerOf(replica, counter);
      if (owner !== undefined && !b.entries.has(owner)) onlyInA.add(owner);
    });
  } else {
    for (const key of a.entries.keys()) if (!b.entries.has(key)) onlyInA.add(key);
  }
  for (const key of onlyInA) {
    const mine = a.entries.get(key)!;
    if (mine.kind !== "map") {
      const joined = joinStores(mine, ca, bottomStore(a.valueShape), cb);
      if (joined !== mine) a.put(key, joined);
    } else a.put(key, joinStores(a.take(key), ca, bottomStore(a.valueShape), cb));
  }
  // Results never alias `b`: set and fun joins build new arrays of immutable dots and values, and
  // nested map joins copy b's entries into a's own nested map.
  for (const [key, nested] of b.entries) {
    const mine = a.entries.get(key);
    if (mine !== undefined && mine.kind !== "map") {
      const joined = joinStores(mine, ca, nested, cb);
      if (joined !== mine) a.put(key, joined);
    } else a.put(key, joinStores(a.take(key), ca, nested, cb));
  }
  return a;
}

/** Writes a store canonically (sorted dots and keys). */
export function encodeStore(writer: ByteWriter, store: DotStore): void {
  if (store.kind === "set") {
    writer.uint(store.dots.length);
    for (const dot of store.dots) {
      writer.string(dot.replica);
      writer.uint(dot.counter);
    }
  } else if (store.kind === "fun") {
    writer.uint(store.entries.length);
    for (const { dot, value } of store.entries) {
      writer.string(dot.replica);
      writer.uint(dot.counter);
      writer.string(value.value);
      writer.uint(value.wallMs);
      writer.uint(value.logical);
    }
  } else {
    const keys = [...store.entries.keys()].sort(compareStrings);
    writer.uint(keys.length);
    for (const key of keys) {
      writer.string(key);
      encodeStore(writer, store.entries.get(key)!);
    }
  }
}

/** Reads a store of a known shape; refuses unsorted or empty nested entries (non-canonical). */
export function decodeStore(reader: ByteReader, shape: StoreShape): DotStore {
  const count = reader.uintAtMost(Math.min(STORE_ENTRIES_MAX, reader.remaining), "store entries");
  if (shape === "set") {
    const dots: Dot[] = [];
    for (let i = 0; i < count; i++) dots.push(readDot(reader));
    assertSorted(dots);
    return new DotSet(dots);
  }
  if (shape === "fun") {
    const entries: DotFun["entries"] = [];
    for (let i = 0; i < count; i++) {
      const dot = readDot(reader);
      const value = reader.string();
      entries.push({ dot, value: { value, wallMs: reader.uint(), logical: reader.uint() } });
    }
    assertSorted(entries.map((entry) => entry.dot));
    return new DotFun(entries);
  }
  const map = new DotMap(shape.map);
  let previous: string | null = null;
  for (let i = 0; i < count; i++) {
    const key = reader.string();
    if (previous !== null && compareStrings(previous, key) >= 0)
      throw new CodecError("map keys out of order");
    const nested = decodeStore(reader, shape.map);
    if (nested.isBottom) throw new CodecError("map holds an empty nested store");
    map.put(key, nested);
    previous = key;
  }
  return map;
}

function readDot(reader: ByteReader): Dot {
  const replica = reader.string() as ReplicaId;
  const counter = reader.uint();
  if (counter === 0) throw new CodecError("dot counter 0");
  return { replica, counter };
}

function assertSorted(dots: readonly Dot[]): void {
  for (let i = 1; i < dots.length; i++) {
    if (compareDots(dots[i - 1]!, dots[i]!) >= 0) throw new CodecError("dots out of order");
  }
}

/** Writes a shape: 0 set, 1 fun, 2 map followed by its value shape. */
export function encodeShape(writer: ByteWriter, shape: StoreShape): void {
  if (shape === "set") writer.uint(0);
  else if (shape === "fun") writer.uint(1);
  else {
    writer.uint(2);
    encodeShape(writer, shape.map);
  }
}

/** The deepest nesting of maps a decoded shape may have. */
export const SHAPE_DEPTH_MAX = 8;

/** Reads a shape written by {@link encodeShape}. */
export function decodeShape(reader: ByteReader, depth = 0): StoreShape {
  if (depth > SHAPE_DEPTH_MAX) throw new CodecError("shape nested too deeply");
  const tag = reader.uintAtMost(2, "shape tag");
  if (tag === 0) return "set";
  if (tag === 1) return "fun";
  return { map: decodeShape(reader, depth + 1) };
}
