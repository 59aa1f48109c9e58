// Worker threads for `shoal sim --jobs N`: each worker takes the next seed when it finishes one, so
// slow seeds do not hold up a fixed shard. Outcomes come back in completion order; the caller sorts.
// Under tsx (running the .ts sources) a worker first registers tsx's loader, since worker threads do
// not inherit it; from dist/ the compiled .js worker starts directly.

import { Worker } from "node:worker_threads";
import { assert } from "../lib/assert.js";
import type { SeedOutcome, SeedRunPlan } from "./seed_runner.js";

/** Most worker threads. */
export const seedPoolJobsMax = 64;

function spawnWorker(plan: SeedRunPlan): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    const entry = JSON.stringify(new URL("./seed_worker.ts", here).href);
    const source = `import("tsx/esm/api").then(({ register }) => { register(); return import(${entry}); })`;
    return new Worker(source, { eval: true, workerData: plan });
  }
  return new Worker(new URL("./seed_worker.js", here), { workerData: plan });
}

/**
 * Runs `seeds` on `jobs` worker threads and calls `onOutcome` for each as it completes. Rejects if
 * a worker dies (an error outside any seed, such as a failed import).
 */
export function runSeedsInWorkers(
  plan: SeedRunPlan,
  seeds: readonly number[],
  jobs: number,
  onOutcome: (outcome: SeedOutcome) => void,
): Promise<void> {
  assert(
    Number.isSafeInteger(jobs) && jobs >= 1 && jobs <= seedPoolJobsMax,
    `jobs must be in 1..${seedPoolJobsMax}`,
  );
  return new Promise((resolve, reject) => {
    let next = 0;
    let pending = seeds.length;
    const workers: Worker[] = [];
    let isFinished = false;
    const finish = (error: Error | null): void => {
      if (isFinished) return;
      isFinished = true;
      for (const worker of workers) void worker.terminate();
      if (error === null) resolve();
      else reject(error);
    };
    if (pending === 0) {
      resolve();
      return;
    }
    const feed = (worker: Worker): void => {
      if (next < seeds.length) worker.postMessage(seeds[next++]);
    };
    for (let i = 0; i < Math.min(jobs, seeds.length); i++) {
      const worker = spawnWorker(plan);
      workers.push(worker);
      worker.on("message", (outcome: SeedOutcome) => {
        onOutcome(outcome);
        pending -= 1;
        if (pending === 0) finish(null);
        else feed(worker);
      });
      worker.on("error", (error) => finish(error));
      worker.on("exit", (code) => finish(new Error(`a seed worker exited (code ${code}) with seeds left`)));
      feed(worker);
    }
  });
}
