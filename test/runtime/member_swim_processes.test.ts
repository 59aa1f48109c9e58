// Goal: on real `shoal start` processes, `/api/status` shows SWIM's view of the members: all alive
// once formed, a kill -9'd member `dead` at both others within the SWIM failure-detection bound of
// the member's configuration, and a SIGTERM'd member `left` (its graceful stop announces the leave).
// Method: the real-process harness (test/cluster/harness.ts) on 127.0.0.1 with free ephemeral
// ports; every wait polls /api/status with a deadline; only the PIDs the harness spawned are killed.

import { afterAll, describe, expect, it } from "vitest";
import { failureDetectionBoundTicks, swimConfigLan } from "../../src/protocol/swim/index.js";
import { memberOptionsDefault } from "../../src/runtime/index.js";
import { nodeId } from "../../src/types.js";
import { type MemberProcess, ProcessCluster, statusOf, waitFor } from "../cluster/harness.js";
import { sigtermAndWait } from "../support/processes.js";
import { createTestMachine } from "../fixtures/test_machine.js";

let cluster: ProcessCluster | null = null;

afterAll(async () => {
  await cluster?.stopAll();
});

const tickMs = memberOptionsDefault(nodeId("x"), createTestMachine).tickMs;
/** The bound of the configuration `shoal start` runs SWIM with (LAN profile at the member tick). */
const detectionBoundMs = failureDetectionBoundTicks(swimConfigLan(tickMs), 3) * tickMs;
/** Margin for process scheduling and status polling on a loaded CI machine. */
const marginMs = 5_000;

/** Whether every observer's /api/status shows `subject` in `state`, as SWIM sees it. */
async function seenAs(observers: readonly MemberProcess[], subject: string, state: string): Promise<boolean> {
  for (const observer of observers) {
    const status = await statusOf(observer);
    const view = status?.members.find((m) => m.nodeId === subject);
    if (view === undefined || view.state !== state || view.incarnation === undefined) return false;
  }
  return true;
}

describe("SWIM in real shoal start processes", () => {
  it("shows a kill -9'd member dead and a SIGTERM'd member left in /api/status", async () => {
    const c = await ProcessCluster.start(3, 8);
    cluster = c;
    const [m1, m2, m3] = c.members as [MemberProcess, MemberProcess, MemberProcess];
    const allAlive = async (): Promise<boolean> =>
      (await seenAs([m2, m3], "m1", "alive")) &&
      (await seenAs([m1, m3], "m2", "alive")) &&
      (await seenAs([m1, m2], "m3", "alive"));
    expect(await waitFor(allAlive, 30_000), "members did not all see each other alive via SWIM").toBe(true);

    await c.kill9(m3);
    const killedMs = Date.now();
    const dead = await waitFor(() => seenAs([m1, m2], "m3", "dead"), detectionBoundMs + marginMs);
    const detectionMs = Date.now() - killedMs;
    console.log(`m3 dead at m1 and m2 ${detectionMs} ms after kill -9 (bound ${detectionBoundMs} ms)`);
    expect(dead, `m3 not dead within ${detectionBoundMs} + ${marginMs} ms`).toBe(true);

    expect(await sigtermAndWait(m2)).toBe(0);
    expect(await waitFor(() => seenAs([m1], "m2", "left"), 5_000), "m2's leave not seen by m1").toBe(true);
  }, 120_000);
});
