// The AP structures over one replica's Replicator: counters are PN-counters and sets are add-wins
// OR-sets, stored under `${structure}/${name}`. A write is a local delta, joined at once and
// gossiped by the Replicator; a read answers from this replica's state (eventually consistent: a
// counter read shows every increment this replica has seen). Pure: the member runtime calls these
// from its tick with the Replicator it drives.

import { assertNever } from "../lib/assert.js";
import type { Operation } from "../protocol/client/operations.js";
import { ORSet } from "../protocol/crdt/causal.js";
import { PNCounter } from "../protocol/crdt/counters.js";
import type { Crdt } from "../protocol/crdt/crdt.js";
import type { Replicator } from "../protocol/replication/replicator.js";
import type { MachineResult } from "./machine.js";
import type { ReplicaId } from "../types.js";

/** The Replicator key of an AP structure. */
export function apKeyOf(structure: "counter" | "set", name: string): string {
  return `${structure}/${name}`;
}

function refused(message: string): MachineResult {
  return { kind: "refused", message };
}

function wrongType(key: string, actual: string): MachineResult {
  return refused(`${key} holds a ${actual}`);
}

/**
 * Applies one AP write at this replica: counter `add`, set `add`/`remove`. `wallMs` is the member's
 * clock, kept for structures that stamp writes; PN-counters and OR-sets order nothing by time.
 * Read-only operations are answered as by {@link apRead}; CP operations are refused.
 */
export function apApply(replicator: Replicator, operation: Operation, wallMs: number): MachineResult {
  if (!Number.isFinite(wallMs)) return refused("wall time must be finite");
  switch (operation.structure) {
    case "counter": {
      if (operation.op === "get") return apRead(replicator, operation);
      const key = apKeyOf("counter", operation.name);
      const amount = operation.delta;
      if (!Number.isSafeInteger(amount) || amount === 0) {
        const current = stateOf(replicator, key, "pncounter");
        if (current.kind === "wrong-type") return wrongType(key, current.actual);
        const before = current.state instanceof PNCounter ? current.state.value() : 0;
        // An add of 0 changes nothing: answered as a read, so no delta travels.
        if (amount === 0) return { kind: "ok", result: before };
        return refused(`counter ${operation.name}: ${before} + ${amount} overflows`);
      }
      // In place, and no delta is made: the peers are sent the counter's entries of this replica
      // at the next gossip round (Replicator.mutateProjected).
      const result = replicator.mutateProjected(key, "pncounter", pnCounterBottom, counterAddIfSafe, amount);
      if (result.kind === "wrong-type") return wrongType(key, result.actual);
      const value = result.state.value();
      if (!result.changed) return refused(`counter ${operation.name}: ${value} + ${amount} overflows`);
      return { kind: "ok", result: value };
    }
    case "set": {
      if (operation.op === "values") return apRead(replicator, operation);
      const key = apKeyOf("set", operation.name);
      const element = operation.element;
      const result = replicator.mutate(
        key,
        () => new ORSet(),
        (state) =>
          operation.op === "add" ? state.addDelta(replicator.self, element) : state.removeDelta(element),
      );
      if (result.kind === "wrong-type") return wrongType(key, result.actual);
      return { kind: "ok", result: null };
    }
    case "map":
    case "atomic-long":
    case "lock":
      return cpRefused(operation.structure);
    default:
      return assertNever(operation);
  }
}

/** Answers one AP read from this replica's state: counter `get`, set `values` (sorted). */
export function apRead(replicator: Replicator, operation: Operation): MachineResult {
  switch (operation.structure) {
    case "counter": {
      if (operation.op !== "get") return refused(`counter.${operation.op} is not a read`);
      const key = apKeyOf("counter", operation.name);
      const current = stateOf(replicator, key, "pncounter");
      if (current.kind === "wrong-type") return wrongType(key, current.actual);
      return { kind: "ok", result: counterValue(replicator, key) };
    }
    case "set": {
      if (operation.op !== "values") return refused(`set.${operation.op} is not a read`);
      const key = apKeyOf("set", operation.name);
      const current = stateOf(replicator, key, "orset");
      if (current.kind === "wrong-type") return wrongType(key, current.actual);
      const elements = current.state instanceof ORSet ? current.state.elements() : [];
      return { kind: "ok", result: elements };
    }
    case "map":
    case "atomic-long":
    case "lock":
      return cpRefused(operation.structure);
    default:
      return assertNever(operation);
  }
}

function stateOf(
  replicator: Replicator,
  key: string,
  type: string,
):
  | { readonly kind: "ok"; readonly state: Crdt | null }
  | { readonly kind: "wrong-type"; readonly actual: string } {
  const state = replicator.store.get(key);
  if (state === undefined) return { kind: "ok", state: null };
  if (state.type !== type) return { kind: "wrong-type", actual: state.type };
  return { kind: "ok", state };
}

function counterValue(replicator: Replicator, key: string): number {
  const state = replicator.store.get(key);
  return state instanceof PNCounter ? state.value() : 0;
}

const pnCounterBottom = (): PNCounter => new PNCounter();

/** Adds `amount` at `self` unless the value would leave the safe integers; whether it added. */
function counterAddIfSafe(state: PNCounter, self: ReplicaId, amount: number): boolean {
  if (!Number.isSafeInteger(state.value() + amount)) return false;
  state.addInPlace(self, amount);
  return true;
}

function cpRefused(structure: string): MachineResult {
  return refused(`${structure} is a CP structure; it is replicated through Raft`);
}
