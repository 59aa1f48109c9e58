// The body of a `shoal sim --jobs N` worker thread: receives seeds one at a time, runs each with
// runSeedOfRange, and posts the outcome back. The workload is looked up by name here, because a
// Workload object cannot cross a thread boundary.

import { parentPort, workerData } from "node:worker_threads";
import { assert } from "../lib/assert.js";
import { runSeedOfRange, type SeedRunPlan } from "./seed_runner.js";
import { workloads } from "./workloads.js";

const port = parentPort;
assert(port !== null, "seed_worker.ts runs only as a worker thread");
const plan = workerData as SeedRunPlan;
const workload = workloads.get(plan.workloadName);
assert(workload !== undefined, `no workload named ${plan.workloadName}`);
port.on("message", (seed: number) => {
  port.postMessage(runSeedOfRange(workload, plan, seed));
});
