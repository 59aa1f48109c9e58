// Goal: CountedHistogram, the hot-path request histogram, exposes exactly what prom-client's own
// Histogram exposes for the same observations (name, labels, cumulative buckets with le, _sum,
// _count), so swapping it in changed no scrape. Method: fast-check draws observations over a few
// label pairs, including values on a bucket bound and past the last one; each side gets its own
// registry and the two Prometheus texts must be equal; reset empties it.

import fc from "fast-check";
import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CountedHistogram } from "../../src/admin/counted_histogram.js";

const buckets = [0.0001, 0.001, 0.01, 0.1, 1, 10];
const config = {
  name: "t_duration_seconds",
  help: "test",
  labelNames: ["kind", "outcome"] as const,
  buckets,
};

const observation = fc.record({
  kind: fc.constantFrom("write", "read", "routing"),
  outcome: fc.constantFrom("ok", "error", "timeout"),
  value: fc.oneof(fc.constantFrom(...buckets, 0, 25), fc.double({ min: 0, max: 20, noNaN: true })),
});

describe("CountedHistogram", () => {
  it("exposes the same text as prom-client's Histogram for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const theirs = new Registry();
        const ours = new Registry();
        for (const registry of [theirs, ours]) registry.setDefaultLabels({ node: "n1" });
        const reference = new Histogram({
          ...config,
          labelNames: [...config.labelNames],
          registers: [theirs],
        });
        const counted = new CountedHistogram({ ...config, registers: [ours] });
        for (const { kind, outcome, value } of observations) {
          reference.observe({ kind, outcome }, value);
          counted.record(kind, outcome, value);
        }
        const sorted = (text: string): string[] => text.split("\n").sort();
        expect(sorted(await ours.metrics())).toEqual(sorted(await theirs.metrics()));
      }),
      { numRuns: 100 },
    );
  });

  it("forgets every series on reset", async () => {
    const registry = new Registry();
    const counted = new CountedHistogram({ ...config, registers: [registry] });
    counted.record("write", "ok", 0.002);
    expect(await registry.metrics()).toContain('t_duration_seconds_count{kind="write",outcome="ok"} 1');
    counted.reset();
    expect(await registry.metrics()).not.toContain("t_duration_seconds_count");
  });
});
