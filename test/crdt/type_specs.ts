// The CRDT types under test, each with its delta-mutators, its full mutators, and a sequential
// specification computed from the causal history of the operations a replica has seen. The law
// harness (law_harness.ts) drives every spec through the same reachable-state scenarios.

import type { HlcTimestamp } from "../../src/protocol/clock/index.js";
import {
  compareWrites,
  type Crdt,
  type CrdtMutants,
  Flag,
  GCounter,
  GSet,
  LWWMap,
  LWWRegister,
  MVRegister,
  ORMap,
  ORSet,
  PNCounter,
} from "../../src/protocol/crdt/index.js";
import type { ReplicaId } from "../../src/types.js";

/** One operation drawn by fast-check: the type interprets kind, element and amount. */
export interface OpInput {
  readonly kind: number;
  readonly element: number;
  readonly amount: number;
}

/** An operation as recorded in the causal history. */
export interface LoggedOp {
  readonly id: number;
  readonly replica: ReplicaId;
  readonly op: OpInput;
  readonly stamp: HlcTimestamp;
  /** Ids of every op the replica had seen when it ran this one. */
  readonly past: ReadonlySet<number>;
}

/** A type under test. */
export interface TypeSpec {
  readonly name: string;
  /** Whether its join is causal (dot store plus context). */
  readonly isCausal: boolean;
  bottom(): Crdt;
  /** The δ-mutator: reads `state`, returns the delta. */
  delta(state: Crdt, replica: ReplicaId, op: OpInput, stamp: HlcTimestamp, mutants: CrdtMutants): Crdt;
  /** The full mutator m, applied to `state` in place. */
  apply(state: Crdt, replica: ReplicaId, op: OpInput, stamp: HlcTimestamp, mutants: CrdtMutants): void;
  /** The value of a state, as text. */
  value(state: Crdt): string;
  /** The value the sequential specification gives for the ops seen. */
  spec(seen: readonly LoggedOp[]): string;
}

const element = (op: OpInput): string => `e${op.element}`;
const isRemove = (op: OpInput): boolean => op.kind === 0;

/** Ops that no other seen op on the same target observed (the maximal ones). */
function unobserved(seen: readonly LoggedOp[], isTarget: (op: LoggedOp) => boolean): LoggedOp[] {
  const targets = seen.filter(isTarget);
  return targets.filter((op) => !targets.some((other) => other.past.has(op.id)));
}

const gcounter: TypeSpec = {
  name: "GCounter",
  isCausal: false,
  bottom: () => new GCounter(),
  delta: (state, replica, op) => (state as GCounter).incrementDelta(replica, op.amount),
  apply: (state, replica, op) => void (state as GCounter).increment(replica, op.amount),
  value: (state) => String((state as GCounter).value()),
  spec: (seen) => String(seen.reduce((sum, logged) => sum + logged.op.amount, 0)),
};

const signed = (op: OpInput): number => (op.kind % 2 === 0 ? -op.amount : op.amount);

const pncounter: TypeSpec = {
  name: "PNCounter",
  isCausal: false,
  bottom: () => new PNCounter(),
  delta: (state, replica, op) => (state as PNCounter).addDelta(replica, signed(op)),
  apply: (state, replica, op) => void (state as PNCounter).add(replica, signed(op)),
  value: (state) => String((state as PNCounter).value()),
  spec: (seen) => String(seen.reduce((sum, logged) => sum + signed(logged.op), 0)),
};

const gset: TypeSpec = {
  name: "GSet",
  isCausal: false,
  bottom: () => new GSet(),
  delta: (state, _replica, op) => (state as GSet).addDelta(element(op)),
  apply: (state, _replica, op) => void (state as GSet).add(element(op)),
  value: (state) => (state as GSet).elements().join(","),
  spec: (seen) => [...new Set(seen.map((logged) => element(logged.op)))].sort().join(","),
};

const orset: TypeSpec = {
  name: "ORSet",
  isCausal: true,
  bottom: () => new ORSet(),
  delta: (state, replica, op, _stamp, mutants) =>
    isRemove(op)
      ? (state as ORSet).removeDelta(element(op), mutants)
      : (state as ORSet).addDelta(replica, element(op)),
  apply: (state, replica, op, _stamp, mutants) =>
    void (isRemove(op)
      ? (state as ORSet).remove(element(op), mutants)
      : (state as ORSet).add(replica, element(op))),
  value: (state) => (state as ORSet).elements().join(","),
  // Add-wins: an element is in iff some add of it was observed by no later op on it.
  spec: (seen) => {
    const elements = new Set(seen.map((logged) => element(logged.op)));
    return [...elements]
      .filter((e) => unobserved(seen, (logged) => element(logged.op) === e).some((op) => !isRemove(op.op)))
      .sort()
      .join(",");
  },
};

