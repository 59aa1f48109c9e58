// Goal: a member started with --exit-with-parent (as `npm start` and the bench start theirs) stops
// by itself when the process that started it is killed hard, so a crashed tool leaves no member
// running. Method: a real parent process spawns a real `shoal start --exit-with-parent` member and
// prints its pid; once the member answers /healthz, the parent gets SIGKILL (no chance to clean up);
// the member's pid must be gone within a deadline (polled), and it must have logged why it stopped.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { memberPlan, root } from "../support/processes.js";

/** Bounds of the test; units last. */
const limits = { readyMs: 30_000, exitMs: 15_000, pollMs: 100 } as const;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean | Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, limits.pollMs));
  }
  return false;
}

const started: number[] = [];
const folders: string[] = [];

afterEach(() => {
  // Only what this test started, by pid.
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe("shoal start --exit-with-parent", () => {
  it("stops the member when its parent is killed with SIGKILL", async () => {
    const folder = mkdtempSync(join(tmpdir(), "shoal-parent-"));
    folders.push(folder);
    const [member] = await memberPlan(folder, "p", 1);
    const memberArgs = ["--import", "tsx", "src/cli/main.ts", "start", "--name", member!.name];
    memberArgs.push("--listen", member!.listen, "--admin", member!.admin, "--data", member!.data);
    memberArgs.push("--expect", "1", "--partitions", "2", "--exit-with-parent");
    const logFile = join(folder, "member.log");
    // The parent: spawns the member with its output in a file, prints the member's pid, then idles.
    const parentScript = [
      'const { spawn } = require("node:child_process");',
      'const { openSync } = require("node:fs");',
      `const out = openSync(${JSON.stringify(logFile)}, "w");`,
      `const child = spawn(process.execPath, ${JSON.stringify(memberArgs)}, { cwd: ${JSON.stringify(root)}, stdio: ["ignore", out, out] });`,
      "console.log(child.pid);",
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const parent = spawn(process.execPath, ["-e", parentScript], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    started.push(parent.pid!);
    const memberPid = await new Promise<number>((resolve) =>
      parent.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString("utf8").trim()))),
    );
    expect(Number.isSafeInteger(memberPid) && memberPid > 0).toBe(true);
    started.push(memberPid);
    const healthy = await until(async () => {
      const response = await fetch(`http://${member!.admin}/healthz`).catch(() => null);
      return response?.ok === true;
    }, limits.readyMs);
    expect(healthy, "the member never answered /healthz").toBe(true);
    parent.kill("SIGKILL");
    expect(await until(() => !alive(memberPid), limits.exitMs), "the member outlived its parent").toBe(true);
    expect(readFileSync(logFile, "utf8")).toContain("parent-exit");
  }, 60_000);
});
