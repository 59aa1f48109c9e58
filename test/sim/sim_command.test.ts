// Goal: `shoal sim` does what its help says: runs a seed range and exits 0 only when every seed
// passed, prints the exact replay command of each failing seed and the workload's summary last,
// ends a single-seed run with a `trace HASH` line that is the same in every process, and exits 2
// with a clear message on bad usage. Method: call the command in-process with captured output, and
// spawn the real CLI twice (in parallel) to compare its trace line with the in-process one.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runSimCommand, type SimCommandOptions } from "../../src/cli/sim_command.js";
import { parseJsonlHistory } from "../../src/check/index.js";
import type { Workload } from "../../src/sim/workload.js";
import { checkRegisterHistory } from "../../src/sim/workloads/register_check.js";
import { workloads } from "../../src/sim/workloads.js";

const execFileAsync = promisify(execFile);

async function capture(
  options: SimCommandOptions,
): Promise<{ code: number; lines: string[]; errors: string[] }> {
  const lines: string[] = [];
  const errors: string[] = [];
  let now = 0;
  const code = await runSimCommand(options, {
    line: (text) => lines.push(text),
    error: (text) => errors.push(text),
    progress: null,
    nowMs: () => (now += 10),
  });
  return { code, lines, errors };
}

describe("shoal sim", () => {
  it("passes a fault-free range and ends with the workload's summary", async () => {
    const { code, lines } = await capture({ workload: "naive-register", seeds: "1..4", faults: "none" });
    expect(code).toBe(0);
    expect(lines.some((line) => line.startsWith("FAIL"))).toBe(false);
    expect(lines.at(-2)).toMatch(
      /^4 seeds: 4 passed, 0 failed in [\d.]+ s \([\d.]+ seeds\/s, \d+ simulator events\/s; 1 re-run for determinism\)$/,
    );
    expect(lines.at(-1)).toMatch(/^naive-register: 4 seeds, 4 linearizable, 0 illegal/);
  });

  it("fails a range with partitions and prints each failing seed's replay command", async () => {
    const { code, lines } = await capture({
      workload: "naive-register",
      seeds: "1..6",
      faults: "partition",
      param: ["clients=3"],
    });
    expect(code).toBe(1);
    const replays = lines.filter((line) => line.startsWith("  replay: "));
    expect(replays.length).toBeGreaterThan(0);
    expect(replays[0]).toMatch(
      /^ {2}replay: npx tsx src\/cli\/main\.ts sim --workload naive-register --seed \d+ --faults partition --param clients=3$/,
    );
    expect(lines.at(-1)).toMatch(/^naive-register: 6 seeds, \d linearizable, [1-6] illegal/);
  });

  it("ends a single seed with its trace hash, the same on a replay", async () => {
    const first = await capture({ workload: "naive-register", seed: "5" });
    const second = await capture({ workload: "naive-register", seed: "5" });
    expect(first.lines.at(-1)).toMatch(/^trace [0-9a-f]{8}$/);
    // Everything but the figures line (it holds the checker's wall time) is a function of the seed.
    const stable = (lines: string[]) => lines.filter((line) => !line.startsWith("figures "));
    expect(stable(second.lines)).toEqual(stable(first.lines));
    expect(first.lines.length).toBeGreaterThanOrEqual(3);
    const other = await capture({ workload: "naive-register", seed: "6" });
    expect(other.lines.at(-1)).not.toBe(first.lines.at(-1));
  });

  it("writes a failing seed's history for the checker with --history", async () => {
    const folder = mkdtempSync(join(tmpdir(), "shoal-sim-"));
    try {
      const path = join(folder, "history.jsonl");
      const { code, lines } = await capture({
        workload: "naive-register",
        seed: "2",
        faults: "partition",
        history: path,
      });
      expect(code).toBe(1);
      expect(lines.some((line) => line === `history ${line.split(" ")[1]} events written to ${path}`)).toBe(
        true,
      );
      const events = parseJsonlHistory(readFileSync(path, "utf8")).map((located) => located.event);
      expect(events.length).toBeGreaterThan(100);
      expect(checkRegisterHistory(events, 10_000).verdict).toBe("illegal");
      expect((await capture({ workload: "naive-register", seeds: "1..2", history: path })).code).toBe(2);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("prints every trace line with --trace", async () => {
    const { lines } = await capture({ workload: "naive-register", seed: "2", faults: "none", trace: true });
    expect(lines.filter((line) => / net deliver s1->c\d /.test(line)).length).toBeGreaterThan(100);
    expect(lines.some((line) => line.includes("node s1 start incarnation=1"))).toBe(true);
  });

  it("fails a seed whose replay differs, and a seed that throws, with their replay commands", async () => {
    let runs = 0;
    const flaky: Workload = {
      name: "test-flaky",
      description: "changes its trace on every run, and throws on seed 3",
      faultNames: [],
      run: ({ seed, trace }) => {
        runs += 1;
        if (seed === 3) throw new Error("invariant broken");
        trace.record(0, `run ${runs}`); // Depends on history, not on the seed: nondeterministic.
        return { ok: true, summary: `flaky seed=${seed}`, failures: [], figures: {} };
      },
    };
    const registry = workloads as Map<string, Workload>;
    registry.set(flaky.name, flaky);
    try {
      const { code, lines } = await capture({ workload: "test-flaky", seeds: "1..3" });
      expect(code).toBe(1);
      expect(lines).toContain("FAIL seed 1: flaky seed=1");
      expect(
        lines.some((line) => /^ {2}nondeterministic: trace [0-9a-f]{8} on the first run/.test(line)),
      ).toBe(true);
      expect(lines).toContain("FAIL seed 3: test-flaky seed=3 threw");
      expect(lines).toContain("  Error: invariant broken");
      expect(lines).toContain("  replay: npx tsx src/cli/main.ts sim --workload test-flaky --seed 3");
      expect(lines.filter((line) => line.startsWith("FAIL")).length).toBe(2); // Seed 2 was not re-run.
    } finally {
      registry.delete(flaky.name);
    }
  });

  it("exits 2 on unknown workloads and faults, naming what exists", async () => {
    const workload = await capture({ workload: "nope", seed: "1" });
    expect(workload.code).toBe(2);
    expect(workload.errors[0]).toMatch(/unknown workload "nope"; workloads: .*naive-register/);
    const fault = await capture({ workload: "naive-register", seed: "1", faults: "partition,meteor" });
    expect(fault.code).toBe(2);
    expect(fault.errors[0]).toMatch(/unknown fault "meteor"; faults of naive-register: delay, loss/);
    expect((await capture({ workload: "naive-register", seeds: "5..1" })).code).toBe(2);
    expect((await capture({ workload: "naive-register" })).code).toBe(2);
    expect((await capture({ workload: "naive-register", seed: "1", param: ["novalue"] })).code).toBe(2);
  });

  it("gives the same results on worker threads as in this thread", async () => {
    const options = { workload: "naive-register", seeds: "1..8", faults: "partition" };
    const inThread = await capture(options);
    const onWorkers = await capture({ ...options, jobs: "2" });
    expect(onWorkers.code).toBe(inThread.code);
    const failing = (lines: string[]) => lines.filter((line) => line.startsWith("FAIL")).sort();
    expect(failing(onWorkers.lines)).toEqual(failing(inThread.lines));
    expect(onWorkers.lines.at(-1)).toBe(inThread.lines.at(-1));
    expect((await capture({ ...options, jobs: "0" })).code).toBe(2);
  });

  it("prints the same trace hash from two real processes", async () => {
    const args = [
      "tsx",
      "src/cli/main.ts",
      "sim",
      "--workload",
      "naive-register",
      "--seed",
      "7",
      "--faults",
      "partition",
    ];
    const spawn = () =>
      execFileAsync("npx", args, { cwd: process.cwd(), timeout: 60_000 }).then(
        (done) => done.stdout,
        (error: { code?: number; stdout?: string }) => {
          // Exit code 1 means the seed failed its check: its output is still what we compare.
          if (error.code !== 1 || error.stdout === undefined) throw error;
          return error.stdout;
        },
      );
    const [first, second] = await Promise.all([spawn(), spawn()]);
    const hash = (stdout: string) => stdout.trimEnd().split("\n").at(-1);
    expect(hash(first)).toMatch(/^trace [0-9a-f]{8}$/);
    expect(hash(second)).toBe(hash(first));
    const inProcess = await capture({ workload: "naive-register", seed: "7", faults: "partition" });
    expect(hash(first)).toBe(inProcess.lines.at(-1));
  });
});
