// Goal: AP structures survive a restart of a whole cluster of real processes: a counter and a set
// written before SIGTERM of all three `shoal start` members read back the same after all three
// start again on their data folders (every member comes back under a new replica id, so the values
// can only come from disk). Method: the real-process harness on 127.0.0.1 with free ephemeral
// ports; every wait polls a condition with a deadline; only the PIDs the harness spawned are killed.

import { afterAll, describe, expect, it } from "vitest";
import type { Operation } from "../../src/protocol/client/index.js";
import type { TestOutcome } from "../fixtures/test_client.js";
import { ProcessCluster, statusOf, waitFor } from "./harness.js";
import { sigtermAndWait } from "../support/processes.js";

let cluster: ProcessCluster | null = null;

afterAll(async () => {
  await cluster?.stopAll();
});

async function allReady(c: ProcessCluster): Promise<boolean> {
  for (const member of c.members) if ((await statusOf(member))?.ready !== true) return false;
  return true;
}

/** Runs `operations` in order through one fresh client; returns the outcomes. */
async function run(
  c: ProcessCluster,
  clientId: string,
  operations: readonly Operation[],
): Promise<TestOutcome[]> {
  const { client, close } = await c.client(clientId);
  const outcomes: TestOutcome[] = [];
  try {
    for (const operation of operations) {
      outcomes.push(await new Promise<TestOutcome>((resolve) => client.submit(operation, resolve)));
    }
  } finally {
    await close();
  }
  return outcomes;
}

describe("AP state across a restart of every shoal start process", () => {
  it("reads back a counter and a set after SIGTERM of all three members and a fresh start", async () => {
    const c = await ProcessCluster.start(3, 8);
    cluster = c;
    expect(await waitFor(() => allReady(c), 30_000), "the cluster did not become ready").toBe(true);
    const writes: Operation[] = [
      { structure: "counter", op: "add", name: "views", delta: 5 },
      { structure: "counter", op: "add", name: "views", delta: 2 },
      { structure: "set", op: "add", name: "tags", element: "red" },
      { structure: "set", op: "add", name: "tags", element: "blue" },
    ];
    const written = await run(c, "writer", writes);
    expect(written.filter((o) => o.kind !== "ok")).toEqual([]);
    const reads: Operation[] = [
      { structure: "counter", op: "get", name: "views" },
      { structure: "set", op: "values", name: "tags" },
    ];
    const valuesOf = (outcomes: TestOutcome[]): unknown[] =>
      outcomes.map((o) => (o.kind === "ok" ? o.result : o.code));
    expect(valuesOf(await run(c, "reader-before", reads))).toEqual([7, ["blue", "red"]]);

    const codes = await Promise.all(c.members.map((m) => sigtermAndWait(m)));
    expect(codes).toEqual([0, 0, 0]);
    for (const member of c.members) c.spawn(member);
    expect(await waitFor(() => allReady(c), 30_000), "the restarted cluster did not become ready").toBe(true);
    // Every member loaded its partitions from disk, so any replica the client reaches answers.
    expect(valuesOf(await run(c, "reader-after", reads))).toEqual([7, ["blue", "red"]]);
    // (Log lines reach the pipe asynchronously: poll for them with a deadline.)
    const loadedAll = (): boolean => c.members.every((m) => m.log.some((line) => line.includes("ap.loaded")));
    expect(await waitFor(loadedAll, 10_000), "a member logged no ap.loaded").toBe(true);
  }, 120_000);
});
