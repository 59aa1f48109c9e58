// Goal: the bench pieces added for issue 8's remaining figures report what they measured: the
// targets table (met / missed / not measured from fixed numbers), the SWIM detection timer (times
// from the kill to suspect and dead at every observer, restart and settle between runs), the
// stability run (term changes, counted transfers, PASS/FAIL), and the set-add adapters (same key
// naming and element sequence on both sides). Method: fixed figures and in-process fake systems
// with scripted state over time; no etcd, no Redis, no member process.

import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import type { LoadResult } from "../../bench/load.js";
import { type Cell, resultsMarkdown, type Scenario, scenarioMarkdown } from "../../bench/report.js";
import {
  runStability,
  type StabilitySystem,
  settleStability,
  spuriousElections,
  stabilityMarkdown,
} from "../../bench/stability.js";
import {
  runSwimDetections,
  type SwimDetectSystem,
  type SwimState,
  swimDetectMarkdown,
} from "../../bench/swim_detect.js";
import { redisTarget, setElement, targetLimits } from "../../bench/targets.js";
import { targetRows, targetsMarkdown } from "../../bench/targets_summary.js";

function result(opsPerSec: number, p99Ms: number): LoadResult {
  return {
    ops: 10,
    errors: 0,
    firstError: null,
    elapsedMs: 1,
    opsPerSec,
    p50Ms: 1,
    p99Ms,
    p999Ms: p99Ms,
    maxMs: p99Ms,
  };
}

function cell(system: string, opsPerSec: number, p99Ms: number): Cell {
  return { system, result: result(opsPerSec, p99Ms) };
}

function table(id: string, shoal: Cell, peers: Cell[]): Scenario {
  return { id, title: id, description: "", runs: 1, rows: [{ concurrency: 64, shoal, peers }] };
}

describe("targets summary", () => {
  it("checks each target against the c=64 figures and says which were not measured", () => {
    const rows = targetRows({
      tables: [
        table("cp-write", cell("Shoal", 10_000, 50), [cell("etcd", 1_800, 77)]),
        table("cp-read", cell("Shoal", 9_000, 5), [cell("etcd", 2_000, 40)]),
        table("ap-counter", cell("Shoal", 60_000, 5), [
          cell("Redis AOF everysec", 70_000, 2),
          cell("Redis AOF always", 20_000, 9),
        ]),
      ],
      failover: { shoalMs: 700, etcdMs: 1_200 },
      stability: null,
    });
    expect(rows.map((r) => r.verdict)).toEqual(["met", "met", "missed", "missed", "met", "not measured"]);
    expect(rows[0]).toMatchObject({ shoal: "10,000/s", peer: "1,800/s (etcd)", ratio: "5.56×" });
    expect(rows[1]).toMatchObject({ shoal: "50.0 ms", peer: "77.0 ms (etcd)", ratio: "0.65×" });
    expect(rows[2]?.ratio).toBe("4.50×");
    expect(rows[3]).toMatchObject({ peer: "70,000/s (Redis AOF everysec)", ratio: "0.86×" });
    expect(rows[4]).toMatchObject({ shoal: "700 ms", ratio: "0.58×" });
    const text = targetsMarkdown(rows);
    expect(text).toContain("## Targets (issue 8)");
    expect(text).toContain("| CP write ops/s at c=64 ≥ 5× etcd | 10,000/s | 1,800/s (etcd) | 5.56× | met |");
  });

  it("is not measured without c=64 or without the peer, and honest about a short stability run", () => {
    const noPeer: Cell = { system: "etcd", result: null, unavailable: "skipped" };
    const rows = targetRows({
      tables: [table("cp-write", cell("Shoal", 10_000, 50), [noPeer])],
      failover: { shoalMs: 700, etcdMs: null },
      stability: { durationMs: 30_000, shoalSpurious: 0, etcdSpurious: 0 },
    });
    expect(rows.map((r) => r.verdict)).toEqual(Array(6).fill("not measured"));
    const failed = targetRows({
      tables: [],
      failover: { shoalMs: 1_000, etcdMs: 1_200 },
      stability: { durationMs: 600_000, shoalSpurious: 2, etcdSpurious: 0 },
    });
    expect(failed[4]?.verdict).toBe("missed");
    expect(failed[5]).toMatchObject({ shoal: "2 in 600 s", peer: "0 in 600 s (etcd)", verdict: "missed" });
  });

  it("goes at the top of the results, and each table carries its own command", () => {
    const scenario: Scenario = {
      ...table("cp-write", cell("Shoal", 1, 1), []),
      command: "npm run bench -- --scenarios cp-write",
    };
    expect(scenarioMarkdown(scenario)).toContain("Command: `npm run bench -- --scenarios cp-write`");
    const environment = {
      date: "d",
      command: "c",
      cpus: 2,
      cpuModel: "m",
      memoryGiB: 1,
      node: "v20",
      versions: {},
      notes: [],
    };
    const text = resultsMarkdown(environment, [scenario], [], "## Targets (issue 8)");
    expect(text.indexOf("## Targets")).toBeLessThan(text.indexOf("- Date: d"));
  });
});

