// Goal: the bench's load generator honours its bounds (operation cap, duration, concurrency),
// draws keys and operations as asked, and the scenario runner and markdown writer report medians
// and Shoal/peer ratios correctly. Method: in-process fake targets whose operations resolve on
// the next macrotask (no etcd, no Redis, no cluster), with counters the assertions read.

import { describe, expect, it } from "vitest";
import { type LoadResult, medianRun, runLoad, ZipfianKeys } from "../../bench/load.js";
import { ratioText, resultsMarkdown, scenarioMarkdown } from "../../bench/report.js";
import { type BenchShape, runScenario, type Target } from "../../bench/scenarios.js";

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const baseOptions = {
  concurrency: 4,
  durationMs: 5_000,
  opsMax: 500,
  mix: [{ kind: "op" as const, weight: 1 }],
  keys: 10,
  distribution: "uniform" as const,
  valueBytes: 8,
  seed: 7,
};

function result(opsPerSec: number): LoadResult {
  return {
    ops: 1,
    errors: 0,
    firstError: null,
    elapsedMs: 1,
    opsPerSec,
    p50Ms: 1,
    p99Ms: 2,
    p999Ms: 3,
    maxMs: 4,
  };
}

describe("runLoad", () => {
  it("stops at the operation cap, keeps `concurrency` operations in flight and times every one", async () => {
    let inFlight = 0;
    let inFlightMax = 0;
    let calls = 0;
    const out = await runLoad(baseOptions, async (_kind, key, value) => {
      calls++;
      expect(key).toMatch(/^k\d$/);
      expect(value).toHaveLength(8);
      inFlight++;
      inFlightMax = Math.max(inFlightMax, inFlight);
      await tick();
      inFlight--;
    });
    expect(calls).toBe(500);
    expect(out.ops).toBe(500);
    expect(out.errors).toBe(0);
    expect(inFlightMax).toBe(4);
    expect(out.opsPerSec).toBeGreaterThan(0);
    expect(out.p50Ms).toBeGreaterThan(0);
    expect(out.p50Ms).toBeLessThanOrEqual(out.p99Ms);
    expect(out.p99Ms).toBeLessThanOrEqual(out.maxMs);
  });

  it("stops at the duration when the cap is far away", async () => {
    const began = performance.now();
    const out = await runLoad({ ...baseOptions, durationMs: 200, opsMax: 10_000_000 }, tick);
    const took = performance.now() - began;
    expect(took).toBeGreaterThanOrEqual(199);
    expect(took).toBeLessThan(2_000);
    expect(out.ops).toBeGreaterThan(0);
    expect(out.ops).toBeLessThan(10_000_000);
  });

  it("counts errors without timing them and keeps the first message", async () => {
    let n = 0;
    const out = await runLoad({ ...baseOptions, concurrency: 1, opsMax: 100 }, async () => {
      n++;
      await tick();
      if (n % 4 === 0) throw new Error(`boom ${n}`);
    });
    expect(out.errors).toBe(25);
    expect(out.ops).toBe(75);
    expect(out.firstError).toBe("Error: boom 4");
  });

  it("draws operations by weight and zipfian keys skewed toward low ranks", async () => {
    const kinds = { a: 0, b: 0 };
    const keys = new Map<string, number>();
    await runLoad(
      {
        ...baseOptions,
        opsMax: 4_000,
        keys: 1_000,
        distribution: "zipfian",
        mix: [
          { kind: "a", weight: 3 },
          { kind: "b", weight: 1 },
        ],
      },
      async (kind, key) => {
        kinds[kind]++;
        keys.set(key, (keys.get(key) ?? 0) + 1);
      },
    );
    expect(kinds.a + kinds.b).toBe(4_000);
    expect(kinds.a / 4_000).toBeGreaterThan(0.7);
    expect(kinds.a / 4_000).toBeLessThan(0.8);
    const hottest = keys.get("k0") ?? 0;
    for (const [key, count] of keys) if (key !== "k0") expect(count).toBeLessThanOrEqual(hottest);
    expect(hottest).toBeGreaterThan(4_000 / 20);
  });

  it("refuses shapes outside its limits", async () => {
    await expect(runLoad({ ...baseOptions, concurrency: 0 }, tick)).rejects.toThrow(RangeError);
    await expect(runLoad({ ...baseOptions, durationMs: 0 }, tick)).rejects.toThrow(RangeError);
    await expect(runLoad({ ...baseOptions, mix: [] }, tick)).rejects.toThrow(RangeError);
  });
});

