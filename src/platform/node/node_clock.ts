// The real Clock: performance.now() for monotonic time (it never jumps with NTP), Date.now() for
// the wall clock, Node's timers for callbacks. Timers may be unref'd so that a member's own ticks
// never keep a process alive that has nothing else to do (tests, embedded members).

import { performance } from "node:perf_hooks";
import type { Cancel, Clock } from "../../env/clock.js";
import { assert } from "../../lib/assert.js";

/** Options of a {@link NodeClock}. */
export interface NodeClockOptions {
  /** Whether timers stop the process from exiting; false unrefs every timer. */
  readonly timersKeepAlive: boolean;
}

/** The production Clock. */
export class NodeClock implements Clock {
  constructor(private readonly options: NodeClockOptions = { timersKeepAlive: true }) {}

  /** Monotonic milliseconds (fractional) since the process started. */
  nowMs(): number {
    return performance.now();
  }

  /** Milliseconds since the Unix epoch on this host's wall clock. */
  wallMs(): number {
    return Date.now();
  }

  /**
   * Calls `callback` once after `delayMs`. A delay of 0 means "as soon as the event loop is free":
   * setImmediate, after pending I/O, rather than setTimeout's 1 ms floor, which would add a
   * millisecond to every hop of a request (the member's processSoon runs on it).
   */
  after(delayMs: number, callback: () => void): Cancel {
    assert(Number.isFinite(delayMs) && delayMs >= 0, `delayMs must be non-negative, got ${delayMs}`);
    if (delayMs === 0) {
      const immediate = setImmediate(callback);
      if (!this.options.timersKeepAlive) immediate.unref();
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(callback, delayMs);
    if (!this.options.timersKeepAlive) timer.unref();
    return () => clearTimeout(timer);
  }

  /** Calls `callback` every `intervalMs` until cancelled. */
  every(intervalMs: number, callback: () => void): Cancel {
    assert(Number.isFinite(intervalMs) && intervalMs > 0, `intervalMs must be positive, got ${intervalMs}`);
    const timer = setInterval(callback, intervalMs);
    if (!this.options.timersKeepAlive) timer.unref();
    return () => clearInterval(timer);
  }
}
