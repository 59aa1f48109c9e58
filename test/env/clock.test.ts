// Goal: NodeClock and the simulator's SimClock keep the Clock contract (monotonic time, one-shot
// and repeating timers, cancellation, no re-entrancy), so cores driven by either behave alike.
// Method: the shared contract suite (clock_contract.ts); NodeClock's world polls real time under a
// deadline, SimClock's runs the scheduler. Plus NodeClock's unref option, checked in a child
// process that must exit although a long timer is pending.

import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { NodeClock } from "../../src/platform/node/node_clock.js";
import { SimScheduler } from "../../src/sim/scheduler.js";
import { SimClock, simClockSkewNone } from "../../src/sim/sim_clock.js";
import { type ClockWorld, clockContract } from "./clock_contract.js";

function nodeWorld(): ClockWorld {
  const clock = new NodeClock({ timersKeepAlive: false });
  const pause = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
  return {
    clock,
    async waitUntil(condition, deadlineMs) {
      const start = clock.nowMs();
      while (!condition()) {
        if (clock.nowMs() - start > deadlineMs) return false;
        await pause(2);
      }
      return true;
    },
    elapse: (durationMs) => pause(durationMs + 1),
    dispose: () => {},
  };
}

function simWorld(): ClockWorld {
  const scheduler = new SimScheduler();
  const clock = new SimClock(scheduler, simClockSkewNone());
  return {
    clock,
    waitUntil: async (condition, deadlineMs) =>
      scheduler.runUntilCondition(condition, scheduler.nowMs + deadlineMs),
    elapse: async (durationMs) => scheduler.runFor(durationMs),
    dispose: () => clock.stop(),
  };
}

clockContract("NodeClock", nodeWorld);
clockContract("SimClock", simWorld);

describe("NodeClock", () => {
  it("does not keep the process alive with unref'd timers", () => {
    const script = resolve(import.meta.dirname, "..", "..", "src", "platform", "node", "node_clock.ts");
    const program = `import { NodeClock } from ${JSON.stringify(script)};
      new NodeClock({ timersKeepAlive: false }).after(60_000, () => process.exit(3));
      new NodeClock({ timersKeepAlive: false }).every(60_000, () => process.exit(4));`;
    const started = performance.now();
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", program], {
      timeout: 20_000,
    });
    expect(result.status).toBe(0);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
