// Lifeguard's dynamic suspicion timeout (memberlist suspicion.go, Lifeguard §IV-B). A suspicion
// starts at the maximum timeout and shrinks towards the minimum as independent members confirm
// it: after n of k needed confirmations the timeout is
//
//   max − (max − min) · log(n + 1) / log(k + 1),
//
// so the first confirmations count most. With k = 0 (small clusters, or dynamic suspicion off)
// the timeout is the minimum from the start. Time is in ticks.

import { assert } from "../../lib/assert.js";
import type { NodeId } from "../../types.js";

/** One member's suspicion of another: when it started, and who confirmed it. */
export class Suspicion {
  private readonly confirmers: NodeId[] = [];
  private timeoutTicks: number;

  /**
   * Starts a suspicion raised by `from` at `startTick`. `confirmationsNeeded` is k; min and max
   * bound the timeout in ticks.
   */
  constructor(
    readonly from: NodeId,
    readonly startTick: number,
    readonly confirmationsNeeded: number,
    readonly minTicks: number,
    readonly maxTicks: number,
  ) {
    assert(confirmationsNeeded >= 0, "confirmationsNeeded must be non-negative");
    assert(minTicks >= 1, "the suspicion minimum must be at least one tick");
    assert(minTicks <= maxTicks, "the suspicion minimum must not exceed the maximum");
    this.timeoutTicks = confirmationsNeeded < 1 ? minTicks : maxTicks;
  }

  /** Number of independent confirmations counted so far. */
  get confirmationCount(): number {
    return this.confirmers.length;
  }

  /** The current timeout, from the start, in ticks. */
  get currentTimeoutTicks(): number {
    return this.timeoutTicks;
  }

  /**
   * Counts a confirmation by `from`. Returns true if it was new and independent (not the
   * originator, not a repeat, and fewer than k so far), which shortens the timeout.
   */
  confirm(from: NodeId): boolean {
    if (this.confirmers.length >= this.confirmationsNeeded) return false;
    if (from === this.from || this.confirmers.includes(from)) return false;
    this.confirmers.push(from);
    const before = this.timeoutTicks;
    this.timeoutTicks = suspicionTimeoutTicks(
      this.confirmers.length,
      this.confirmationsNeeded,
      this.minTicks,
      this.maxTicks,
    );
    assert(this.timeoutTicks <= before, "a confirmation never lengthens a suspicion");
    return true;
  }

  /** Whether the suspicion has run out at `nowTicks`. */
  isExpired(nowTicks: number): boolean {
    assert(nowTicks >= this.startTick, "time went backwards");
    return nowTicks - this.startTick >= this.timeoutTicks;
  }
}

/** Returns the timeout after `confirmations` of `needed`, between min and max ticks. */
export function suspicionTimeoutTicks(
  confirmations: number,
  needed: number,
  minTicks: number,
  maxTicks: number,
): number {
  assert(confirmations >= 0 && confirmations <= Math.max(needed, 0), "confirmations out of range");
  if (needed < 1) return minTicks;
  const fraction = Math.log(confirmations + 1) / Math.log(needed + 1);
  const raw = Math.floor(maxTicks - fraction * (maxTicks - minTicks));
  return Math.max(minTicks, raw);
}
