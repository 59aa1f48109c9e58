// Causal CRDTs (delta-CRDT paper §5–§7): a dot store plus the causal context it was seen under.
// Each mutator mints at most one dot and returns a delta whose context holds exactly the dots it
// observed and replaced, so a remove is recorded by the context alone: no tombstone outlives the
// dots it covers, and once every replica has seen them they compact into the version vector.
//
//   Flag (enable-wins)   DotSet             enable: new dot; disable: forget the observed dots.
//   MVRegister           DotFun<value>      write: one new dot replacing every observed dot.
//   ORSet (add-wins)     DotMap<e, DotSet>  add: a new dot for e; remove: forget e's observed dots.
//   ORMap                DotMap<k, store>   update: a nested delta; remove: forget k's observed dots.
//   LWWMap               DotMap<k, DotFun>  set: a stamped write; concurrent writes kept, read by LWW.

import { assert } from "../../lib/assert.js";
import type { ReplicaId } from "../../types.js";
import { compareHlc, type HlcTimestamp } from "../clock/hlc.js";
import { type ByteReader, type ByteWriter, CodecError, compareStrings } from "./codec.js";
import { CausalContext, type Dot } from "./causal_context.js";
import type { Crdt, CrdtTypeName } from "./crdt.js";
import {
  bottomStore,
  DotFun,
  DotMap,
  DotSet,
  type DotStore,
  decodeStore,
  encodeStore,
  joinStores,
  shapeMatches,
  type StoreShape,
  type Stamped,
} from "./dot_store.js";
import { type CrdtMutants, MUTANTS_NONE } from "./mutants.js";

/** The shared half of every causal type: a store and its context, with the paper's join. */
export abstract class CausalCrdt implements Crdt {
  abstract readonly type: CrdtTypeName;

  constructor(
    protected store: DotStore,
    readonly context: CausalContext,
  ) {}

  get isBottom(): boolean {
    return this.store.isBottom && this.context.isEmpty;
  }

  /** The dot store; read only (it is shared with the state). */
  get dotStore(): DotStore {
    return this.store;
  }

  join(other: Crdt, _mutants: CrdtMutants = MUTANTS_NONE): boolean {
    assert(other instanceof CausalCrdt && other.type === this.type, `${this.type} joins only its own type`);
    if (other === this) return false;
    // The join only adds dots to the context and, with the context unchanged, can only drop store
    // dots; so equal counts before and after mean nothing changed.
    const contextDotsBefore = this.context.dotCount;
    const storeDotsBefore = storeDotCount(this.store);
    this.store = joinStores(this.store, this.context, other.store, other.context);
    this.context.join(other.context);
    return this.context.dotCount !== contextDotsBefore || storeDotCount(this.store) !== storeDotsBefore;
  }

  abstract clone(): CausalCrdt;

  encodeBody(writer: ByteWriter): void {
    encodeStore(writer, this.store);
    this.context.encode(writer);
  }

  /** Checks the representation invariant: every dot in the store is in the context. */
  invariants(): void {
    this.store.forEachDot((dot) => {
      assert(
        this.context.contains(dot.replica, dot.counter),
        `store dot ${dot.counter}@${dot.replica} unseen`,
      );
    });
  }

  abstract describe(): string;
}

function storeDotCount(store: DotStore): number {
  if (store.kind === "set") return store.dots.length;
  if (store.kind === "fun") return store.entries.length;
  return store.dotCount;
}

/** Returns a context holding exactly the dots of `store`, plus `extra` if given. */
function contextOf(store: DotStore | undefined, extra: Dot | null): CausalContext {
  const context = new CausalContext();
  store?.forEachDot((dot) => context.add(dot));
  if (extra !== null) context.add(extra);
  return context;
}

/** Reads a store and context and checks that the store's dots are all in the context. */
function decodeCausal(reader: ByteReader, shape: StoreShape): [DotStore, CausalContext] {
  const store = decodeStore(reader, shape);
  const context = CausalContext.decode(reader);
  store.forEachDot((dot) => {
    if (!context.contains(dot.replica, dot.counter)) throw new CodecError("store dot missing from context");
  });
  return [store, context];
}

/** An enable-wins flag: enabled while any enable is not observed by a disable. */
export class Flag extends CausalCrdt {
  readonly type = "flag";

