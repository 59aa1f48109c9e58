// A linearizable counter, initially 0: `incr` and `add` (by the invoke's value, 1 when absent),
// `read` (returns the count), `incrementAndGet` and `addAndGet` (add, then return the new count).

import { assertNever } from "../../lib/index.js";
import { hashScalar, type Model, type Prepared } from "../model.js";
import type { HistoryOperation } from "../operation.js";
import { completionValue } from "./register.js";

/** One counter operation; `result` is null when the outcome is unknown. */
export type CounterOperation =
  | { readonly f: "add"; readonly delta: number }
  | { readonly f: "read"; readonly result: number }
  | { readonly f: "addAndGet"; readonly delta: number; readonly result: number | null };

function deltaOf(input: unknown): number | null {
  if (input === undefined || input === null) return 1;
  return Number.isSafeInteger(input) ? (input as number) : null;
}

function prepareCounter(operation: HistoryOperation): Prepared<CounterOperation> {
  const known = operation.outcome === "ok";
  switch (operation.f) {
    case "incr":
    case "add": {
      const delta = deltaOf(operation.input);
      if (delta === null) return { kind: "bad", reason: `${operation.f} takes an integer` };
      return { kind: "keep", operation: { f: "add", delta } };
    }
    case "read": {
      if (!known) return { kind: "drop" };
      const result = operation.output;
      if (!Number.isSafeInteger(result)) return { kind: "bad", reason: "read must return an integer" };
      return { kind: "keep", operation: { f: "read", result: result as number } };
    }
    case "incrementAndGet":
    case "addAndGet": {
      const delta = deltaOf(operation.input);
      if (delta === null) return { kind: "bad", reason: `${operation.f} takes an integer` };
      const result = known ? completionValue(operation) : null;
      if (known && !Number.isSafeInteger(result))
        return { kind: "bad", reason: `${operation.f} must return an integer` };
      return { kind: "keep", operation: { f: "addAndGet", delta, result: result as number | null } };
    }
    default:
      return { kind: "bad", reason: `unknown operation :${operation.f}` };
  }
}

function stepCounter(state: number, operation: CounterOperation): readonly number[] {
  switch (operation.f) {
    case "add":
      return [state + operation.delta];
    case "read":
      return state === operation.result ? [state] : [];
    case "addAndGet": {
      const next = state + operation.delta;
      return operation.result === null || operation.result === next ? [next] : [];
    }
    default:
      return assertNever(operation);
  }
}

function describeCounter(operation: CounterOperation): string {
  switch (operation.f) {
    case "add":
      return `add ${operation.delta}`;
    case "read":
      return `read → ${operation.result}`;
    case "addAndGet":
      return `addAndGet ${operation.delta} → ${operation.result ?? "?"}`;
    default:
      return assertNever(operation);
  }
}

/** The counter model. */
export function counterModel(): Model<number, CounterOperation> {
  return {
    name: "counter",
    description: "counter, initially 0: incr/add/read/incrementAndGet/addAndGet",
    prepare: prepareCounter,
    init: () => 0,
    step: stepCounter,
    hash: hashScalar,
    equal: (a, b) => a === b,
    describeOperation: describeCounter,
    describeState: String,
  };
}
