// Goal: `npm run bench -- --quick --no-peers` works end to end against one real local Shoal
// cluster: it starts three members, measures the load scenarios and the simulated figures, writes
// the markdown results file (targets summary on top), and leaves no member running. (swim-detect,
// also a default scenario, starts 5 more members: its logic is tested with a fake in pieces.test.ts.) Method: run bench/main.ts as a child process with a
// deadline (killed by PID if it overruns), read the file, and check the member PIDs it printed
// are gone.
// etcd and Redis are not used here (CI does not install them for `npm test`).

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runProcess } from "../support/processes.js";

const folder = mkdtempSync(join(tmpdir(), "shoal-bench-test-"));
const deadlineMs = 90_000;

afterAll(() => rmSync(folder, { recursive: true, force: true }));

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess(["bench/main.ts", ...args], { timeoutMs: deadlineMs });
}

const scenarios = "cp-write,cp-read,ap-counter,ap-set,sim";

describe("npm run bench -- --quick --no-peers", () => {
  it(
    "measures Shoal in the load scenarios and the simulation, writes the results file and stops its members",
    async () => {
      const out = join(folder, "results.md");
      const args = ["--quick", "--no-peers", "--scenarios", scenarios, "--out", out];
      const { code, stdout, stderr } = await runBench(args);
      expect(stderr).not.toContain("bench failed");
      expect(code).toBe(0);
      expect(existsSync(out)).toBe(true);
      const text = readFileSync(out, "utf8");
      expect(text).toContain(
        `- Command: \`npm run bench -- --quick --no-peers --scenarios ${scenarios} --out`,
      );
      expect(text.indexOf("## Targets (issue 8)")).toBeLessThan(text.indexOf("- Date:"));
      expect(text).toContain("| CP write ops/s at c=64 ≥ 5× etcd | – | – | – | not measured |");
      expect(text).toContain("Command: `npm run bench -- --scenarios ap-set --quick --no-peers`");
      expect(text).toContain("- Peers skipped (--no-peers).");
      const titles = ["### CP write", "### Linearizable read", "### AP counter increment", "### AP set add"];
      for (const title of [...titles, "### In simulation"]) {
        expect(text).toContain(title);
      }
      const shoalRows = text.split("\n").filter((line) => /^\| \d+ \| Shoal \|/.test(line));
      expect(shoalRows).toHaveLength(8);
      expect(text).toMatch(/\| 3 \| 200 \/ 200 \| \d+\.\d\d \|/);
      for (const row of shoalRows) {
        const opsPerSec = Number((row.split("|")[3] ?? "").trim().replace(/,/g, ""));
        expect(opsPerSec).toBeGreaterThan(0);
      }
      expect(text).toContain("| 16 | etcd | n/a (skipped (--no-peers))");
      expect(stdout).toContain(`written to ${out}`);
      expect(livePids(stdout)).toEqual([]);
    },
    deadlineMs + 10_000,
  );
});

/** The member PIDs the bench printed that are still alive. */
function livePids(stdout: string): number[] {
  const match = /Shoal members started, pids ([\d,]+)/.exec(stdout);
  expect(match).not.toBeNull();
  const pids = (match?.[1] ?? "").split(",").map(Number);
  expect(pids).toHaveLength(3);
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}