  constructor(store: DotStore = new DotSet(), context = new CausalContext()) {
    assert(store.kind === "set", "a Flag holds a dot set");
    super(store, context);
  }

  /** Whether the flag is enabled. */
  value(): boolean {
    return !this.store.isBottom;
  }

  /** Returns the delta of enabling at `replica`. */
  enableDelta(replica: ReplicaId): Flag {
    const dot = this.context.next(replica);
    return new Flag(new DotSet([dot]), contextOf(this.store, dot));
  }

  /** Returns the delta of disabling: forgets every observed enable. */
  disableDelta(): Flag {
    return new Flag(new DotSet(), contextOf(this.store, null));
  }

  /** Enables at `replica`; returns the delta applied. */
  enable(replica: ReplicaId): Flag {
    const delta = this.enableDelta(replica);
    this.join(delta);
    return delta;
  }

  /** Disables; returns the delta applied. */
  disable(): Flag {
    const delta = this.disableDelta();
    this.join(delta);
    return delta;
  }

  clone(): Flag {
    return new Flag(this.store.clone(), this.context.clone());
  }

  static decodeBody(reader: ByteReader): Flag {
    const [store, context] = decodeCausal(reader, "set");
    return new Flag(store, context);
  }

  describe(): string {
    return `flag ${this.value() ? "on" : "off"}`;
  }
}

/** A multi-value register: keeps every concurrent write until a later write observes them. */
export class MVRegister extends CausalCrdt {
  readonly type = "mvregister";

  constructor(store: DotStore = new DotFun(), context = new CausalContext()) {
    assert(store.kind === "fun", "an MVRegister holds a dot function");
    super(store, context);
  }

  /** The concurrent values, sorted and without duplicates. */
  values(): string[] {
    const values = new Set<string>();
    for (const entry of (this.store as DotFun).entries) values.add(entry.value.value);
    return [...values].sort(compareStrings);
  }

  /** The concurrent writes with their dots (for LWW reads). */
  writes(): readonly { readonly dot: Dot; readonly value: Stamped }[] {
    return (this.store as DotFun).entries;
  }

  /** Returns the delta of writing `value` at `replica`, stamped `timestamp`. */
  writeDelta(replica: ReplicaId, value: string, timestamp: HlcTimestamp): MVRegister {
    const dot = this.context.next(replica);
    const stamped: Stamped = { value, wallMs: timestamp.wallMs, logical: timestamp.logical };
    return new MVRegister(new DotFun([{ dot, value: stamped }]), contextOf(this.store, dot));
  }

  /** Returns the delta of clearing the register (forgets every observed write). */
  clearDelta(): MVRegister {
    return new MVRegister(new DotFun(), contextOf(this.store, null));
  }

  /** Writes; returns the delta applied. */
  write(replica: ReplicaId, value: string, timestamp: HlcTimestamp): MVRegister {
    const delta = this.writeDelta(replica, value, timestamp);
    this.join(delta);
    return delta;
  }

  clone(): MVRegister {
    return new MVRegister(this.store.clone(), this.context.clone());
  }

  static decodeBody(reader: ByteReader): MVRegister {
    const [store, context] = decodeCausal(reader, "fun");
    return new MVRegister(store, context);
  }

  describe(): string {
    return `mvregister [${this.values()
      .map((value) => JSON.stringify(value))
      .join(",")}]`;
  }
}

/** An observed-remove, add-wins set of strings. */
export class ORSet extends CausalCrdt {
  readonly type = "orset";

  constructor(store: DotStore = new DotMap("set"), context = new CausalContext()) {
    assert(shapeMatches(store, { map: "set" }), "an ORSet holds a map of dot sets");
    super(store, context);
  }

  private get map(): DotMap {
    return this.store as DotMap;
  }

  /** Whether `element` is in the set. */
  has(element: string): boolean {
    return this.map.entries.has(element);
  }

  /** The elements, sorted. */
  elements(): string[] {
    return [...this.map.entries.keys()].sort(compareStrings);
  }

  /** Number of elements. */
  get size(): number {
    return this.map.entries.size;
  }

  /** Returns the delta of adding `element` at `replica`: a new dot replacing the observed ones. */
  addDelta(replica: ReplicaId, element: string): ORSet {
    const dot = this.context.next(replica);
    const store = new DotMap("set");
    store.put(element, new DotSet([dot]));
    return new ORSet(store, contextOf(this.map.entries.get(element), dot));
  }

