// Goal: virtual time is exact and deterministic. Method: schedule events out of order, at equal
// times and with cancellations, and check the order they run in and the time they see.

import { describe, expect, it } from "vitest";
import { SimScheduler } from "../../src/sim/scheduler.js";
import { Trace } from "../../src/sim/trace.js";

describe("SimScheduler", () => {
  it("runs events by time, then by scheduling order", () => {
    const scheduler = new SimScheduler();
    const seen: string[] = [];
    scheduler.at(30, () => seen.push(`c@${scheduler.nowMs}`));
    scheduler.at(10, () => seen.push(`a@${scheduler.nowMs}`));
    scheduler.at(10, () => seen.push(`b@${scheduler.nowMs}`));
    const cancelled = scheduler.at(20, () => seen.push("never"));
    scheduler.cancel(cancelled);
    scheduler.runUntil(100);
    expect(seen).toEqual(["a@10", "b@10", "c@30"]);
    expect(scheduler.nowMs).toBe(100);
    expect(scheduler.eventsProcessed).toBe(3);
  });

  it("lets events schedule further events and stops at a condition", () => {
    const scheduler = new SimScheduler();
    let ticks = 0;
    const tick = () => {
      ticks += 1;
      scheduler.after(5, tick);
    };
    scheduler.after(5, tick);
    expect(scheduler.runUntilCondition(() => ticks === 10, 1_000)).toBe(true);
    expect(scheduler.nowMs).toBe(50);
    expect(scheduler.runUntilCondition(() => ticks === 1_000, 100)).toBe(false);
    expect(scheduler.nowMs).toBe(100);
  });

  it("never runs an event in the past", () => {
    const scheduler = new SimScheduler();
    scheduler.runUntil(50);
    let ranAt = -1;
    scheduler.at(10, () => (ranAt = scheduler.nowMs));
    scheduler.runUntil(60);
    expect(ranAt).toBe(50);
  });
});

describe("Trace", () => {
  it("hashes the same events the same way and different events differently", () => {
    const a = new Trace();
    const b = new Trace();
    const c = new Trace();
    for (const trace of [a, b]) {
      trace.record(1, "n1 send n2 ping");
      trace.record(2, "n2 recv n1 ping");
    }
    c.record(1, "n1 send n2 ping");
    c.record(3, "n2 recv n1 ping");
    expect(a.digest()).toBe(b.digest());
    expect(a.digest()).not.toBe(c.digest());
  });
});
