// Goal: prove the Raft simulation can fail (T7): each known-bug mutant must be caught within 500
// seeds. Method: run the raft-kv workload with the mutant switched on (the flag reaches the pure
// core through its config, or the session table for M8) and a fault mix aimed at the hazard, seed
// after seed, until a seed fails with a safety finding (election or state-machine safety,
// exactly-once, real-time order, an illegal history, or a core assertion); liveness or
// non-vacuity failures do not count as a catch. Seeds-to-first-failure is printed for the report.

import { describe, expect, it } from "vitest";
import { Trace } from "../../src/sim/trace.js";
import { raftKvWorkload } from "../../src/sim/workloads/raft_kv.js";

const seedBudget = 500;
const safetyFinding = /safety|exactly-once|real-time|illegal|AssertionError/;

interface MutantCase {
  readonly mutant: string;
  readonly hazard: string;
  readonly faults: readonly string[] | null;
  readonly params: Readonly<Record<string, string>>;
}

const cases: readonly MutantCase[] = [
  {
    mutant: "M1",
    hazard: "H9 reply/commit before fsync",
    faults: ["crash"],
    params: { "disk-ms": "20", "safety-ms": "2000" },
  },
  { mutant: "M2", hazard: "H4 ReadIndex before the term's first commit", faults: null, params: {} },
  {
    mutant: "M7",
    hazard: "H6 two uncommitted configuration changes",
    faults: ["membership", "partition"],
    params: { learners: "2", "nemesis-ms": "150", "safety-ms": "2000" },
  },
  { mutant: "M8", hazard: "H10 no client dedupe", faults: null, params: { "safety-ms": "2000" } },
  {
    mutant: "M9",
    hazard: "H9 vote sent before it is durable",
    faults: ["crash", "partition", "loss"],
    params: { "disk-ms": "30", "nemesis-ms": "60", voters: "5", "safety-ms": "2000" },
  },
];

function firstCatch(testCase: MutantCase): { seed: number; finding: string } | null {
  for (let seed = 1; seed <= seedBudget; seed++) {
    const params = { ...testCase.params, mutant: testCase.mutant };
    const result = raftKvWorkload.run({ seed, faults: testCase.faults, trace: new Trace(), params });
    const finding = result.failures.find((failure) => safetyFinding.test(failure));
    if (finding !== undefined) return { seed, finding };
  }
  return null;
}

describe("raft mutants are caught (T7)", () => {
  for (const testCase of cases) {
    it(`${testCase.mutant} (${testCase.hazard}) within ${seedBudget} seeds`, () => {
      const caught = firstCatch(testCase);
      const faults = testCase.faults?.join(",") ?? "swarm";
      console.log(
        `${testCase.mutant}: ${caught === null ? "NOT caught" : `caught at seed ${caught.seed} (faults ${faults}): ${caught.finding.slice(0, 160)}`}`,
      );
      expect(caught, `${testCase.mutant} escaped ${seedBudget} seeds`).not.toBeNull();
    });
  }
});
