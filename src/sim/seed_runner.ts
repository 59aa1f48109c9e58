// Runs one seed of a workload the way `shoal sim` does, in this thread or in a worker: an exception
// from the simulated system is a failed seed (with its stack), not a crash of the runner, and every
// `determinismCheckEvery`-th seed of a range runs twice and fails if its trace hash differs
// (FoundationDB's determinism check on about 5 % of runs, TESTING.md T12).

import { Trace } from "./trace.js";
import type { Workload, WorkloadResult } from "./workload.js";

/** Every this-many seeds of a range, starting with the first, is run twice. */
export const determinismCheckEvery = 20;

/** What to run, in a form a worker can receive (plain data). */
export interface SeedRunPlan {
  readonly workloadName: string;
  readonly faults: readonly string[] | null;
  readonly params: Readonly<Record<string, string>>;
  /** The first seed of the range, which fixes which seeds get the determinism check. */
  readonly seedFirst: number;
}

/** One seed's outcome (plain data, so it crosses a worker boundary). */
export interface SeedOutcome {
  readonly seed: number;
  readonly result: WorkloadResult;
  readonly digest: string;
  /** Simulator events: the workload's `simulatorEvents` figure, or the trace's event count. */
  readonly events: number;
  readonly wasRerun: boolean;
}

/** Runs `seed` once into `trace`, turning an exception into a failed result. */
export function runSeedOnce(
  workload: Workload,
  plan: SeedRunPlan,
  seed: number,
  trace: Trace,
): WorkloadResult {
  try {
    return workload.run({ seed, faults: plan.faults, trace, params: plan.params });
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    return { ok: false, summary: `${workload.name} seed=${seed} threw`, failures: [text], figures: {} };
  }
}

/** Runs `seed` of a range, twice when it is due a determinism check. */
export function runSeedOfRange(workload: Workload, plan: SeedRunPlan, seed: number): SeedOutcome {
  const trace = new Trace();
  let result = runSeedOnce(workload, plan, seed, trace);
  const digest = trace.digest();
  const wasRerun = (seed - plan.seedFirst) % determinismCheckEvery === 0;
  if (wasRerun) {
    const again = new Trace();
    runSeedOnce(workload, plan, seed, again);
    if (again.digest() !== digest) {
      const failure = `nondeterministic: trace ${digest} on the first run, ${again.digest()} on the second`;
      result = { ...result, ok: false, failures: [...result.failures, failure] };
    }
  }
  // A range never writes histories: drop it, so outcomes stay small on their way back from a worker.
  const { history: _history, ...kept } = result;
  return { seed, result: kept, digest, events: result.figures.simulatorEvents ?? trace.eventCount, wasRerun };
}
