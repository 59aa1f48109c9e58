// Goal: T3 convergence under faults, seeds 1..100 (the other half runs in convergence_b.test.ts so
// that vitest's two workers share the load). Method: each seed runs the `crdt` workload: 5
// replicas, 300 random operations over every type, loss, duplication, delay and partitions drawn
// from the seed, churn with state loss; then heal and anti-entropy to quiescence. The workload's
// checkers demand byte-equal replicas, equality with the oracle join, set-full and counter bounds,
// and every 4th seed also runs the delta vs full-state differential. A failing seed prints its
// replay command. Rounds until quiet must stay under a fixed bound and are printed.

import { describe, expect, it } from "vitest";
import { runSeedRange } from "./convergence_runner.js";

/** Gossip rounds after the heal that a converging run may take (measured max ≈ 10; 4× headroom). */
const roundsUntilQuietMax = 40;

describe("T3 crdt convergence", () => {
  it("converges on seeds 1..100 with no lost acknowledged update", () => {
    const outcome = runSeedRange(1, 100, 4);
    console.log(
      `crdt seeds 1..100: rounds until quiet max=${outcome.roundsMax} mean=${outcome.roundsMean.toFixed(1)}; ` +
        `state losses=${outcome.stateLosses}, unacknowledged ops lost with them=${outcome.lostOperations}`,
    );
    expect(outcome.failures).toEqual([]);
    expect(outcome.roundsMax).toBeLessThanOrEqual(roundsUntilQuietMax);
  });
});
