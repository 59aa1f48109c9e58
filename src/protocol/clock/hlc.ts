// Hybrid logical clocks (Kulkarni, Demirbas, Madappa, Avva, Leone: "Logical Physical Clocks and
// Consistent Snapshots in Globally Distributed Databases", 2014). A timestamp is (wallMs, logical):
// the largest physical time seen so far plus a counter that orders events within one millisecond.
// Timestamps respect causality (a receive is stamped above the send) and stay within the drift
// bound of physical time. A remote timestamp further ahead of our physical clock than
// `driftMsMax` is refused, so one member with a runaway clock cannot drag every clock forward.
// Pure: physical time comes in as an argument.

import { assert } from "../../lib/assert.js";

/** A hybrid logical timestamp. Ordered by wallMs, then logical. */
export interface HlcTimestamp {
  /** The physical component: milliseconds since the epoch, never behind any timestamp seen. */
  readonly wallMs: number;
  /** Orders events that share `wallMs`. */
  readonly logical: number;
}

/** Configuration of a {@link Hlc}. */
export interface HlcConfig {
  /** How far a remote timestamp may be ahead of local physical time before it is refused. */
  readonly driftMsMax: number;
  /** Upper bound of the logical counter; reaching it means physical time has stalled for too long. */
  readonly logicalMax: number;
}

/** Returns the default configuration: 500 ms of drift, 2^31 logical ticks. */
export function hlcConfigDefault(): HlcConfig {
  return { driftMsMax: 500, logicalMax: 0x7fff_ffff };
}

/** The outcome of observing a remote timestamp. */
export type HlcObserveResult =
  | { readonly kind: "ok"; readonly timestamp: HlcTimestamp }
  | { readonly kind: "drift"; readonly driftMs: number; readonly driftMsMax: number };

/** Compares two timestamps: negative, zero or positive. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  return a.wallMs - b.wallMs || a.logical - b.logical;
}

/** The zero timestamp, below every real one. */
export const HLC_ZERO: HlcTimestamp = { wallMs: 0, logical: 0 };

/** A hybrid logical clock. One per replica; not shared between replicas. */
export class Hlc {
  private last: HlcTimestamp = HLC_ZERO;

  constructor(private readonly config: HlcConfig) {
    assert(config.driftMsMax >= 0, "driftMsMax must be non-negative");
    assert(config.logicalMax > 0, "logicalMax must be positive");
  }

  /** The latest timestamp issued or observed. */
  get current(): HlcTimestamp {
    return this.last;
  }

  /** Stamps a local event (a write or a send) at physical time `physicalMs`. */
  now(physicalMs: number): HlcTimestamp {
    assert(
      Number.isSafeInteger(physicalMs) && physicalMs >= 0,
      "physical time must be a non-negative integer",
    );
    const wallMs = Math.max(this.last.wallMs, physicalMs);
    const logical = wallMs === this.last.wallMs ? this.last.logical + 1 : 0;
    return this.advance({ wallMs, logical });
  }

  /**
   * Observes a timestamp from another replica (a receive). Refuses it, leaving the clock
   * untouched, if it is more than `driftMsMax` ahead of `physicalMs`.
   */
  observe(remote: HlcTimestamp, physicalMs: number): HlcObserveResult {
    assert(
      Number.isSafeInteger(physicalMs) && physicalMs >= 0,
      "physical time must be a non-negative integer",
    );
    const driftMs = remote.wallMs - physicalMs;
    if (driftMs > this.config.driftMsMax) {
      return { kind: "drift", driftMs, driftMsMax: this.config.driftMsMax };
    }
    const wallMs = Math.max(this.last.wallMs, remote.wallMs, physicalMs);
    let logical = 0;
    if (wallMs === this.last.wallMs && wallMs === remote.wallMs) {
      logical = Math.max(this.last.logical, remote.logical) + 1;
    } else if (wallMs === this.last.wallMs) logical = this.last.logical + 1;
    else if (wallMs === remote.wallMs) logical = remote.logical + 1;
    return { kind: "ok", timestamp: this.advance({ wallMs, logical }) };
  }

  /** Checks a timestamp against the drift bound without observing it. */
  isWithinDrift(remote: HlcTimestamp, physicalMs: number): boolean {
    return remote.wallMs - physicalMs <= this.config.driftMsMax;
  }

  private advance(next: HlcTimestamp): HlcTimestamp {
    assert(compareHlc(next, this.last) > 0, "hybrid logical clock must move forward");
    assert(next.logical <= this.config.logicalMax, "logical counter overflow: physical time stalled");
    this.last = next;
    return next;
  }
}

/** Returns the text form `wallMs.logical` used in logs and traces. */
export function describeHlc(timestamp: HlcTimestamp): string {
  return `${timestamp.wallMs}.${timestamp.logical}`;
}
