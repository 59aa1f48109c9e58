// Goal: every registered workload is a pure function of its seed (TESTING.md T12): one seed run
// twice in one process gives the same trace hash and the same verdict. Method: for each workload in
// the registry, run seed 1 twice (five members) with the fault mix drawn from the seed; on a
// mismatch the message names the command that shows both traces.

import { describe, expect, it } from "vitest";
import { Trace } from "../../src/sim/trace.js";
import { workloads } from "../../src/sim/workloads.js";

describe("determinism of every registered workload", () => {
  for (const workload of workloads.values()) {
    it(`${workload.name}: seed 1 replays to the same trace hash`, () => {
      const run = () => {
        const trace = new Trace();
        // Five members keeps the larger workloads (swim defaults to 16) inside this suite's budget.
        const result = workload.run({ seed: 1, faults: null, trace, params: { members: "5" } });
        return { digest: trace.digest(), ok: result.ok, summary: result.summary };
      };
      const first = run();
      const second = run();
      const replay = `npx tsx src/cli/main.ts sim --workload ${workload.name} --seed 1 --members 5 --trace`;
      expect(second.digest, `nondeterministic; compare two runs of: ${replay}`).toBe(first.digest);
      expect(second.ok).toBe(first.ok);
    });
  }
});
