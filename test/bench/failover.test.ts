// Goal: the failover measurement times from the leader kill to the first write issued after it
// that succeeds, restarts and settles the killed member, and the table shows medians and ratios.
// Method: an in-process fake system whose writes fail for a fixed outage after `kill`, with the
// kill, restart and settle calls recorded for the assertions.

import { describe, expect, it } from "vitest";
import {
  type FailoverSystem,
  failoverMarkdown,
  measureFailover,
  runFailovers,
} from "../../bench/failover.js";

function fakeSystem(name: string, outageMs: number, calls: string[]): FailoverSystem {
  let downUntil = 0;
  return {
    name,
    write: async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (performance.now() < downUntil) throw new Error("no leader");
    },
    leader: async () => 1,
    kill: async (index) => {
      calls.push(`kill ${index}`);
      downUntil = performance.now() + outageMs;
    },
    restart: (index) => {
      calls.push(`restart ${index}`);
    },
    settle: async () => {
      calls.push("settle");
    },
  };
}

describe("measureFailover", () => {
  it("times the outage from the kill to the first later successful write, then restarts the member", async () => {
    const calls: string[] = [];
    const ms = await measureFailover(fakeSystem("fake", 300, calls));
    expect(ms).toBeGreaterThanOrEqual(299);
    expect(ms).toBeLessThan(1_500);
    expect(calls).toEqual(["kill 1", "restart 1", "settle"]);
  });

  it("runs every system `runs` times and tabulates medians with Shoal/system ratios", async () => {
    const calls: string[] = [];
    const times = await runFailovers(
      [fakeSystem("Shoal", 100, calls), fakeSystem("peer", 200, calls)],
      3,
      () => undefined,
    );
    expect(times.get("Shoal")).toHaveLength(3);
    expect(times.get("peer")).toHaveLength(3);
    for (const ms of times.get("peer") ?? []) expect(ms).toBeGreaterThanOrEqual(199);
    const table = failoverMarkdown(
      new Map([
        ["Shoal", [100, 300, 200]],
        ["peer", [400, 800, 1_000]],
      ]),
      ["note"],
    );
    expect(table).toContain("| Shoal | 100, 300, 200 | 200 | 1.00× |");
    expect(table).toContain("| peer | 400, 800, 1000 | 800 | 0.25× |");
  });
});
