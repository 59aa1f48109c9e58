// A simulation workload: given a seed (and options), it builds a simulated cluster on the
// simulator, drives it, checks it, and says whether the seed passed. `shoal sim` runs workloads by
// name from the registry in workloads.ts.

import type { HistoryEvent } from "../check/history.js";
import type { Trace } from "./trace.js";

/** What `shoal sim` passes to a workload for one seed. */
export interface WorkloadRunOptions {
  /** The run's seed: the only source of randomness. */
  readonly seed: number;
  /** Fault names to enable (`--faults a,b`); null means "draw the fault mix from the seed". */
  readonly faults: readonly string[] | null;
  /** Receives every simulator event; its digest is the run's trace hash. */
  readonly trace: Trace;
  /** Workload-specific options from the command line (`--members 32` becomes members: "32"). */
  readonly params: Readonly<Record<string, string>>;
}

/** The verdict for one seed. */
export interface WorkloadResult {
  /** Whether every check passed. */
  readonly ok: boolean;
  /** One line that says what happened (operations, faults, checker verdict). */
  readonly summary: string;
  /** Why the seed failed, one reason per entry; empty when ok. */
  readonly failures: readonly string[];
  /** Figures for reports (detection times, messages per second...), named with units last. */
  readonly figures: Readonly<Record<string, number>>;
  /** The client history the seed was checked on, if the workload keeps one (`shoal sim --history`). */
  readonly history?: readonly HistoryEvent[];
}

/** A named simulation. `run` must be deterministic in its options. */
export interface Workload {
  readonly name: string;
  readonly description: string;
  /** Fault names this workload understands for `--faults`. */
  readonly faultNames: readonly string[];
  run(options: WorkloadRunOptions): WorkloadResult;
  /** Optionally folds per-seed figures into the closing line of a multi-seed run. */
  summarize?(results: readonly WorkloadResult[]): string;
}
