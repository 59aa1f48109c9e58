// Checks a whole history against a model: drops operations that surely did not happen (`fail`),
// lets the model prepare the rest, splits them by key (P-compositionality: a history is
// linearizable exactly when each object's sub-history is), and searches the objects smallest
// first, so that a violation in a small object is found before a large one eats the budget. The
// first illegal object decides the verdict; an object that runs out of time makes the verdict
// "unknown" unless another one is illegal.

import type { Model } from "./model.js";
import { HistoryInputError, type HistoryOperation } from "./operation.js";
import { type SearchDeadline, type SearchOperation, searchLinearization } from "./linearizability.js";

/** The checker's three verdicts. */
export type Verdict = "ok" | "illegal" | "unknown";

/** Options of {@link checkHistory}. */
export interface CheckOptions {
  /** Time budget for the whole history; null for none. */
  readonly timeoutMs: number | null;
  /** The clock the budget is measured on (milliseconds, monotonic). */
  readonly nowMs: () => number;
}

/** One operation of a failing object, as the reports show it. */
export interface FailureOperation {
  readonly operation: HistoryOperation;
  readonly description: string;
}

/** The smallest object whose history has no linearization, with the longest partial one found. */
export interface Failure {
  /** The object's key; null for a single-object history. */
  readonly key: string | null;
  readonly initialState: string;
  /** The object's operations (those the model kept), in invoke order. */
  readonly operations: readonly FailureOperation[];
  /** The longest partial linearization: positions in `operations`, with the state after each. */
  readonly linearization: readonly { readonly position: number; readonly stateAfter: string }[];
  /** Positions of operations that could come next after that prefix (in real time) and cannot. */
  readonly stuck: readonly number[];
}

/** The result of {@link checkHistory}. */
export interface CheckResult {
  readonly verdict: Verdict;
  readonly model: string;
  readonly elapsedMs: number;
  readonly operationCount: number;
  readonly partitionCount: number;
  /** Objects whose search finished (ok or illegal) before the verdict was known. */
  readonly partitionsChecked: number;
  /** Keys of the objects whose search ran out of time. */
  readonly unknownKeys: readonly (string | null)[];
  readonly failure: Failure | null;
}

interface Partition<Operation> {
  readonly key: string | null;
  readonly history: HistoryOperation[];
  readonly search: SearchOperation<Operation>[];
}

/** Options with no time budget, timed by `performance.now`. */
export function checkOptionsDefault(): CheckOptions {
  return { timeoutMs: null, nowMs: () => performance.now() };
}

/** Checks `operations` for linearizability against `model`. */
export function checkHistory<State, Operation>(
  model: Model<State, Operation>,
  operations: readonly HistoryOperation[],
  options: CheckOptions = checkOptionsDefault(),
): CheckResult {
  const startMs = options.nowMs();
  const deadline: SearchDeadline | null =
    options.timeoutMs === null ? null : { nowMs: options.nowMs, deadlineMs: startMs + options.timeoutMs };
  const partitions = partitionOperations(model, operations);
  partitions.sort((a, b) => a.search.length - b.search.length);
  const unknownKeys: (string | null)[] = [];
  let partitionsChecked = 0;
  const result = (verdict: Verdict, failure: Failure | null): CheckResult => ({
    verdict,
    model: model.name,
    elapsedMs: options.nowMs() - startMs,
    operationCount: operations.length,
    partitionCount: partitions.length,
    partitionsChecked,
    unknownKeys,
    failure,
  });
  for (const partition of partitions) {
    const outcome = searchLinearization(model, partition.search, deadline);
    if (outcome.verdict === "unknown") {
      unknownKeys.push(partition.key);
      continue;
    }
    partitionsChecked += 1;
    if (outcome.verdict === "illegal") {
      return result("illegal", describeFailure(model, partition, outcome.longest, outcome.statesAfter));
    }
  }
  return result(unknownKeys.length > 0 ? "unknown" : "ok", null);
}

function partitionOperations<State, Operation>(
  model: Model<State, Operation>,
  operations: readonly HistoryOperation[],
): Partition<Operation>[] {
  const byKey = new Map<string | null, Partition<Operation>>();
  for (const operation of operations) {
    if (operation.outcome === "fail") continue;
    const prepared = model.prepare(operation);
    if (prepared.kind === "bad") {
      throw new HistoryInputError(operation.line, `${model.name}: ${prepared.reason}`);
    }
    if (prepared.kind === "drop") continue;
    let partition = byKey.get(operation.key);
    if (partition === undefined) {
      partition = { key: operation.key, history: [], search: [] };
      byKey.set(operation.key, partition);
    }
    partition.history.push(operation);
    partition.search.push({
      operation: prepared.operation,
      callTime: operation.callTime,
      returnTime: operation.returnTime,
    });
  }
  return [...byKey.values()];
}

function describeFailure<State, Operation>(
  model: Model<State, Operation>,
  partition: Partition<Operation>,
  longest: readonly number[],
  statesAfter: readonly (readonly State[])[],
): Failure {
  const describeStates = (states: readonly State[]): string =>
    states.length === 1
      ? model.describeState(states[0]!)
      : `one of {${states.map((s) => model.describeState(s)).join(", ")}}`;
  const done = new Set(longest);
  let firstReturn = Infinity;
  partition.search.forEach((operation, position) => {
    if (!done.has(position)) firstReturn = Math.min(firstReturn, operation.returnTime);
  });
  const stuck: number[] = [];
  partition.search.forEach((operation, position) => {
    if (!done.has(position) && operation.callTime < firstReturn) stuck.push(position);
  });
  return {
    key: partition.key,
    initialState: model.describeState(model.init()),
    operations: partition.history.map((operation, position) => ({
      operation,
      description: model.describeOperation(partition.search[position]!.operation),
    })),
    linearization: longest.map((position, i) => ({ position, stateAfter: describeStates(statesAfter[i]!) })),
    stuck,
  };
}