/** A fake cluster: after a kill, observer i lists the victim suspect at 40 + 10i ms and dead at 120 + 10i ms. */
function fakeSwim(calls: string[]): SwimDetectSystem {
  const names = ["n1", "n2", "n3", "n4"];
  let killed: { index: number; at: number } | null = null;
  let restartedAt = Number.NEGATIVE_INFINITY;
  return {
    size: names.length,
    names,
    views: async (observer) => {
      const now = performance.now();
      const views = new Map<string, SwimState>();
      for (const [i, name] of names.entries()) {
        if (i === observer) views.set(name, "self");
        else if (killed?.index === i) {
          const since = now - killed.at;
          views.set(
            name,
            since >= 120 + 10 * observer ? "dead" : since >= 40 + 10 * observer ? "suspect" : "alive",
          );
        } else views.set(name, "alive");
      }
      if (killed === null && now - restartedAt < 30) views.set(names[1] as string, "dead");
      return views;
    },
    kill: async (index) => {
      calls.push(`kill ${index}`);
      killed = { index, at: performance.now() };
    },
    restart: (index) => {
      calls.push(`restart ${index}`);
      killed = null;
      restartedAt = performance.now();
    },
  };
}

describe("SWIM detection timer", () => {
  it("times suspicion and death at the first and the last observer, and rotates victims past member 0", async () => {
    const calls: string[] = [];
    const runs = await runSwimDetections(fakeSwim(calls), 2, () => undefined);
    expect(calls).toEqual(["kill 1", "restart 1", "kill 2", "restart 2"]);
    expect(runs.map((r) => r.victim)).toEqual(["n2", "n3"]);
    // After n2's restart the fake lists it dead for 30 ms: the settle waits it out.
    expect(runs[0]?.rejoinMs).toBeGreaterThanOrEqual(30);
    for (const run of runs) {
      expect(run.suspectFirstMs).toBeGreaterThanOrEqual(40);
      expect(run.suspectFirstMs).toBeLessThanOrEqual(run.suspectAllMs);
      expect(run.suspectAllMs).toBeLessThan(run.deadAllMs);
      expect(run.deadFirstMs).toBeGreaterThanOrEqual(120);
      expect(run.deadAllMs).toBeGreaterThanOrEqual(140);
      expect(run.deadAllMs).toBeLessThan(2_000);
    }
    const text = swimDetectMarkdown(runs, ["note"]);
    expect(text).toContain("| every other member lists it dead |");
    expect(text).toContain(`n2: ${runs[0]?.deadAllMs.toFixed(0)}`);
  });
});

/** A fake whose clock starts with the load (the settle before it sees a quiet system). */
function fakeStability(
  name: string,
  termAfter: (elapsedMs: number) => number,
  transfers: number,
): StabilitySystem {
  let start = Number.POSITIVE_INFINITY;
  const loaded = async (): Promise<void> => {
    start = Math.min(start, performance.now());
    await new Promise((resolve) => setImmediate(resolve));
  };
  const elapsed = (): number => Math.max(0, performance.now() - start);
  return {
    name,
    target: {
      name,
      ops: {
        put: loaded,
        get: loaded,
      },
    },
    read: async () => {
      const term = termAfter(elapsed());
      return new Map([
        ["g0", { term: 2, leader: "a" }],
        ["g1", { term, leader: term > 3 ? "b" : "a" }],
      ]);
    },
    transfers: async () => (elapsed() > 100 ? transfers : 0),
  };
}

describe("stability run", () => {
  it("counts term changes per group, discounts counted transfers, and says PASS or FAIL", async () => {
    const steady = fakeStability("steady", () => 3, 0);
    const moved = fakeStability("moved", (ms) => (ms > 100 ? 5 : 3), 1);
    const outcomes = await runStability([steady, moved], 300, 1, () => undefined, 20);
    expect(outcomes.map((o) => o.load.ops > 0)).toEqual([true, true]);
    expect(spuriousElections(outcomes[0]!)).toBe(0);
    expect(outcomes[1]?.transfers).toBe(1);
    expect(spuriousElections(outcomes[1]!)).toBe(1);
    const text = stabilityMarkdown(outcomes, ["note"]);
    expect(text).toMatch(/\| steady \| 2 \| 0 \| 0 \| 0 \| [\d,]+ \| 0 \| PASS \|/);
    expect(text).toMatch(/\| moved \| 2 \| 2 \| 1 \| 1 \| [\d,]+ \| 0 \| FAIL \(1 spurious\) \|/);
    expect(text).toContain("g1 3→5");
    expect(outcomes[0]?.termMoves).toEqual([]);
    expect(outcomes[1]?.termMoves.map((m) => [m.group, m.from, m.to])).toEqual([["g1", 3, 5]]);
    expect(outcomes[1]?.leaderChanges.get("g1")).toBe(1);
  });
});

describe("stability settle", () => {
  it("waits until terms, leaders and transfers stop moving before the run starts", async () => {
    const created = performance.now();
    const settling: StabilitySystem = {
      name: "settling",
      target: { name: "settling", ops: {} },
      // Leader balancing moves the term every 10 ms for the first 150 ms, then stops.
      read: async () => {
        const term = 1 + Math.floor(Math.min(150, performance.now() - created) / 10);
        return new Map([["g1", { term, leader: `n${term % 3}` }]]);
      },
      transfers: async () => Math.floor(Math.min(150, performance.now() - created) / 10),
    };
    await settleStability(settling, 40);
    expect(performance.now() - created).toBeGreaterThanOrEqual(150);
  });
});

describe("set-add adapters", () => {
  it("add the same element sequence to the drawn key's set, cycling through a bounded number", async () => {
    expect(setElement(0)).toBe("m0");
    expect(setElement(targetLimits.setElements + 3)).toBe("m3");
    const calls: [string, string][] = [];
    const fake = {
      sadd: async (key: string, member: string) => calls.push([key, member]),
    } as unknown as Redis;
    const sadd = redisTarget(fake, "AOF everysec").ops.sadd;
    expect(sadd).toBeDefined();
    await sadd?.("k1", "ignored");
    await sadd?.("k2", "ignored");
    expect(calls).toEqual([
      ["set/k1", "m0"],
      ["set/k2", "m1"],
    ]);
  });
});
