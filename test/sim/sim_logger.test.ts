// Goal: SimLogger turns log events into trace lines, ids first, with stable field formatting, so
// logs replay with the run's hash. Method: log into a Trace with a sink and compare lines exactly.

import { describe, expect, it } from "vitest";
import { SimScheduler } from "../../src/sim/scheduler.js";
import { formatLogFields, SimLogger } from "../../src/sim/sim_logger.js";
import { Trace } from "../../src/sim/trace.js";

describe("SimLogger", () => {
  it("records events at or above its level, with child fields first", () => {
    const lines: string[] = [];
    const trace = new Trace((line) => lines.push(line));
    const scheduler = new SimScheduler();
    const logger = new SimLogger(trace, scheduler, "n1", "info");
    scheduler.runFor(2.5);
    logger.debug("hidden");
    logger.info("became-leader", { term: 3 });
    logger.child({ group: 7 }).warn("slow-disk", { ms: 12.5, path: "wal/0001", note: "two words" });
    expect(lines).toEqual([
      "2.500 log n1 info became-leader term=3",
      '2.500 log n1 warn slow-disk group=7 ms=12.5 path=wal/0001 note="two words"',
    ]);
    expect(trace.eventCount).toBe(2);
  });

  it("formats every kind of field value stably", () => {
    expect(
      formatLogFields({ a: null, b: true, c: Uint8Array.of(1, 2), d: { x: [1] }, e: undefined, f: 5n }),
    ).toBe(' a=null b=true c=<2B> d={"x":[1]} e=undefined f=5n');
  });

  it("changes the trace hash with what it logs", () => {
    const digest = (event: string) => {
      const trace = new Trace();
      new SimLogger(trace, new SimScheduler(), "n1").error(event);
      return trace.digest();
    };
    expect(digest("a")).toBe(digest("a"));
    expect(digest("a")).not.toBe(digest("b"));
  });
});
