// Goal: the Raft core keeps its guarantees under the simulator's faults (T5, everyday size).
// Method: run the raft-kv workload (src/sim/workloads/raft/) on 200 seeds, 3 and 5 voters plus a
// learner, with a fault mix drawn per seed (partitions, crashes losing or tearing unsynced writes,
// pauses, clock drift, disk stalls, loss, duplication, reordering, membership changes). Each seed
// checks invariants as it runs (one leader per term, identical applied entries per index, exactly
// once per (client, sequence)), the client history with src/check (zero illegal, zero unknown),
// the real-time order of log positions, and liveness after healing. A failing seed prints the
// command that replays it. Also checks that a seed replays to the same trace digest.

import { describe, expect, it } from "vitest";
import { Trace } from "../../src/sim/trace.js";
import { raftKvWorkload } from "../../src/sim/workloads/raft_kv.js";

const seedCount = 200;

function runSeed(seed: number, trace = new Trace()) {
  return raftKvWorkload.run({ seed, faults: null, trace, params: {} });
}

describe("raft-kv simulation (T5)", () => {
  it(`passes ${seedCount} seeds`, () => {
    const failures: string[] = [];
    let operations = 0;
    for (let seed = 1; seed <= seedCount; seed++) {
      const result = runSeed(seed);
      operations += result.figures["operations_ok"] ?? 0;
      if (!result.ok) {
        failures.push(
          `seed ${seed}: ${result.failures.slice(0, 3).join("; ")}\n  replay: npx tsx src/cli/main.ts sim --workload raft-kv --seed ${seed}`,
        );
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
    expect(operations).toBeGreaterThan(seedCount * 20);
  });

  it("replays a seed to the same trace digest", () => {
    const first = new Trace();
    const second = new Trace();
    const a = runSeed(7, first);
    const b = runSeed(7, second);
    expect(a.summary).toBe(b.summary);
    expect(first.digest()).toBe(second.digest());
  });
});
