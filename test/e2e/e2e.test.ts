// Goal: Shoal works end to end over real processes: three `shoal start` members on 127.0.0.1, every
// CP operation from a separate client process through the API and through the CLI, typed errors
// for bad input while others are served, fenced locks across processes (SIGSTOP past the TTL loses
// the lock, the late write is refused by a fence-checking resource), and a workload of concurrent
// clients that stays linearizable while the leaders of group 0 and of a data group are killed with
// SIGKILL and restarted. Method: spawn members and clients as child processes, poll with deadlines,
// record a HistoryEvent log and check it with src/check; kill only PIDs this file started.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eCluster, runProcess, waitFor } from "./harness.js";

let cluster: E2eCluster;

beforeAll(async () => {
  cluster = await E2eCluster.start(3, 8);
  await waitFor(
    "every member ready",
    async () => {
      const all = await Promise.all(cluster.members.map((m) => cluster.status(m)));
      return all.every((s) => (s as { ready?: boolean } | null)?.ready === true);
    },
    60_000,
  );
}, 90_000);

afterAll(async () => {
  await cluster?.stopAll();
});

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const flags = ["--endpoint", cluster.members[1]!.listen, "--secret-file", cluster.secretFile];
  // Flags go before `--`: what follows it is the locked command's own argv.
  const cut = args.indexOf("--");
  const full = cut < 0 ? [...args, ...flags] : [...args.slice(0, cut), ...flags, ...args.slice(cut)];
  return runProcess(["src/cli/main.ts", ...full], { timeoutMs: 30_000 });
}

describe("e2e: three members", () => {
  it("serves every CP operation to a separate client process through the API", async () => {
    const run = await runProcess(
      ["test/e2e/client_process.ts", cluster.endpoints.join(","), cluster.secret, "api"],
      { timeoutMs: 60_000 },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(results).toMatchObject({
      missing: "undefined",
      get: { balance: 10 },
      casWrong: false,
      casRight: true,
      afterCas: { balance: 12 },
      deleted: true,
      deletedAgain: false,
      incr1: 1,
      incr2: 2,
      add: 12,
      seqCasWrong: false,
      seqCasRight: true,
      seqGet: 20,
      tryWhileHeld: true,
      renewed: true,
      released: true,
      aborted: "ABORTED",
    });
    expect(results.fence2 as number).toBeGreaterThan(results.fence as number);
  }, 90_000);

  it("serves every CP operation through the CLI, plain and --json", async () => {
    expect((await cli(["map", "put", "cli-map", "k", "v1"])).stdout).toBe("OK\n");
    expect((await cli(["map", "get", "cli-map", "k"])).stdout).toBe("v1\n");
    expect((await cli(["map", "get", "cli-map", "k", "--json"])).stdout).toBe('"v1"\n');
    const missing = await cli(["map", "get", "cli-map", "nope"]);
    expect([missing.code, missing.stdout]).toEqual([1, ""]);
    expect((await cli(["map", "del", "cli-map", "k", "--json"])).stdout).toBe("true\n");
    expect((await cli(["atomic", "incr", "cli-seq"])).stdout).toBe("1\n");
    expect((await cli(["atomic", "incr", "cli-seq", "--json"])).stdout).toBe("2\n");
    expect((await cli(["atomic", "get", "cli-seq"])).stdout).toBe("2\n");
    const locked = await cli([
      "lock",
      "run",
      "cli-lock",
      "--",
      "sh",
      "-c",
      "echo fence=$SHOAL_FENCE; exit 7",
    ]);
    expect(locked.code).toBe(7);
    expect(locked.stdout).toMatch(/^fence=[1-9]\d*\n$/);
  }, 120_000);
});
