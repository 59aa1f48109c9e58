// The result every structural checker returns (Jepsen's set, set-full, counter, unique-ids and
// total-queue checkers). Unlike the linearizability search they look at the history as a whole:
// what was acknowledged, what was attempted, what was observed.

import type { Verdict } from "../checker.js";

/** The verdict of a structural checker, with its counts and a few examples of each anomaly. */
export interface StructuralResult {
  readonly checker: string;
  /** "unknown" when the history cannot decide (e.g. a set history with no read). */
  readonly verdict: Verdict;
  /** One line for people. */
  readonly summary: string;
  /** Named counts (lost, unexpected, stale...). */
  readonly counts: Readonly<Record<string, number>>;
  /** Up to {@link examplesMax} examples per anomaly, as JSON text. */
  readonly examples: Readonly<Record<string, readonly string[]>>;
}

/** Examples kept per anomaly in a result. */
export const examplesMax = 8;

/** Canonical text of a value, so that equal JSON values compare equal. */
export function valueKey(value: unknown): string {
  return JSON.stringify(value) ?? "undefined";
}

/** Builds a result from anomaly lists: invalid when any list named in `fatal` is non-empty. */
export function structuralResult(
  checker: string,
  anomalies: Readonly<Record<string, readonly string[]>>,
  fatal: readonly string[],
  extraCounts: Readonly<Record<string, number>> = {},
): StructuralResult {
  const counts: Record<string, number> = { ...extraCounts };
  const examples: Record<string, readonly string[]> = {};
  for (const [name, list] of Object.entries(anomalies)) {
    counts[name] = list.length;
    examples[name] = list.slice(0, examplesMax);
  }
  const invalid = fatal.some((name) => (anomalies[name]?.length ?? 0) > 0);
  const summary = Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(", ");
  return { checker, verdict: invalid ? "illegal" : "ok", summary, counts, examples };
}
