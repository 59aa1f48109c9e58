// Runs a range of seeds of the `crdt` workload and returns the failures, each with the command
// that replays it, plus the rounds-until-quiet figures for the report.

import { describe, expect, it } from "vitest";
import { Trace } from "../../src/sim/trace.js";
import { crdtWorkload } from "../../src/sim/workloads/crdt.js";

/** What a range of seeds produced. */
export interface SeedRangeOutcome {
  readonly failures: string[];
  readonly roundsMax: number;
  readonly roundsMean: number;
  readonly lostOperations: number;
  readonly stateLosses: number;
  /** The largest per-seed p99 of set-full stable latency, in virtual ms. */
  readonly stableLatencyMsP99Max: number;
}

/** Runs seeds [first, last]; every `differentialEvery`-th seed also runs the delta/full differential. */
export function runSeedRange(
  first: number,
  last: number,
  differentialEvery: number,
  operations = 300,
): SeedRangeOutcome {
  const failures: string[] = [];
  const rounds: number[] = [];
  let lostOperations = 0;
  let stateLosses = 0;
  let stableLatencyMsP99Max = 0;
  for (let seed = first; seed <= last; seed++) {
    const differential = seed % differentialEvery === 0 ? "1" : "0";
    const result = crdtWorkload.run({
      seed,
      faults: null,
      trace: new Trace(),
      params: { differential, ops: String(operations) },
    });
    rounds.push(result.figures["roundsUntilQuiet"] ?? Number.POSITIVE_INFINITY);
    lostOperations += result.figures["lostOperations"] ?? 0;
    stateLosses += result.figures["stateLosses"] ?? 0;
    stableLatencyMsP99Max = Math.max(stableLatencyMsP99Max, result.figures["stableLatencyMsP99"] ?? 0);
    if (!result.ok) {
      failures.push(
        `seed ${seed}: ${result.failures.slice(0, 3).join("; ")}\n  replay: npx tsx src/cli/main.ts sim --workload crdt --seed ${seed} --param differential=${differential} --param ops=${operations}`,
      );
    }
  }
  return {
    failures,
    roundsMax: Math.max(...rounds),
    roundsMean: rounds.reduce((a, b) => a + b, 0) / rounds.length,
    lostOperations,
    stateLosses,
    stableLatencyMsP99Max,
  };
}

/** Gossip rounds after the heal that a converging run may take (measured max ≈ 21; 2× headroom). */
const roundsUntilQuietMax = 45;

/**
 * Declares the T3 suite over seeds first..last with `operations` operations each: no seed may
 * fail, and rounds until quiet stay under a fixed bound; the figures are printed.
 */
export function convergenceSuite(first: number, last: number, operations: number): void {
  describe("T3 crdt convergence", () => {
    it(`converges on seeds ${first}..${last} with no lost acknowledged update`, () => {
      const outcome = runSeedRange(first, last, 4, operations);
      console.log(
        `crdt seeds ${first}..${last} × ${operations} ops: rounds until quiet max=${outcome.roundsMax} ` +
          `mean=${outcome.roundsMean.toFixed(1)}; set-full stable latency p99 max=${outcome.stableLatencyMsP99Max} virtual ms; ` +
          `state losses=${outcome.stateLosses}, unacknowledged ops lost with them=${outcome.lostOperations}`,
      );
      expect(outcome.failures).toEqual([]);
      expect(outcome.roundsMax).toBeLessThanOrEqual(roundsUntilQuietMax);
    });
  });
}
