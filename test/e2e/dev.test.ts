// Goal: `shoal dev` (what `npm start` runs) starts three members as child processes, prints their
// URLs, serves clients, stops every member cleanly on SIGINT, and resumes with its data when started
// again. Method: run it on free consecutive 127.0.0.1 ports with a temporary data folder, use the
// CLI against it, send SIGINT to the dev process's PID, check it and its members exited, restart,
// read the value back. Only PIDs this file started are signalled.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root, runProcess, waitFor } from "./harness.js";

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive free ports, twice (client and admin ranges). */
async function freeRanges(count: number): Promise<[number, number]> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let free = true;
    for (let i = 0; i < count * 2 && free; i++) free = await isFree(base + i);
    if (free) return [base, base + count];
  }
  throw new Error("no free port range");
}

function devStart(
  data: string,
  clientPort: number,
  adminPort: number,
): { child: ChildProcess; output: string[] } {
  const args = ["--import", "tsx", "src/cli/main.ts", "dev", "--data", data];
  args.push("--client-port", String(clientPort), "--admin-port", String(adminPort), "--partitions", "4");
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  return { child, output };
}

async function cliAt(clientPort: number, args: readonly string[]): Promise<string> {
  const run = await runProcess(["src/cli/main.ts", ...args, "--endpoint", `127.0.0.1:${clientPort}`], {
    timeoutMs: 40_000,
    env: {},
  });
  return run.stdout;
}

async function stop(dev: { child: ChildProcess; output: string[] }): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => dev.child.once("exit", (code) => resolve(code)));
  dev.child.kill("SIGINT");
  return exited;
}

describe("shoal dev (npm start)", () => {
  it("runs three members, stops them on SIGINT, and resumes with its data", async () => {
    const data = mkdtempSync(join(tmpdir(), "shoal-dev-"));
    const [clientPort, adminPort] = await freeRanges(3);
    let dev = devStart(data, clientPort, adminPort);
    try {
      await waitFor(
        "the URLs",
        () => dev.output.join("").includes(`dashboard http://127.0.0.1:${adminPort + 2}/`),
        30_000,
      );
      expect(
        await cliAt(clientPort + 2, ["map", "put", "dev-map", "k", "kept", "--timeout-ms", "30000"]),
      ).toBe("OK\n");
      expect(await stop(dev)).toBe(0);
      const text = dev.output.join("");
      for (const name of ["n1", "n2", "n3"]) expect(text).toContain(`[${name}] exited (code 0)`);
      // Every member's port is free again: all three processes are gone.
      for (let i = 0; i < 3; i++) expect(await isFree(clientPort + i)).toBe(true);
      dev = devStart(data, clientPort, adminPort);
      expect(await cliAt(clientPort, ["map", "get", "dev-map", "k", "--timeout-ms", "30000"])).toBe("kept\n");
      expect(await stop(dev)).toBe(0);
    } finally {
      // A failure midway: SIGTERM lets the dev process stop its members by PID; SIGKILL if it hangs.
      if (dev.child.exitCode === null && dev.child.signalCode === null) {
        const exited = new Promise<void>((resolve) => dev.child.once("exit", () => resolve()));
        dev.child.kill("SIGTERM");
        const timer = setTimeout(() => dev.child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(data, { recursive: true, force: true });
    }
  }, 150_000);
});
