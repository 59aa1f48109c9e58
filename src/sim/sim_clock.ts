// One node's clock in the simulator. Virtual time comes from the scheduler; each node sees it
// through its own offset and rate (a clock that runs 3 % fast reads 1.03 ms for every virtual ms,
// and its timers fire 3 % early in virtual time), so protocols meet skew and drift as they would on
// real machines. Timers run on the shared scheduler. While the node is paused (a GC pause, SIGSTOP)
// its clock keeps advancing but no timer runs; overdue timers run on resume, each once, in the order
// they fell due, the way an event loop catches up after a long block. Once stopped (the node
// crashed), the clock never runs a callback again.

import { assert } from "../lib/assert.js";
import type { Cancel, Clock } from "../env/clock.js";
import type { EventId, SimScheduler } from "./scheduler.js";

/** The skew of one node's clock against virtual time. */
export interface SimClockSkew {
  /** Added to the node's monotonic reading (the origin is arbitrary anyway). */
  readonly offsetMs: number;
  /** Local milliseconds per virtual millisecond: 1 is exact, 1.05 runs 5 % fast. */
  readonly rate: number;
  /** Added to the node's wall clock on top of the shared simulated epoch. */
  readonly wallOffsetMs: number;
}

/** A clock that agrees with virtual time exactly. */
export function simClockSkewNone(): SimClockSkew {
  return { offsetMs: 0, rate: 1, wallOffsetMs: 0 };
}

/** The simulated Unix epoch at virtual time 0 (2026-01-01T00:00:00Z), so wall clocks look real. */
export const simEpochMs = 1_767_225_600_000;

/** Most timers one node may have pending at once; more is a leak in the code under test. */
export const simClockTimersMax = 100_000;

/** Slowest and fastest accepted clock rates. */
export const simClockRateMin = 0.5;
export const simClockRateMax = 1.5;

interface Timer {
  readonly id: number;
  readonly callback: () => void;
  /** Local milliseconds between runs; null for a one-shot timer. */
  readonly intervalMs: number | null;
  /** The scheduler event that will run it, or null while it waits for a resume. */
  eventId: EventId | null;
}

/** Implements {@link Clock} for one node on a {@link SimScheduler}. */
export class SimClock implements Clock {
  private readonly timers = new Map<number, Timer>();
  /** Timers that fell due while paused, in the order they fell due. */
  private overdue: Timer[] = [];
  private timerSequence = 0;
  private paused = false;
  private stopped = false;
  private readonly originVirtualMs: number;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly skew: SimClockSkew,
  ) {
    assert(
      skew.rate >= simClockRateMin && skew.rate <= simClockRateMax,
      `clock rate ${skew.rate} out of range`,
    );
    assert(
      Number.isFinite(skew.offsetMs) && Number.isFinite(skew.wallOffsetMs),
      "clock offsets must be finite",
    );
    this.originVirtualMs = scheduler.nowMs;
  }

  /** Monotonic local milliseconds: offset plus virtual time since creation scaled by the rate. */
  nowMs(): number {
    return this.skew.offsetMs + (this.scheduler.nowMs - this.originVirtualMs) * this.skew.rate;
  }

  /** Wall-clock milliseconds: the simulated epoch plus this node's wall offset, drifting at its rate. */
  wallMs(): number {
    return simEpochMs + this.skew.wallOffsetMs + this.scheduler.nowMs * this.skew.rate;
  }

  /** Runs `callback` once after `delayMs` of this node's local time. */
  after(delayMs: number, callback: () => void): Cancel {
    assert(delayMs >= 0 && Number.isFinite(delayMs), `delay must be finite and non-negative, got ${delayMs}`);
    return this.add(callback, delayMs, null);
  }

  /** Runs `callback` every `intervalMs` of local time until cancelled. */
  every(intervalMs: number, callback: () => void): Cancel {
    assert(intervalMs > 0 && Number.isFinite(intervalMs), `interval must be positive, got ${intervalMs}`);
    return this.add(callback, intervalMs, intervalMs);
  }

  /** Number of live timers (one-shot timers that have not run, and intervals). */
  get timerCount(): number {
    return this.timers.size;
  }

  /** Whether the node is paused. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Freezes timers: they keep falling due but run only after {@link resume}. */
  pause(): void {
    assert(!this.stopped, "pause of a stopped clock");
    assert(!this.paused, "pause of a paused clock");
    this.paused = true;
  }

  /** Runs the timers that fell due during the pause, then lets the others run on time. */
  resume(): void {
    assert(this.paused, "resume of a clock that is not paused");
    this.paused = false;
    if (this.stopped) return;
    const overdue = this.overdue;
    this.overdue = [];
    // Each overdue timer runs in its own scheduler event, at the resume time, in due order.
    for (const timer of overdue) {
      if (this.timers.get(timer.id) === timer)
        timer.eventId = this.scheduler.after(0, () => this.fire(timer));
    }
  }

  /** Drops every timer for good (the node crashed or stopped); later `after`/`every` are ignored. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values())
      if (timer.eventId !== null) this.scheduler.cancel(timer.eventId);
    this.timers.clear();
    this.overdue = [];
    assert(this.timers.size === 0);
  }

  private add(callback: () => void, delayMs: number, intervalMs: number | null): Cancel {
    if (this.stopped) return () => {};
    assert(
      this.timers.size < simClockTimersMax,
      `more than ${simClockTimersMax} timers on one node: a leak?`,
    );
    this.timerSequence += 1;
    const timer: Timer = { id: this.timerSequence, callback, intervalMs, eventId: null };
    this.timers.set(timer.id, timer);
    this.arm(timer, delayMs);
    return () => this.cancel(timer);
  }

  private arm(timer: Timer, localDelayMs: number): void {
    timer.eventId = this.scheduler.after(localDelayMs / this.skew.rate, () => this.fire(timer));
  }

  private cancel(timer: Timer): void {
    if (this.timers.get(timer.id) !== timer) return;
    this.timers.delete(timer.id);
    if (timer.eventId !== null) this.scheduler.cancel(timer.eventId);
    timer.eventId = null;
  }

  private fire(timer: Timer): void {
    timer.eventId = null;
    if (this.stopped || this.timers.get(timer.id) !== timer) return;
    if (this.paused) {
      this.overdue.push(timer);
      return;
    }
    if (timer.intervalMs === null) this.timers.delete(timer.id);
    else this.arm(timer, timer.intervalMs); // Re-armed before the callback, so it may cancel itself.
    timer.callback();
  }
}
