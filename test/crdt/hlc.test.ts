// Goal: the hybrid logical clock orders events causally, stays close to physical time, and refuses
// a timestamp from too far in the future with a typed outcome that the boundary maps to
// ClockDriftError. Method: focused cases plus a fast-check property over random sequences of local
// events and receives at three clocks with skewed physical time.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClockDriftError, ErrorCode } from "../../src/errors.js";
import { compareHlc, Hlc, type HlcTimestamp, timestampOrThrow } from "../../src/protocol/clock/index.js";

const config = { driftMsMax: 500, logicalMax: 1_000_000 };

describe("hybrid logical clock", () => {
  it("orders local events within one millisecond by the logical counter", () => {
    const clock = new Hlc(config);
    const first = clock.now(1_000);
    const second = clock.now(1_000);
    const third = clock.now(999); // Physical time went back: the clock does not.
    expect([first, second, third]).toEqual([
      { wallMs: 1_000, logical: 0 },
      { wallMs: 1_000, logical: 1 },
      { wallMs: 1_000, logical: 2 },
    ]);
    expect(clock.now(1_001)).toEqual({ wallMs: 1_001, logical: 0 });
  });

  it("stamps a receive above the send, even when the receiver's physical clock is behind", () => {
    const sender = new Hlc(config);
    const receiver = new Hlc(config);
    const sent = sender.now(5_300);
    const received = receiver.observe(sent, 5_000);
    expect(received).toEqual({ kind: "ok", timestamp: { wallMs: 5_300, logical: 1 } });
    expect(compareHlc(receiver.now(5_001), sent)).toBeGreaterThan(0);
  });

  it("refuses a timestamp beyond the drift bound, leaves the clock alone, and maps to ClockDriftError", () => {
    const clock = new Hlc(config);
    clock.now(10_000);
    const result = clock.observe({ wallMs: 10_501, logical: 0 }, 10_000);
    expect(result).toEqual({ kind: "drift", driftMs: 501, driftMsMax: 500 });
    expect(clock.current).toEqual({ wallMs: 10_000, logical: 0 });
    expect(() => timestampOrThrow(result)).toThrow(ClockDriftError);
    try {
      timestampOrThrow(result);
    } catch (error) {
      expect((error as ClockDriftError).code).toBe(ErrorCode.ClockDrift);
      expect((error as ClockDriftError).driftMs).toBe(501);
    }
    expect(clock.observe({ wallMs: 10_500, logical: 7 }, 10_000).kind).toBe("ok");
  });

  it("keeps causality and bounded skew over random exchanges between three clocks", () => {
    const step = fc.record({
      clock: fc.nat(2),
      from: fc.nat(2),
      advanceMs: fc.integer({ min: 0, max: 30 }),
      isReceive: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 100 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 3, maxLength: 3 }),
        (steps, offsets) => {
          const clocks = [0, 1, 2].map(() => new Hlc(config));
          const last: HlcTimestamp[] = clocks.map(() => ({ wallMs: 0, logical: 0 }));
          let realMs = 1_000;
          for (const { clock, from, advanceMs, isReceive } of steps) {
            realMs += advanceMs;
            const physical = realMs + offsets[clock]!;
            const before = clocks[clock]!.current;
            let stamp: HlcTimestamp;
            if (isReceive) {
              const result = clocks[clock]!.observe(last[from]!, physical);
              if (result.kind !== "ok") return false; // Offsets stay within the bound: never refused.
              stamp = result.timestamp;
              if (compareHlc(stamp, last[from]!) <= 0) return false;
            } else stamp = clocks[clock]!.now(physical);
            if (compareHlc(stamp, before) <= 0) return false;
            // The physical part never runs ahead of the fastest physical clock.
            if (stamp.wallMs > realMs + Math.max(...offsets)) return false;
            last[clock] = stamp;
          }
          return true;
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
