// Goal: T3 convergence under faults, one half of the seeds (the other half runs in
// convergence_a.test.ts so that vitest's two workers share the load). Method: each seed runs
// the `crdt` workload: 5 replicas, random operations over every type, loss, duplication, delay
// and partitions drawn from the seed, churn with state loss; then heal and anti-entropy to
// quiescence. The workload's checkers demand byte-equal replicas, equality with the oracle join,
// no lost acknowledged op, set-full and counter bounds; every 4th seed also runs the delta vs
// full-state differential. A failing seed prints its replay command. Rounds until quiet must stay
// under a fixed bound; they and the set-full stable latency are printed. PR tier: seeds
// 101..200 × 300 ops; SHOAL_TIER=extended: seeds 2501..5000 × 1,000 ops.

import { describe, expect, it } from "vitest";
import { runSeedRange } from "./convergence_runner.js";

const isExtended = process.env["SHOAL_TIER"] === "extended";
const [first, last, operations] = isExtended ? [2501, 5000, 1_000] : [101, 200, 300];

/** Gossip rounds after the heal that a converging run may take (measured max ≈ 21; 2× headroom). */
const roundsUntilQuietMax = 45;

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