  /** Returns the delta of removing `element`: its observed dots, and nothing else, are forgotten. */
  removeDelta(element: string, mutants: CrdtMutants = MUTANTS_NONE): ORSet {
    const context = contextOf(this.map.entries.get(element), null);
    if (mutants.removeUnseenDots) {
      // M11: claims the next dot of every known replica, which this replica has not seen.
      for (const replica of this.context.replicaIds()) context.add(this.context.next(replica));
    }
    return new ORSet(new DotMap("set"), context);
  }

  /** Returns the delta of removing every observed element. */
  clearDelta(): ORSet {
    return new ORSet(new DotMap("set"), contextOf(this.store, null));
  }

  /** Adds at `replica`; returns the delta applied. */
  add(replica: ReplicaId, element: string): ORSet {
    const delta = this.addDelta(replica, element);
    this.join(delta);
    return delta;
  }

  /** Removes; returns the delta applied. */
  remove(element: string, mutants: CrdtMutants = MUTANTS_NONE): ORSet {
    const delta = this.removeDelta(element, mutants);
    this.join(delta);
    return delta;
  }

  clone(): ORSet {
    return new ORSet(this.store.clone(), this.context.clone());
  }

  static decodeBody(reader: ByteReader): ORSet {
    const [store, context] = decodeCausal(reader, { map: "set" });
    return new ORSet(store, context);
  }

  describe(): string {
    const shown = this.elements().slice(0, 8).join(",");
    return `orset {${shown}${this.size > 8 ? ",…" : ""}} ctx=${this.context.replicaCount}r+${this.context.cloudDotCount}`;
  }
}

/** Any causal type that can be an ORMap value. */
export type CausalValue = Flag | MVRegister | ORSet | ORMap;

/** Builds the typed view of a nested store over the map's shared context (read and delta-making only). */
export function causalView(store: DotStore, context: CausalContext): CausalValue {
  if (store.kind === "set") return new Flag(store, context);
  if (store.kind === "fun") return new MVRegister(store, context);
  if (store.valueShape === "set") return new ORSet(store, context);
  return new ORMap(store.valueShape, store, context);
}

/**
 * A map from string keys to nested causal CRDTs that share the map's context (paper §7.3).
 *
 * Remove semantics (observed-reset): `remove(k)` forgets every dot of k's value that this replica
 * has observed. An update concurrent with the remove survives with only its own effect: the key
 * stays, holding what the concurrent update wrote and nothing the remover had seen.
 */
export class ORMap extends CausalCrdt {
  readonly type = "ormap";

  constructor(
    readonly valueShape: StoreShape,
    store: DotStore = new DotMap(valueShape),
    context = new CausalContext(),
  ) {
    assert(shapeMatches(store, { map: valueShape }), "an ORMap holds a map of its value shape");
    super(store, context);
  }

  private get map(): DotMap {
    return this.store as DotMap;
  }

  /** The keys, sorted. */
  keys(): string[] {
    return [...this.map.entries.keys()].sort(compareStrings);
  }

  /** Whether `key` holds a non-bottom value. */
  has(key: string): boolean {
    return this.map.entries.has(key);
  }

  /** A read-only view of the value at `key` (bottom if absent). Mutate through {@link update}. */
  get(key: string): CausalValue {
    return causalView(this.map.entries.get(key) ?? bottomStore(this.valueShape), this.context);
  }

  /** Returns the delta of updating `key` with `mutate`, which returns a delta of the nested view. */
  updateDelta(key: string, mutate: (view: CausalValue) => CausalCrdt): ORMap {
    const nested = mutate(this.get(key));
    assert(shapeMatches(nested.dotStore, this.valueShape), "nested delta has the wrong shape");
    const store = new DotMap(this.valueShape);
    store.put(key, nested.dotStore);
    return new ORMap(this.valueShape, store, nested.context.clone());
  }

  /** Returns the delta of removing `key` (observed-reset, see the class comment). */
  removeDelta(key: string): ORMap {
    return new ORMap(
      this.valueShape,
      new DotMap(this.valueShape),
      contextOf(this.map.entries.get(key), null),
    );
  }

