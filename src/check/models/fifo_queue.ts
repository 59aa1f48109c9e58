// A FIFO queue, initially empty: `enqueue v`, and `dequeue` returning the oldest element, or nil
// when the queue is empty. A dequeue of unknown outcome may have removed the head.

import { assertNever, mix32 } from "../../lib/index.js";
import { hashScalar, isScalar, type Model, type Prepared, showScalar } from "../model.js";
import type { HistoryOperation } from "../operation.js";

type Scalar = string | number | boolean | null;

/** One queue operation; a dequeue's `value` is undefined when its outcome is unknown. */
export type QueueOperation =
  | { readonly f: "enqueue"; readonly value: Scalar }
  | { readonly f: "dequeue"; readonly value: Scalar | undefined };

function prepareQueue(operation: HistoryOperation): Prepared<QueueOperation> {
  if (operation.f === "enqueue") {
    if (!isScalar(operation.input) || operation.input === null) {
      return { kind: "bad", reason: "enqueue takes a non-nil scalar" };
    }
    return { kind: "keep", operation: { f: "enqueue", value: operation.input } };
  }
  if (operation.f !== "dequeue") return { kind: "bad", reason: `unknown operation :${operation.f}` };
  if (operation.outcome !== "ok") return { kind: "keep", operation: { f: "dequeue", value: undefined } };
  const value = operation.output === undefined ? null : operation.output;
  if (!isScalar(value)) return { kind: "bad", reason: "dequeue must return a scalar or nil" };
  return { kind: "keep", operation: { f: "dequeue", value } };
}

function stepQueue(state: readonly Scalar[], operation: QueueOperation): readonly (readonly Scalar[])[] {
  switch (operation.f) {
    case "enqueue":
      return [[...state, operation.value]];
    case "dequeue":
      if (operation.value === undefined) return [state.length === 0 ? state : state.slice(1)];
      if (operation.value === null) return state.length === 0 ? [state] : [];
      return state.length > 0 && state[0] === operation.value ? [state.slice(1)] : [];
    default:
      return assertNever(operation);
  }
}

/** The FIFO queue model. */
export function fifoQueueModel(): Model<readonly Scalar[], QueueOperation> {
  return {
    name: "fifo-queue",
    description: "FIFO queue: enqueue v, dequeue → oldest or nil when empty",
    prepare: prepareQueue,
    init: () => [],
    step: stepQueue,
    hash: (state) => state.reduce<number>((hash, value) => mix32(hash, hashScalar(value)), state.length),
    equal: (a, b) => a.length === b.length && a.every((value, i) => b[i] === value),
    describeOperation: (operation) =>
      operation.f === "enqueue"
        ? `enqueue ${showScalar(operation.value)}`
        : `dequeue → ${operation.value === undefined ? "?" : showScalar(operation.value)}`,
    describeState: (state) => `[${state.map(showScalar).join(" ")}]`,
  };
}