const lwwregister: TypeSpec = {
  name: "LWWRegister",
  isCausal: false,
  bottom: () => new LWWRegister(),
  delta: (state, replica, op, stamp) => (state as LWWRegister).setDelta(replica, element(op), stamp),
  apply: (state, replica, op, stamp) => void (state as LWWRegister).set(replica, element(op), stamp),
  value: (state) => (state as LWWRegister).value() ?? "⊥",
  // Last writer wins: the write with the largest (timestamp, replica).
  spec: (seen) => {
    let best: LoggedOp | null = null;
    for (const logged of seen) {
      const write = { value: "", timestamp: logged.stamp, replica: logged.replica };
      if (
        best === null ||
        compareWrites(write, { value: "", timestamp: best.stamp, replica: best.replica }) > 0
      )
        best = logged;
    }
    return best === null ? "⊥" : element(best.op);
  },
};

const mvregister: TypeSpec = {
  name: "MVRegister",
  isCausal: true,
  bottom: () => new MVRegister(),
  delta: (state, replica, op, stamp) =>
    isRemove(op)
      ? (state as MVRegister).clearDelta()
      : (state as MVRegister).writeDelta(replica, element(op), stamp),
  apply: (state, replica, op, stamp) => {
    const register = state as MVRegister;
    register.join(isRemove(op) ? register.clearDelta() : register.writeDelta(replica, element(op), stamp));
  },
  value: (state) => (state as MVRegister).values().join(","),
  // Every write that no later write or clear observed.
  spec: (seen) =>
    [
      ...new Set(
        unobserved(seen, () => true)
          .filter((op) => !isRemove(op.op))
          .map((op) => element(op.op)),
      ),
    ]
      .sort()
      .join(","),
};

const flag: TypeSpec = {
  name: "Flag",
  isCausal: true,
  bottom: () => new Flag(),
  delta: (state, replica, op) =>
    isRemove(op) ? (state as Flag).disableDelta() : (state as Flag).enableDelta(replica),
  apply: (state, replica, op) =>
    void (isRemove(op) ? (state as Flag).disable() : (state as Flag).enable(replica)),
  value: (state) => String((state as Flag).value()),
  // Enable-wins: on iff some enable was observed by no later op.
  spec: (seen) => String(unobserved(seen, () => true).some((op) => !isRemove(op.op))),
};

const groupOf = (op: OpInput): string => `k${op.amount % 2}`;
const isRemoveKey = (op: OpInput): boolean => op.kind === 3;

const ormap: TypeSpec = {
  name: "ORMap<ORSet>",
  isCausal: true,
  bottom: () => new ORMap({ map: "set" }),
  delta: (state, replica, op, _stamp, mutants) => {
    const map = state as ORMap;
    if (isRemoveKey(op)) return map.removeDelta(groupOf(op));
    return map.updateDelta(groupOf(op), (view) =>
      isRemove(op)
        ? (view as ORSet).removeDelta(element(op), mutants)
        : (view as ORSet).addDelta(replica, element(op)),
    );
  },
  apply: (state, replica, op, stamp, mutants) =>
    void state.join(ormap.delta(state, replica, op, stamp, mutants)),
  value: (state) => {
    const map = state as ORMap;
    return map
      .keys()
      .map((key) => `${key}:${(map.get(key) as ORSet).elements().join("+")}`)
      .join(",");
  },
  // Observed-reset: an element of a key is in iff some add of it was observed by no later op on
  // that element or on the whole key.
  spec: (seen) => {
    const entries: string[] = [];
    for (const key of ["k0", "k1"]) {
      const present = [...new Set(seen.map((logged) => element(logged.op)))].filter((e) =>
        unobserved(
          seen,
          (logged) => groupOf(logged.op) === key && (isRemoveKey(logged.op) || element(logged.op) === e),
        ).some((op) => !isRemove(op.op) && !isRemoveKey(op.op) && element(op.op) === e),
      );
      if (present.length > 0) entries.push(`${key}:${present.sort().join("+")}`);
    }
    return entries.join(",");
  },
};

const lwwmap: TypeSpec = {
  name: "LWWMap",
  isCausal: true,
  bottom: () => new LWWMap(),
  delta: (state, replica, op, stamp) =>
    isRemove(op)
      ? (state as LWWMap).removeDelta(groupOf(op))
      : (state as LWWMap).setDelta(replica, groupOf(op), element(op), stamp),
  apply: (state, replica, op, stamp) =>
    void (isRemove(op)
      ? (state as LWWMap).remove(groupOf(op))
      : (state as LWWMap).set(replica, groupOf(op), element(op), stamp)),
  value: (state) =>
    (state as LWWMap)
      .entries()
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
  // A key is present iff some set of it was observed by no later op on it; its value is the
  // largest (timestamp, replica) among those surviving sets.
  spec: (seen) => {
    const entries: string[] = [];
    for (const key of ["k0", "k1"]) {
      const alive = unobserved(seen, (logged) => groupOf(logged.op) === key).filter((op) => !isRemove(op.op));
      if (alive.length === 0) continue;
      const best = alive.reduce((a, b) =>
        compareWrites(
          { value: "", timestamp: b.stamp, replica: b.replica },
          { value: "", timestamp: a.stamp, replica: a.replica },
        ) > 0
          ? b
          : a,
      );
      entries.push(`${key}=${element(best.op)}`);
    }
    return entries.join(",");
  },
};

/** Every type under test. */
export const typeSpecs: readonly TypeSpec[] = [
  gcounter,
  pncounter,
  gset,
  orset,
  lwwregister,
  mvregister,
  flag,
  ormap,
  lwwmap,
];