  /** Updates `key`; returns the delta applied. */
  update(key: string, mutate: (view: CausalValue) => CausalCrdt): ORMap {
    const delta = this.updateDelta(key, mutate);
    this.join(delta);
    return delta;
  }

  /** Removes `key`; returns the delta applied. */
  remove(key: string): ORMap {
    const delta = this.removeDelta(key);
    this.join(delta);
    return delta;
  }

  override join(other: Crdt, mutants: CrdtMutants = MUTANTS_NONE): boolean {
    assert(other instanceof ORMap, "ORMap joins only an ORMap");
    assert(other === this || compareShapes(other.valueShape, this.valueShape), "ORMap value shapes differ");
    return super.join(other, mutants);
  }

  clone(): ORMap {
    return new ORMap(this.valueShape, this.store.clone(), this.context.clone());
  }

  static decodeBody(reader: ByteReader, valueShape: StoreShape): ORMap {
    const [store, context] = decodeCausal(reader, { map: valueShape });
    return new ORMap(valueShape, store, context);
  }

  describe(): string {
    return `ormap {${this.keys().slice(0, 8).join(",")}} ctx=${this.context.replicaCount}r+${this.context.cloudDotCount}`;
  }
}

function compareShapes(a: StoreShape, b: StoreShape): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The winning write of an LWW entry: largest (timestamp, dot replica). */
function latestWrite(store: DotFun): { readonly dot: Dot; readonly value: Stamped } {
  let best = store.entries[0]!;
  for (const entry of store.entries) {
    const order = compareHlc(entry.value, best.value) || compareStrings(entry.dot.replica, best.dot.replica);
    if (order > 0) best = entry;
  }
  return best;
}

/**
 * A map of last-writer-wins registers, built causally: a write replaces every write it observed,
 * concurrent writes are all kept, and reads pick the largest (timestamp, replica). A remove forgets
 * the observed writes (no tombstone); a write concurrent with a remove survives.
 */
export class LWWMap extends CausalCrdt {
  readonly type = "lwwmap";

  constructor(store: DotStore = new DotMap("fun"), context = new CausalContext()) {
    assert(shapeMatches(store, { map: "fun" }), "an LWWMap holds a map of dot functions");
    super(store, context);
  }

  private get map(): DotMap {
    return this.store as DotMap;
  }

  /** The value at `key`, or null. */
  get(key: string): string | null {
    const store = this.map.entries.get(key);
    return store === undefined ? null : latestWrite(store as DotFun).value.value;
  }

  /** The live entries as [key, value] pairs, sorted by key. */
  entries(): [string, string][] {
    return [...this.map.entries.keys()].sort(compareStrings).map((key) => [key, this.get(key)!]);
  }

  /** Returns the delta of writing `value` at `key`. */
  setDelta(replica: ReplicaId, key: string, value: string, timestamp: HlcTimestamp): LWWMap {
    const dot = this.context.next(replica);
    const store = new DotMap("fun");
    const stamped: Stamped = { value, wallMs: timestamp.wallMs, logical: timestamp.logical };
    store.put(key, new DotFun([{ dot, value: stamped }]));
    return new LWWMap(store, contextOf(this.map.entries.get(key), dot));
  }

  /** Returns the delta of removing `key`. */
  removeDelta(key: string): LWWMap {
    return new LWWMap(new DotMap("fun"), contextOf(this.map.entries.get(key), null));
  }

  /** Writes; returns the delta applied. */
  set(replica: ReplicaId, key: string, value: string, timestamp: HlcTimestamp): LWWMap {
    const delta = this.setDelta(replica, key, value, timestamp);
    this.join(delta);
    return delta;
  }

  /** Removes; returns the delta applied. */
  remove(key: string): LWWMap {
    const delta = this.removeDelta(key);
    this.join(delta);
    return delta;
  }

  clone(): LWWMap {
    return new LWWMap(this.store.clone(), this.context.clone());
  }

  static decodeBody(reader: ByteReader): LWWMap {
    const [store, context] = decodeCausal(reader, { map: "fun" });
    return new LWWMap(store, context);
  }

  describe(): string {
    return `lwwmap ${this.map.entries.size} keys ctx=${this.context.replicaCount}r+${this.context.cloudDotCount}`;
  }
}
