// Reconnection delays: exponential backoff with jitter. The jitter (a uniform draw in the upper half
// of the window) keeps a restarted member from being hit by every peer at the same instant.

import { assert } from "../lib/assert.js";
import type { Prng } from "../lib/prng.js";

/** The bounds of a {@link Backoff}. */
export interface BackoffConfig {
  /** Delay before the first retry. */
  readonly delayMsMin: number;
  /** Largest delay, however many attempts failed. */
  readonly delayMsMax: number;
}

/** Counts failed attempts and returns the delay before the next one. */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly config: BackoffConfig,
    private readonly prng: Prng,
  ) {
    assert(config.delayMsMin > 0);
    assert(config.delayMsMax >= config.delayMsMin);
  }

  /** Failed attempts since the last success. */
  get attemptCount(): number {
    return this.attempts;
  }

  /** Records a failure and returns the delay before retrying, in [ceiling/2, ceiling]. */
  failure(): number {
    // The exponent is capped so the power never overflows, whatever the attempt count.
    const exponent = Math.min(this.attempts, 30);
    this.attempts += 1;
    const ceiling = Math.min(this.config.delayMsMax, this.config.delayMsMin * 2 ** exponent);
    const delayMs = ceiling / 2 + this.prng.next() * (ceiling / 2);
    assert(delayMs >= 0 && delayMs <= this.config.delayMsMax);
    return delayMs;
  }

  /** Records a success: the next failure starts again from the minimum. */
  success(): void {
    this.attempts = 0;
  }
}
