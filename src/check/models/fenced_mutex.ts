// A fenced mutex (Hazelcast's FencedLock, etcd's lock with a revision as fence). `acquire` returns
// a fence; it is legal only when the lock is free and the fence is above every fence handed out
// before, so fences never go backwards. `release` is legal only for the process that holds the
// lock. A failed acquire (a tryLock that timed out) did not happen and never reaches the model.
// An acquire of unknown outcome may have taken the lock with a fence we never saw: at least one
// above the highest seen, which is the weakest assumption (fences are integers).

import { assertNever, mix32 } from "../../lib/index.js";
import type { Model, Prepared } from "../model.js";
import type { HistoryOperation } from "../operation.js";
import { completionValue } from "./register.js";

/** The lock's state: who holds it (a process, or null) and the highest fence handed out. */
export interface MutexState {
  readonly owner: number | null;
  readonly fenceMax: number;
}

/** One lock operation; `fence` is null when the outcome of the acquire is unknown. */
export type MutexOperation =
  | { readonly f: "acquire"; readonly process: number; readonly fence: number | null }
  | { readonly f: "release"; readonly process: number };

function prepareMutex(operation: HistoryOperation): Prepared<MutexOperation> {
  const process = operation.process;
  if (operation.f === "release") return { kind: "keep", operation: { f: "release", process } };
  if (operation.f !== "acquire") return { kind: "bad", reason: `unknown operation :${operation.f}` };
  if (operation.outcome !== "ok") return { kind: "keep", operation: { f: "acquire", process, fence: null } };
  const fence = completionValue(operation);
  if (!Number.isSafeInteger(fence)) return { kind: "bad", reason: "acquire must return an integer fence" };
  return { kind: "keep", operation: { f: "acquire", process, fence: fence as number } };
}

function stepMutex(state: MutexState, operation: MutexOperation): readonly MutexState[] {
  switch (operation.f) {
    case "acquire": {
      if (state.owner !== null) return [];
      if (operation.fence === null) return [{ owner: operation.process, fenceMax: state.fenceMax + 1 }];
      return operation.fence > state.fenceMax
        ? [{ owner: operation.process, fenceMax: operation.fence }]
        : [];
    }
    case "release":
      return state.owner === operation.process ? [{ owner: null, fenceMax: state.fenceMax }] : [];
    default:
      return assertNever(operation);
  }
}

/** The fenced mutex model. Fences start above 0. */
export function fencedMutexModel(): Model<MutexState, MutexOperation> {
  return {
    name: "fenced-mutex",
    description: "lock: acquire → fence (free, and above every fence before); release by the owner",
    prepare: prepareMutex,
    init: () => ({ owner: null, fenceMax: 0 }),
    step: stepMutex,
    hash: (state) => mix32(state.owner === null ? 0x7fffffff : state.owner, state.fenceMax),
    equal: (a, b) => a.owner === b.owner && a.fenceMax === b.fenceMax,
    describeOperation: (operation) =>
      operation.f === "acquire"
        ? `p${operation.process} acquire → ${operation.fence ?? "?"}`
        : `p${operation.process} release`,
    describeState: (state) =>
      `${state.owner === null ? "free" : `held by p${state.owner}`}, highest fence ${state.fenceMax}`,
  };
}
