// Goal: a node's SimClock shows virtual time through its own offset and drift, fires timers on the
// shared scheduler at the right virtual instants, holds them through a pause and never fires after
// a stop. Method: drive a SimScheduler by hand and record the virtual time of each callback.

import { describe, expect, it } from "vitest";
import { SimScheduler } from "../../src/sim/scheduler.js";
import { SimClock, simClockSkewNone, simEpochMs } from "../../src/sim/sim_clock.js";

describe("SimClock", () => {
  it("applies offset and rate to readings", () => {
    const scheduler = new SimScheduler();
    const fast = new SimClock(scheduler, { offsetMs: 1_000, rate: 1.05, wallOffsetMs: -200 });
    const exact = new SimClock(scheduler, simClockSkewNone());
    scheduler.runFor(2_000);
    expect(fast.nowMs()).toBeCloseTo(1_000 + 2_100, 6);
    expect(exact.nowMs()).toBe(2_000);
    expect(fast.wallMs()).toBeCloseTo(simEpochMs - 200 + 2_100, 6);
    expect(exact.wallMs()).toBe(simEpochMs + 2_000);
  });

  it("fires a fast clock's timers early and a slow clock's late, in virtual time", () => {
    const scheduler = new SimScheduler();
    const fired: Record<string, number> = {};
    new SimClock(scheduler, { offsetMs: 0, rate: 1.05, wallOffsetMs: 0 }).after(1_050, () => {
      fired.fast = scheduler.nowMs;
    });
    new SimClock(scheduler, { offsetMs: 0, rate: 0.95, wallOffsetMs: 0 }).after(950, () => {
      fired.slow = scheduler.nowMs;
    });
    scheduler.runFor(5_000);
    expect(fired.fast).toBeCloseTo(1_000, 6);
    expect(fired.slow).toBeCloseTo(1_000, 6);
  });

  it("repeats every interval until cancelled, and cancel is idempotent", () => {
    const scheduler = new SimScheduler();
    const clock = new SimClock(scheduler, simClockSkewNone());
    const times: number[] = [];
    const cancel = clock.every(100, () => {
      times.push(scheduler.nowMs);
      if (times.length === 5) cancel();
    });
    scheduler.runFor(1_000);
    expect(times).toEqual([100, 200, 300, 400, 500]);
    cancel();
    expect(clock.timerCount).toBe(0);
  });

  it("holds timers during a pause and runs overdue ones once, in due order, on resume", () => {
    const scheduler = new SimScheduler();
    const clock = new SimClock(scheduler, simClockSkewNone());
    const log: string[] = [];
    clock.every(100, () => log.push(`tick@${scheduler.nowMs}`));
    clock.after(250, () => log.push(`once@${scheduler.nowMs}`));
    scheduler.runFor(150);
    clock.pause();
    scheduler.runFor(500); // To 650: ticks at 200..600 and the 250 timer fall due, paused.
    expect(log).toEqual(["tick@100"]);
    expect(clock.nowMs()).toBe(650); // The clock itself keeps running during a pause.
    clock.resume();
    scheduler.runFor(120); // To 770.
    expect(log).toEqual(["tick@100", "tick@650", "once@650", "tick@750"]);
  });

  it("never fires after stop, and ignores timers set after it", () => {
    const scheduler = new SimScheduler();
    const clock = new SimClock(scheduler, simClockSkewNone());
    let fired = 0;
    clock.every(10, () => fired++);
    clock.after(5, () => fired++);
    clock.stop();
    clock.after(1, () => fired++);
    scheduler.runFor(1_000);
    expect(fired).toBe(0);
    expect(clock.timerCount).toBe(0);
  });

  it("rejects an absurd rate", () => {
    expect(() => new SimClock(new SimScheduler(), { offsetMs: 0, rate: 3, wallOffsetMs: 0 })).toThrow(/rate/);
  });
});
