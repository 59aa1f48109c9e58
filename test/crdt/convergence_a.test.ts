// Goal: T3 convergence under faults, one half of the seeds (the other half runs in
// convergence_b.test.ts so that vitest's two workers share the load). Method: each seed runs
// the `crdt` workload: 5 replicas, random operations over every type, loss, duplication, delay
// and partitions drawn from the seed, churn with state loss; then heal and anti-entropy to
// quiescence. The workload's checkers demand byte-equal replicas, equality with the oracle join,
// no lost acknowledged op, set-full and counter bounds; every 4th seed also runs the delta vs
// full-state differential. A failing seed prints its replay command. Rounds until quiet must stay
// under a fixed bound; they and the set-full stable latency are printed. PR tier: seeds
// 1..100 × 300 ops; SHOAL_TIER=extended: seeds 1..2500 × 1,000 ops.

import { convergenceSuite } from "./convergence_runner.js";

const isExtended = process.env["SHOAL_TIER"] === "extended";
const [first, last, operations] = isExtended ? [1, 2500, 1_000] : [1, 100, 300];

convergenceSuite(first, last, operations);
