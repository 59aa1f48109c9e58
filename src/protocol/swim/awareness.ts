// Lifeguard's local health (memberlist awareness.go, Lifeguard §IV-A). A member that misses acks
// and nacks it should have received suspects itself first: its score rises, and its probe
// interval and probe timeout are multiplied by (score + 1), so a slow member slows its own probing
// instead of accusing healthy peers. Successful probes lower the score again.

import { assert } from "../../lib/assert.js";

/** A health score in [0, max − 1]; 0 is healthy. */
export class Awareness {
  private value = 0;

  /** Creates a score whose multiplier never exceeds `max` (1 turns local health off). */
  constructor(readonly max: number) {
    assert(Number.isSafeInteger(max) && max >= 1, "awareness max must be a positive integer");
  }

  /** The current score. */
  get score(): number {
    return this.value;
  }

  /** Adds `delta` (negative to improve), clamped to [0, max − 1]. */
  applyDelta(delta: number): void {
    assert(Number.isSafeInteger(delta), "awareness delta must be an integer");
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
    assert(this.value >= 0 && this.value < this.max, "awareness score out of range");
  }

  /** Scales a duration in ticks by (score + 1). */
  scaleTicks(ticks: number): number {
    assert(ticks >= 0, "ticks must be non-negative");
    return ticks * (this.value + 1);
  }
}
