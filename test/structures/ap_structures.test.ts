// Goal: counters and sets over Replicators answer as a sequential PN-counter / OR-set at one
// replica, and replicas converge to the union of every acknowledged update once messages flow.
// Method: fast-check drives random adds/removes at random replicas of an in-memory cluster
// (test/crdt/replication_harness.ts), compares each replica's local answers with a per-replica
// model, then drains the message pool and checks every replica reads the same merged state.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Operation } from "../../src/protocol/client/operations.js";
import { apApply, apRead } from "../../src/structures/index.js";
import { TestCluster, testConfig, testWallMs } from "../crdt/replication_harness.js";

const counterGet: Operation = { structure: "counter", op: "get", name: "views" };
const setValues: Operation = { structure: "set", op: "values", name: "online" };

type Step =
  | { replica: number; kind: "inc"; delta: number }
  | { replica: number; kind: "add" | "remove"; element: string };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    replica: fc.nat(2),
    kind: fc.constant("inc" as const),
    delta: fc.integer({ min: -5, max: 5 }),
  }),
  fc.record({
    replica: fc.nat(2),
    kind: fc.constantFrom("add" as const, "remove" as const),
    element: fc.constantFrom("a", "b", "c"),
  }),
);

describe("AP structures", () => {
  it("counter and set converge to every acknowledged update", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.integer({ min: 1, max: 1_000 }), (steps, seed) => {
        const cluster = new TestCluster(3, testConfig(), seed);
        let total = 0;
        const local = [new Set<string>(), new Set<string>(), new Set<string>()];
        const localTotals = [0, 0, 0];
        for (const step of steps) {
          const replica = cluster.replicas[step.replica]!;
          if (step.kind === "inc") {
            const result = apApply(
              replica,
              { structure: "counter", op: "add", name: "views", delta: step.delta },
              testWallMs,
            );
            total += step.delta;
            localTotals[step.replica]! += step.delta;
            // With no messages delivered, a replica sees exactly its own increments.
            expect(result).toEqual({ kind: "ok", result: localTotals[step.replica] });
          } else {
            const operation: Operation = {
              structure: "set",
              op: step.kind,
              name: "online",
              element: step.element,
            };
            expect(apApply(replica, operation, testWallMs)).toEqual({ kind: "ok", result: null });
            if (step.kind === "add") local[step.replica]!.add(step.element);
            else local[step.replica]!.delete(step.element);
            expect(apRead(replica, setValues)).toEqual({
              kind: "ok",
              result: [...local[step.replica]!].sort(),
            });
          }
        }
        for (let round = 0; round < 10; round++) {
          cluster.tick();
          while (cluster.pool.length > 0) cluster.deliver(0);
        }
        const expectedElements = [...new Set(local.flatMap((s) => [...s]))].sort();
        for (const replica of cluster.replicas) {
          expect(apRead(replica, counterGet)).toEqual({ kind: "ok", result: total });
          // Each replica only removed what it had itself observed, and never saw the others' adds, so
          // the merged set is the union of the local views (add wins over unseen removes).
          expect(apRead(replica, setValues)).toEqual({ kind: "ok", result: expectedElements });
        }
      }),
      { numRuns: 150 },
    );
  });

  it("refuses overflow, a key of the wrong type, and CP operations", () => {
    const cluster = new TestCluster(1, testConfig());
    const replica = cluster.replicas[0]!;
    const add = (delta: number): Operation => ({ structure: "counter", op: "add", name: "c", delta });
    expect(apApply(replica, add(Number.MAX_SAFE_INTEGER), testWallMs).kind).toBe("ok");
    expect(apApply(replica, add(1), testWallMs).kind).toBe("refused");
    expect(apRead(replica, { structure: "counter", op: "get", name: "c" })).toEqual({
      kind: "ok",
      result: Number.MAX_SAFE_INTEGER,
    });
    expect(apApply(replica, { structure: "map", op: "get", name: "m", key: "k" }, testWallMs).kind).toBe(
      "refused",
    );
    expect(apRead(replica, { structure: "lock", op: "status", name: "l" }).kind).toBe("refused");
    expect(apRead(replica, { structure: "set", op: "values", name: "never" })).toEqual({
      kind: "ok",
      result: [],
    });
    expect(apRead(replica, { structure: "counter", op: "get", name: "never" })).toEqual({
      kind: "ok",
      result: 0,
    });
  });
});
