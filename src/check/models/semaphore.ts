// A counting semaphore with a fixed number of permits. `acquire n` (n = 1 when absent) is legal
// while the permits held stay within the total; `release n` only by a process holding at least n.
// A failed acquire (no permit within its wait) did not happen and never reaches the model.

import { assert, assertNever, mix32 } from "../../lib/index.js";
import type { Model, Prepared } from "../model.js";
import type { HistoryOperation } from "../operation.js";

/** Permits held, as [process, count] pairs sorted by process, counts above 0. */
export type SemaphoreState = readonly (readonly [number, number])[];

/** One semaphore operation. */
export interface SemaphoreOperation {
  readonly f: "acquire" | "release";
  readonly process: number;
  readonly count: number;
}

function heldBy(state: SemaphoreState, process: number): number {
  return state.find(([holder]) => holder === process)?.[1] ?? 0;
}

function withHeld(state: SemaphoreState, process: number, count: number): SemaphoreState {
  const others = state.filter(([holder]) => holder !== process);
  if (count === 0) return others;
  return [...others, [process, count] as const].sort((a, b) => a[0] - b[0]);
}

function prepareSemaphore(operation: HistoryOperation): Prepared<SemaphoreOperation> {
  if (operation.f !== "acquire" && operation.f !== "release") {
    return { kind: "bad", reason: `unknown operation :${operation.f}` };
  }
  const input = operation.input ?? 1;
  if (!Number.isSafeInteger(input) || (input as number) < 1) {
    return { kind: "bad", reason: `${operation.f} takes a positive permit count` };
  }
  return { kind: "keep", operation: { f: operation.f, process: operation.process, count: input as number } };
}

/** The semaphore model with `permits` permits. */
export function semaphoreModel(permits: number): Model<SemaphoreState, SemaphoreOperation> {
  assert(Number.isSafeInteger(permits) && permits > 0, "a semaphore needs at least one permit");
  const step = (state: SemaphoreState, operation: SemaphoreOperation): readonly SemaphoreState[] => {
    const held = heldBy(state, operation.process);
    switch (operation.f) {
      case "acquire": {
        const total = state.reduce((sum, [, count]) => sum + count, 0);
        return total + operation.count <= permits
          ? [withHeld(state, operation.process, held + operation.count)]
          : [];
      }
      case "release":
        return held >= operation.count ? [withHeld(state, operation.process, held - operation.count)] : [];
      default:
        return assertNever(operation.f);
    }
  };
  return {
    name: "semaphore",
    description: `semaphore of ${permits} permits: acquire n, release n by a holder`,
    prepare: prepareSemaphore,
    init: () => [],
    step,
    hash: (state) => state.reduce((hash, [process, count]) => mix32(mix32(hash, process), count), permits),
    equal: (a, b) => a.length === b.length && a.every(([p, c], i) => b[i]![0] === p && b[i]![1] === c),
    describeOperation: (operation) => `p${operation.process} ${operation.f} ${operation.count}`,
    describeState: (state) =>
      state.length === 0 ? "no permit held" : state.map(([p, c]) => `p${p} holds ${c}`).join(", "),
  };
}