describe("ZipfianKeys and medianRun", () => {
  it("maps [0,1) onto [0,n) monotonically", () => {
    const zipf = new ZipfianKeys(100);
    let previous = 0;
    for (let u = 0; u < 1; u += 0.01) {
      const rank = zipf.rank(u);
      expect(rank).toBeGreaterThanOrEqual(previous);
      expect(rank).toBeLessThan(100);
      previous = rank;
    }
    expect(zipf.rank(0)).toBe(0);
    expect(zipf.rank(0.999_999)).toBe(99);
  });

  it("keeps the run with the median throughput", () => {
    expect(medianRun([result(5), result(1), result(3)]).opsPerSec).toBe(3);
    expect(medianRun([result(9)]).opsPerSec).toBe(9);
    expect(() => medianRun([])).toThrow(RangeError);
  });
});

describe("runScenario and the markdown writer", () => {
  const shape: BenchShape = {
    concurrencies: [1, 8],
    runs: 3,
    durationMs: 1_000,
    opsMax: 200,
    keys: 20,
    distribution: "uniform",
    valueBytes: 4,
    seed: 1,
    warmupMs: 50,
  };

  it("measures every system with the same load and reports medians, ratios and missing peers", async () => {
    const stored = new Map<string, string>();
    const calls = { shoal: 0, peer: 0 };
    const shoal: Target = {
      name: "Shoal",
      ops: {
        put: async (key, value) => {
          calls.shoal++;
          stored.set(key, value);
          await tick();
        },
      },
    };
    const peer: Target = {
      name: "peer",
      ops: {
        put: async () => {
          calls.peer++;
          await tick();
          await tick();
        },
      },
    };
    const absent: Target = { name: "gone", ops: {}, unavailable: "not installed" };
    const lines: string[] = [];
    const scenario = await runScenario(
      {
        id: "w",
        title: "Writes",
        description: "Fake writes.",
        op: "put",
        preload: true,
        shoal,
        peers: [peer, absent],
      },
      shape,
      (line, final) => {
        if (final) lines.push(line);
      },
    );
    expect(stored.size).toBe(20);
    expect(calls.shoal).toBeGreaterThanOrEqual(20 + 2 * 3 * 200);
    expect(calls.peer).toBeGreaterThanOrEqual(2 * 3 * 200);
    expect(scenario.rows.map((r) => r.concurrency)).toEqual([1, 8]);
    for (const row of scenario.rows) {
      expect(row.shoal.result?.ops).toBe(200);
      expect(row.peers[0]?.result?.ops).toBe(200);
      expect(row.peers[1]?.result).toBeNull();
    }
    expect(lines.some((l) => l.includes("warm-up"))).toBe(true);
    const table = scenarioMarkdown(scenario);
    expect(table).toContain("### Writes");
    expect(table).toContain("Median of 3 run(s)");
    expect(table).toContain("| 8 | gone | n/a (not installed)");
    const row = scenario.rows[1];
    if (row === undefined || row.peers[0] === undefined) throw new Error("missing row");
    const ratio = ratioText(row.shoal, row.peers[0]);
    expect(ratio).toMatch(/^\d+\.\d\d×$/);
    expect(table).toContain(`| ${ratio} |`);
  });

  it("writes the environment and the exact command above the tables", () => {
    const text = resultsMarkdown(
      {
        date: "2026-11-29T00:00:00.000Z",
        command: "npm run bench -- --quick",
        cpus: 2,
        cpuModel: "test cpu",
        memoryGiB: 4,
        node: "v20.0.0",
        versions: { etcd3: "1.1.2" },
        notes: ["a note"],
      },
      [],
    );
    expect(text).toContain("- Command: `npm run bench -- --quick`");
    expect(text).toContain("- Machine: 2 CPU(s) (test cpu), 4.0 GiB memory");
    expect(text).toContain("- etcd3: 1.1.2");
    expect(text).toContain("- a note");
  });
});
