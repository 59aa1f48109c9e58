// Drives a CRDT type through reachable states: random operations at 1–5 replicas, interleaved
// with full-state merges between them, recording every delta and the causal history each replica
// has seen. The T2 laws are checked on what this produces (laws.test.ts), and the mutant test
// runs the same checks with a mutant switched on and expects them to fail (mutants.test.ts).

import fc from "fast-check";
import { Hlc, hlcConfigDefault } from "../../src/protocol/clock/index.js";
import {
  type Crdt,
  type CrdtMutants,
  crdtEquals,
  decodeCrdt,
  encodeCrdt,
  sizeBytes,
} from "../../src/protocol/crdt/index.js";
import { type ReplicaId, replicaId } from "../../src/types.js";
import type { LoggedOp, OpInput, TypeSpec } from "./type_specs.js";

/** One step of a scenario. */
export type Command =
  | { readonly type: "op"; readonly replica: number; readonly op: OpInput }
  | { readonly type: "merge"; readonly from: number; readonly to: number };

/** A scenario: how many replicas, and what happens. */
export interface Scenario {
  readonly replicaCount: number;
  readonly commands: readonly Command[];
}

/** Draws scenarios of up to 40 steps over 1–5 replicas. */
export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  replicaCount: fc.integer({ min: 1, max: 5 }),
  commands: fc.array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          type: fc.constant("op" as const),
          replica: fc.nat(4),
          op: fc.record({ kind: fc.nat(3), element: fc.nat(3), amount: fc.integer({ min: 1, max: 5 }) }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ type: fc.constant("merge" as const), from: fc.nat(4), to: fc.nat(4) }),
      },
    ),
    { maxLength: 40 },
  ),
});

/** What a scenario produced. */
export interface Run {
  readonly states: Crdt[];
  readonly deltas: Crdt[];
  readonly seen: LoggedOp[][];
  /** Violations of inflation and of m(X) = X ⊔ mδ(X) met along the way. */
  readonly mutatorFailures: string[];
}

/** Whether a ⊑ b, by the join: b ⊔ a = b. */
export function isBelow(a: Crdt, b: Crdt, mutants: CrdtMutants): boolean {
  return crdtEquals(join(b, a, mutants), b);
}

/** Returns a fresh a ⊔ b. */
export function join(a: Crdt, b: Crdt, mutants: CrdtMutants): Crdt {
  const out = a.clone();
  out.join(b.clone(), mutants);
  return out;
}

/** Runs a scenario for one type. */
export function runScenario(spec: TypeSpec, scenario: Scenario, mutants: CrdtMutants): Run {
  const count = scenario.replicaCount;
  const ids: ReplicaId[] = Array.from({ length: count }, (_, i) => replicaId(`r${i}`));
  const clocks = ids.map(() => new Hlc(hlcConfigDefault()));
  const states = ids.map(() => spec.bottom());
  const seen: LoggedOp[][] = ids.map(() => []);
  const deltas: Crdt[] = [];
  const mutatorFailures: string[] = [];
  scenario.commands.forEach((command, step) => {
    if (command.type === "merge") {
      const from = command.from % count;
      const to = command.to % count;
      states[to]!.join(states[from]!.clone(), mutants);
      const known = new Set(seen[to]!.map((op) => op.id));
      for (const op of seen[from]!) if (!known.has(op.id)) seen[to]!.push(op);
      clocks[to]!.observe(clocks[from]!.current, 1_000 + step);
      return;
    }
    const index = command.replica % count;
    const id = ids[index]!;
    const state = states[index]!;
    const stamp = clocks[index]!.now(1_000 + step);
    const before = state.clone();
    const delta = spec.delta(state, id, command.op, stamp, mutants);
    const viaMutator = before.clone();
    spec.apply(viaMutator, id, command.op, stamp, mutants);
    state.join(delta.clone(), mutants);
    if (!crdtEquals(state, viaMutator)) mutatorFailures.push(`m(X) != X ⊔ mδ(X) at step ${step}`);
    if (!isBelow(before, state, mutants)) mutatorFailures.push(`mutator did not inflate at step ${step}`);
    deltas.push(delta);
    seen[index]!.push({
      id: step,
      replica: id,
      op: command.op,
      stamp,
      past: new Set(seen[index]!.map((op) => op.id)),
    });
  });
  return { states, deltas, seen, mutatorFailures };
}

/** The T2 laws, each as a predicate over a run (true = holds). */
export const laws = {
  commutative(_spec: TypeSpec, run: Run, mutants: CrdtMutants): boolean {
    const [a, b] = pickTwo(run);
    return crdtEquals(join(a, b, mutants), join(b, a, mutants));
  },
  associative(_spec: TypeSpec, run: Run, mutants: CrdtMutants): boolean {
    const [a, b] = pickTwo(run);
    const c = run.states[run.states.length - 1]!;
    return crdtEquals(join(join(a, b, mutants), c, mutants), join(a, join(b, c, mutants), mutants));
  },
  idempotent(_spec: TypeSpec, run: Run, mutants: CrdtMutants): boolean {
    return run.states.every((state) => crdtEquals(join(state, state, mutants), state));
  },
  mutatorsInflateAndMatchDeltas(_spec: TypeSpec, run: Run): boolean {
    return run.mutatorFailures.length === 0;
  },
  querySpec(spec: TypeSpec, run: Run): boolean {
    return run.states.every((state, i) => spec.value(state) === spec.spec(run.seen[i]!));
  },
  codecRoundTrip(_spec: TypeSpec, run: Run): boolean {
    return [...run.states, ...run.deltas].every((state) => {
      const bytes = encodeCrdt(state);
      const decoded = decodeCrdt(bytes);
      return (
        decoded.kind === "ok" && crdtEquals(decoded.value, state) && sizeBytes(state) === bytes.byteLength
      );
    });
  },
};

function pickTwo(run: Run): [Crdt, Crdt] {
  const a = run.states[0]!;
  const b = run.states[run.states.length > 1 ? 1 : 0]!;
  return [a, b];
}

/**
 * Any grouping, duplication and reordering of the deltas joins to the full-state merge of every
 * replica. `order` is a fast-check-drawn list of (delta index, group break) pairs.
 */
export function deltasEqualFullMerge(
  spec: TypeSpec,
  run: Run,
  order: readonly [number, boolean][],
  mutants: CrdtMutants,
): boolean {
  let full = spec.bottom();
  for (const state of run.states) full = join(full, state, mutants);
  if (run.deltas.length === 0) return full.isBottom;
  // Every delta at least once, then the drawn extra copies, in the drawn order.
  const picks = [...run.deltas.map((_, i) => [i, false] as [number, boolean]), ...order];
  const shuffled = picks
    .map((pick, i) => ({ pick, key: (order[i % Math.max(1, order.length)]?.[0] ?? i) * 7919 + i }))
    .sort((x, y) => (x.key % 101) - (y.key % 101) || x.key - y.key)
    .map((entry) => entry.pick);
  let result = spec.bottom();
  let group = spec.bottom();
  for (const [index, breakAfter] of shuffled) {
    group = join(group, run.deltas[index % run.deltas.length]!, mutants);
    if (breakAfter) {
      result = join(result, group, mutants);
      group = spec.bottom();
    }
  }
  result = join(result, group, mutants);
  return crdtEquals(result, full);
}

/** The order arbitrary for {@link deltasEqualFullMerge}. */
export const orderArbitrary = fc.array(fc.tuple(fc.nat(1_000), fc.boolean()), { maxLength: 30 });
