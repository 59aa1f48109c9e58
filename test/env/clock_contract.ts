// The Clock contract suite: what every env Clock must do, whichever world drives it. A world
// supplies the clock and a way to let time pass (real waiting for NodeClock, bounded by a
// deadline; running the scheduler for a simulated clock).

import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/env/clock.js";

/** A clock plus the means to let its time pass. */
export interface ClockWorld {
  readonly clock: Clock;
  /** Lets time pass until `condition` holds; false if `deadlineMs` passed first. */
  waitUntil(condition: () => boolean, deadlineMs: number): Promise<boolean>;
  /** Lets `durationMs` pass. */
  elapse(durationMs: number): Promise<void>;
  dispose(): void;
}

/** Registers the contract's tests for the implementation `name`. */
export function clockContract(name: string, makeWorld: () => ClockWorld): void {
  describe(`Clock contract: ${name}`, () => {
    const withWorld = (body: (world: ClockWorld) => Promise<void>) => async () => {
      const world = makeWorld();
      try {
        await body(world);
      } finally {
        world.dispose();
      }
    };

    it(
      "nowMs never goes back and advances as time passes; wallMs is epoch milliseconds",
      withWorld(async ({ clock, elapse }) => {
        let previous = clock.nowMs();
        for (let i = 0; i < 1_000; i++) {
          const now = clock.nowMs();
          expect(now).toBeGreaterThanOrEqual(previous);
          previous = now;
        }
        await elapse(20);
        expect(clock.nowMs() - previous).toBeGreaterThanOrEqual(19);
        expect(clock.wallMs()).toBeGreaterThan(Date.UTC(2020, 0, 1));
      }),
    );

    it(
      "after() fires once, not before its delay, and in delay order",
      withWorld(async ({ clock, waitUntil, elapse }) => {
        const fired: Array<{ name: string; atMs: number }> = [];
        const startMs = clock.nowMs();
        clock.after(30, () => fired.push({ name: "late", atMs: clock.nowMs() }));
        clock.after(10, () => fired.push({ name: "early", atMs: clock.nowMs() }));
        expect(await waitUntil(() => fired.length === 2, 2_000)).toBe(true);
        expect(fired.map((event) => event.name)).toEqual(["early", "late"]);
        expect(fired[0]!.atMs - startMs).toBeGreaterThanOrEqual(9);
        expect(fired[1]!.atMs - startMs).toBeGreaterThanOrEqual(29);
        await elapse(40);
        expect(fired).toHaveLength(2);
      }),
    );

    it(
      "a cancelled timer never fires, and cancelling twice is harmless",
      withWorld(async ({ clock, waitUntil, elapse }) => {
        let cancelledFired = false;
        let witnessFired = false;
        const cancel = clock.after(5, () => {
          cancelledFired = true;
        });
        clock.after(25, () => {
          witnessFired = true;
        });
        cancel();
        cancel();
        expect(await waitUntil(() => witnessFired, 2_000)).toBe(true);
        await elapse(10);
        expect(cancelledFired).toBe(false);
      }),
    );

    it(
      "every() repeats until cancelled",
      withWorld(async ({ clock, waitUntil, elapse }) => {
        let count = 0;
        const cancel = clock.every(5, () => {
          count += 1;
        });
        expect(await waitUntil(() => count >= 3, 2_000)).toBe(true);
        cancel();
        const final = count;
        await elapse(30);
        expect(count).toBe(final);
      }),
    );

    it(
      "runs callbacks one at a time, never inside another",
      withWorld(async ({ clock, waitUntil }) => {
        const trace: string[] = [];
        clock.after(1, () => {
          trace.push("outer start");
          clock.after(0, () => trace.push("inner"));
          trace.push("outer end");
        });
        expect(await waitUntil(() => trace.length === 3, 2_000)).toBe(true);
        expect(trace).toEqual(["outer start", "outer end", "inner"]);
      }),
    );
  });
}
