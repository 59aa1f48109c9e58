// The checkers of the `crdt` workload (TESTING.md T3): byte-equal replicas, equality with the
// oracle join of every surviving delta, add-wins / set-full on the ORSet, counter bounds.

import {
  type Crdt,
  crdtEquals,
  type Dot,
  encodeCrdt,
  MUTANTS_NONE,
  ORSet,
  PNCounter,
  GCounter,
} from "../../../protocol/crdt/index.js";
import { bytesEqual, toHex } from "../../../lib/bytes.js";
import type { CrdtNode } from "./cluster.js";
import { type OpRecord, workloadKeys } from "./ops.js";

/** Whether `delta` is already included in `state` (delta ⊑ state). */
export function isIncluded(delta: Crdt, state: Crdt | undefined): boolean {
  if (state === undefined) return delta.isBottom;
  if (state.type !== delta.type) return false;
  return !state.clone().join(delta, MUTANTS_NONE);
}

/**
 * Called when a member loses its state: an op stays acknowledged only if some other replica
 * that still has its state holds it. Ops that lose their acknowledgement here may still be
 * rescued by a message already in flight ({@link settleOps}). Returns how many lost it.
 */
export function excludeLostOps(ops: readonly OpRecord[], survivors: readonly CrdtNode[]): number {
  let lost = 0;
  for (const op of ops) {
    if (!op.included) continue;
    const held = survivors.some((node) => isIncluded(op.delta, node.replicator!.store.get(op.key)));
    if (!held) {
      op.included = false;
      lost += 1;
    }
  }
  return lost;
}

/**
 * After convergence: every still-acknowledged op must be in the converged state (else it is a
 * lost acknowledged update, returned as a failure); unacknowledged ops that a message in flight
 * carried to a survivor count as included from here on, for the oracle.
 */
export function settleOps(node: CrdtNode, ops: readonly OpRecord[]): string[] {
  const failures: string[] = [];
  for (const op of ops) {
    const held = isIncluded(op.delta, node.replicator!.store.get(op.key));
    if (op.included && !held)
      failures.push(`${op.key}: acknowledged op #${op.index} (${op.kind}) at ${op.replica} lost`);
    if (!op.included && held) op.included = true;
  }
  return failures;
}

/** Checks that every up replica holds byte-equal states; returns failures. */
export function checkReplicasEqual(nodes: readonly CrdtNode[]): string[] {
  const failures: string[] = [];
  const first = nodes[0]!;
  for (const key of Object.keys(workloadKeys)) {
    const reference = first.replicator!.store.get(key);
    const referenceBytes = reference === undefined ? null : encodeCrdt(reference);
    for (const node of nodes.slice(1)) {
      const state = node.replicator!.store.get(key);
      const bytes = state === undefined ? null : encodeCrdt(state);
      const equal =
        referenceBytes === null || bytes === null
          ? referenceBytes === bytes
          : bytesEqual(referenceBytes, bytes);
      if (!equal) {
        failures.push(
          `${key}: ${first.replicator!.self} has ${reference?.describe() ?? "⊥"} but ${node.replicator!.self} has ${state?.describe() ?? "⊥"}`,
        );
      }
    }
  }
  return failures;
}

/** Checks the converged states against the oracle: the join of every included delta. */
export function checkOracle(node: CrdtNode, ops: readonly OpRecord[]): string[] {
  const oracle = new Map<string, Crdt>();
  for (const op of ops) {
    if (!op.included) continue;
    const mine = oracle.get(op.key);
    if (mine === undefined) oracle.set(op.key, op.delta.clone());
    else mine.join(op.delta, MUTANTS_NONE);
  }
  const failures: string[] = [];
  for (const key of Object.keys(workloadKeys)) {
    const expected = oracle.get(key);
    const actual = node.replicator!.store.get(key);
    if (expected === undefined || actual === undefined) {
      if ((expected?.isBottom ?? true) !== (actual?.isBottom ?? true))
        failures.push(`${key}: oracle and replica disagree on presence`);
      continue;
    }
    if (!crdtEquals(expected, actual)) {
      failures.push(
        `${key}: replica ${actual.describe()} != oracle ${expected.describe()} (${toHex(encodeCrdt(actual)).slice(0, 48)}…)`,
      );
    }
  }
  return failures;
}

function dotIn(dot: Dot, dots: readonly Dot[]): boolean {
  return dots.some((other) => other.replica === dot.replica && other.counter === dot.counter);
}

/**
 * Add-wins and Jepsen set-full on the ORSet: an element is present iff some surviving add of it
 * was observed by no surviving op on it. An absent element whose add nobody observed is a lost
 * acknowledged add.
 */
export function checkSetFull(node: CrdtNode, ops: readonly OpRecord[]): string[] {
  const state = node.replicator!.store.get("cart");
  const present = new Set(state instanceof ORSet ? state.elements() : []);
  const byElement = new Map<string, OpRecord[]>();
  for (const op of ops) {
    if (op.key !== "cart" || !op.included) continue;
    byElement.set(op.element, [...(byElement.get(op.element) ?? []), op]);
  }
  const failures: string[] = [];
  for (const [element, elementOps] of byElement) {
    const survivingAdd = elementOps.find(
      (op) => op.addDot !== null && !elementOps.some((other) => dotIn(op.addDot!, other.observed)),
    );
    if (survivingAdd !== undefined && !present.has(element)) {
      failures.push(
        `cart: acknowledged add #${survivingAdd.index} of ${element} at ${survivingAdd.replica} lost`,
      );
    }
    if (survivingAdd === undefined && present.has(element)) {
      failures.push(`cart: ${element} present though every add of it was removed`);
    }
  }
  return failures;
}

/** Checks counter values against the sums of surviving and of all operations. */
export function checkCounters(node: CrdtNode, ops: readonly OpRecord[]): string[] {
  const failures: string[] = [];
  for (const key of ["hits", "balance"]) {
    let upIncluded = 0;
    let upAll = 0;
    let downIncluded = 0;
    let downAll = 0;
    for (const op of ops) {
      if (op.key !== key) continue;
      if (op.amount >= 0) {
        upAll += op.amount;
        if (op.included) upIncluded += op.amount;
      } else {
        downAll -= op.amount;
        if (op.included) downIncluded -= op.amount;
      }
    }
    const state = node.replicator!.store.get(key);
    const value = state instanceof GCounter || state instanceof PNCounter ? state.value() : 0;
    const low = upIncluded - downAll;
    const high = upAll - downIncluded;
    if (value < low || value > high) failures.push(`${key}: value ${value} outside [${low}, ${high}]`);
  }
  return failures;
}
