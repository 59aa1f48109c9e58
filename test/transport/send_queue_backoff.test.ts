// Goal: the per-peer SendQueue holds to both of its limits and hands frames out oldest first in
// byte-budgeted batches; Backoff doubles its ceiling from the minimum up to the maximum, draws in
// the upper half of the window, and starts over after a success. Method: direct unit tests, with
// fast-check over random enqueue/dequeue sequences against a plain array model.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { Backoff } from "../../src/transport/backoff.js";
import { SendQueue } from "../../src/transport/send_queue.js";

describe("SendQueue", () => {
  it("refuses at the frame limit and at the byte limit, and never changes on a refusal", () => {
    const queue = new SendQueue({ framesMax: 2, bytesMax: 10 });
    expect(queue.enqueue(new Uint8Array(4))).toBe("queued");
    expect(queue.enqueue(new Uint8Array(7))).toBe("full"); // 11 bytes
    expect(queue.enqueue(new Uint8Array(6))).toBe("queued");
    expect(queue.enqueue(new Uint8Array(1))).toBe("full"); // 3 frames
    expect([queue.frameCount, queue.byteCount]).toEqual([2, 10]);
  });

  it("dequeues whole frames within a byte budget, but always at least one", () => {
    const queue = new SendQueue({ framesMax: 10, bytesMax: 100 });
    for (const size of [30, 30, 30]) queue.enqueue(new Uint8Array(size));
    expect(queue.dequeue(50).map((frame) => frame.byteLength)).toEqual([30]);
    expect(queue.dequeue(10).map((frame) => frame.byteLength)).toEqual([30]);
    expect(queue.dequeue(1_000).map((frame) => frame.byteLength)).toEqual([30]);
    expect(queue.byteCount).toBe(0);
  });

  it("behaves like a bounded FIFO under any sequence of operations", () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant("enqueue" as const), bytes: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant("dequeue" as const), budget: fc.integer({ min: 1, max: 120 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const queue = new SendQueue({ framesMax: 8, bytesMax: 100 });
        const model: Uint8Array[] = [];
        let next = 0;
        for (const step of operations) {
          if (step.kind === "enqueue") {
            const frame = new Uint8Array(step.bytes).fill(next++ % 256);
            const fits =
              model.length < 8 && model.reduce((sum, f) => sum + f.byteLength, 0) + step.bytes <= 100;
            expect(queue.enqueue(frame)).toBe(fits ? "queued" : "full");
            if (fits) model.push(frame);
          } else {
            const batch = queue.dequeue(step.budget);
            let taken = 0;
            let bytes = 0;
            while (taken < model.length && (taken === 0 || bytes + model[taken]!.byteLength <= step.budget)) {
              bytes += model[taken]!.byteLength;
              taken += 1;
            }
            expect(batch).toEqual(model.splice(0, taken));
          }
          expect(queue.frameCount).toBe(model.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("Backoff", () => {
  it("doubles its ceiling up to the maximum, drawing in the upper half, and resets on success", () => {
    const backoff = new Backoff({ delayMsMin: 10, delayMsMax: 1_000 }, Prng.fromSeed(3));
    const ceilings = [10, 20, 40, 80, 160, 320, 640, 1_000, 1_000, 1_000];
    for (const ceiling of ceilings) {
      const delayMs = backoff.failure();
      expect(delayMs).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delayMs).toBeLessThanOrEqual(ceiling);
    }
    expect(backoff.attemptCount).toBe(ceilings.length);
    backoff.success();
    expect(backoff.failure()).toBeLessThanOrEqual(10);
  });

  it("spreads the delays of peers that failed together (jitter)", () => {
    const delays = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const backoff = new Backoff({ delayMsMin: 100, delayMsMax: 5_000 }, Prng.fromSeed(seed));
      for (let i = 0; i < 4; i++) backoff.failure();
      delays.add(Math.round(backoff.failure()));
    }
    expect(delays.size).toBeGreaterThan(15);
  });

  it("never overflows however many attempts fail", () => {
    const backoff = new Backoff({ delayMsMin: 1, delayMsMax: 60_000 }, Prng.fromSeed(9));
    for (let i = 0; i < 10_000; i++) expect(backoff.failure()).toBeLessThanOrEqual(60_000);
  });
});
