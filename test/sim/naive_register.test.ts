// Goal: the harness and the checker can fail, and a run is a pure function of its seed. The
// naive-register workload (a primary-backup register that acknowledges before replicating) must be
// judged linearizable without faults and illegal on most seeds with partitions; one seed must replay
// to the same trace hash, and different seeds must differ. Method: run the workload in-process over
// small seed ranges; a seed that breaks an expectation is printed with its replay command.

import { describe, expect, it } from "vitest";
import { Trace } from "../../src/sim/trace.js";
import { naiveRegisterWorkload } from "../../src/sim/workloads/naive_register.js";
import type { WorkloadResult } from "../../src/sim/workload.js";

function run(seed: number, faults: readonly string[] | null): { result: WorkloadResult; digest: string } {
  const trace = new Trace();
  const result = naiveRegisterWorkload.run({ seed, faults, trace, params: {} });
  return { result, digest: trace.digest() };
}

function replay(seed: number, faults: readonly string[]): string {
  return `npx tsx src/cli/main.ts sim --workload naive-register --seed ${seed} --faults ${faults.join(",") || "none"}`;
}

describe("naive-register", () => {
  it("is linearizable on every seed without faults", () => {
    for (let seed = 1; seed <= 8; seed++) {
      const { result } = run(seed, []);
      if (!result.ok) console.error(`seed ${seed} failed without faults; replay: ${replay(seed, [])}`);
      expect(result.failures).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.figures.operations).toBe(300);
      expect(result.figures.operationsInfo).toBe(0);
    }
  });

  it("is caught by the checker on most seeds with partitions", () => {
    const illegal: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const { result } = run(seed, ["partition"]);
      if (result.figures.illegal === 1) illegal.push(seed);
      expect(result.figures.unknown).toBe(0);
    }
    console.log(`naive-register with partitions: illegal on seeds ${illegal.join(",")} of 1..10`);
    expect(illegal.length).toBeGreaterThanOrEqual(5);
  });

  it("replays one seed to the same trace hash, and different seeds differ", () => {
    const first = run(3, null);
    const second = run(3, null);
    expect(second.digest).toBe(first.digest);
    expect(second.result.summary).toBe(first.result.summary);
    const digests = new Set([
      first.digest,
      run(4, null).digest,
      run(5, null).digest,
      run(3, ["partition"]).digest,
    ]);
    expect(digests.size).toBe(4);
  });

  it("folds per-seed results into one closing line", () => {
    const results = [run(1, []).result, run(2, ["partition"]).result];
    expect(naiveRegisterWorkload.summarize?.(results)).toMatch(
      /^naive-register: 2 seeds, \d linearizable, \d illegal/,
    );
  });
});
