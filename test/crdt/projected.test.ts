// Goal: the projected write path of counters (Replicator.mutateProjected) is a correct delta
// path. A projection on replica r holds every delta r applied and is held by the state
// (δ ⊑ projection(r) ⊑ X), and addInPlace leaves the state add leaves; replicas written through
// mutateProjected converge to the oracle sum under loss, duplication and reordering, and a key
// written many times between two gossip rounds is buffered and sent once. Method: fast-check over
// reachable counter states (law), and three Replicators wired through the explicit message pool of
// replication_harness.ts driven by random writes and random delivery, then drained.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crdtEquals, GCounter, PNCounter } from "../../src/protocol/crdt/index.js";
import type { DeltaMessage, Replicator } from "../../src/protocol/replication/index.js";
import { type ReplicaId, replicaId } from "../../src/types.js";
import { TestCluster, testConfig } from "./replication_harness.js";

const numRuns = process.env["SHOAL_TIER"] === "extended" ? 5_000 : 300;
const replicas = [replicaId("r0"), replicaId("r1"), replicaId("r2")] as const;
const replica = fc.constantFrom(...replicas);

/** Whether `low ⊑ high`: joining low into a copy of high changes nothing. */
function below(low: PNCounter | GCounter, high: PNCounter | GCounter): boolean {
  return !high.clone().join(low);
}

function addProjected(r: Replicator, key: string, amount: number): void {
  const result = r.mutateProjected(
    key,
    "pncounter",
    () => new PNCounter(),
    (state, self, n: number) => {
      state.addInPlace(self, n);
      return true;
    },
    amount,
  );
  expect(result.kind).toBe("ok");
}

function valueAt(r: Replicator, key: string): number {
  const state = r.store.get(key);
  return state instanceof PNCounter ? state.value() : 0;
}

describe("counter projections", () => {
  it("every delta a replica applied is ⊑ its projection ⊑ the state; addInPlace equals add", () => {
    const writes = fc.array(fc.tuple(replica, fc.integer({ min: -30, max: 30 })), { maxLength: 16 });
    fc.assert(
      fc.property(writes, replica, (list, r) => {
        // Each replica writes in its own copy; the copies are merged at the end (a reachable state).
        const copies = new Map<ReplicaId, PNCounter>();
        const deltas: [ReplicaId, PNCounter][] = [];
        for (const [at, amount] of list) {
          const copy = copies.get(at) ?? new PNCounter();
          const inPlace = copy.clone();
          deltas.push([at, copy.add(at, amount)]);
          inPlace.addInPlace(at, amount);
          expect(crdtEquals(inPlace, copy)).toBe(true);
          copies.set(at, copy);
        }
        const state = new PNCounter();
        for (const copy of copies.values()) state.join(copy);
        const projection = state.projection(r);
        expect(below(projection, state)).toBe(true);
        for (const [at, delta] of deltas) if (at === r) expect(below(delta, projection)).toBe(true);
        // The projections of all replicas join back to the state.
        const rejoined = new PNCounter();
        for (const other of replicas) rejoined.join(state.projection(other));
        expect(crdtEquals(rejoined, state)).toBe(true);
      }),
      { numRuns },
    );
  });

  it("GCounter: incrementInPlace equals increment, and the projection holds its deltas", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(replica, fc.nat(40)), { maxLength: 12 }), replica, (list, r) => {
        const state = new GCounter();
        const copy = new GCounter();
        const deltas: GCounter[] = [];
        for (const [at, n] of list) {
          const delta = state.increment(at, n);
          copy.incrementInPlace(at, n);
          if (at === r) deltas.push(delta);
        }
        expect(crdtEquals(state, copy)).toBe(true);
        const projection = state.projection(r);
        expect(below(projection, state)).toBe(true);
        for (const delta of deltas) expect(below(delta, projection)).toBe(true);
      }),
      { numRuns },
    );
  });
});

type Step =
  | { readonly type: "add"; readonly replica: number; readonly key: number; readonly amount: number }
  | { readonly type: "tick" }
  | { readonly type: "deliver" | "drop" | "duplicate"; readonly pick: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    type: fc.constant("add" as const),
    replica: fc.nat(2),
    key: fc.nat(2),
    amount: fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0),
  }),
  fc.record({ type: fc.constant("tick" as const) }),
  fc.record({
    type: fc.constantFrom("deliver" as const, "drop" as const, "duplicate" as const),
    pick: fc.nat(50),
  }),
);

describe("Replicator.mutateProjected", () => {
  it("converges to the oracle sums under loss, duplication and reordering", () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { maxLength: 80 }), fc.boolean(), (steps, smallBuffer) => {
        const cluster = new TestCluster(3, testConfig({ deltaBufferEntriesMax: smallBuffer ? 2 : 1_024 }));
        const sums = [0, 0, 0];
        for (const step of steps) {
          if (step.type === "tick") cluster.tick();
          else if (step.type === "add") {
            addProjected(cluster.replicas[step.replica]!, `k${step.key}`, step.amount);
            sums[step.key]! += step.amount;
          } else if (cluster.pool.length > 0) {
            const index = step.pick % cluster.pool.length;
            if (step.type === "drop") cluster.pool.splice(index, 1);
            else if (step.type === "duplicate") cluster.pool.push(cluster.pool[index]!);
            else cluster.deliver(index);
          }
        }
        cluster.drain(50);
        for (const r of cluster.replicas) {
          r.invariants();
          for (let k = 0; k < 3; k++) expect(valueAt(r, `k${k}`)).toBe(sums[k]);
        }
      }),
      { numRuns },
    );
  });

  it("buffers and sends a key written many times between two rounds once", () => {
    const cluster = new TestCluster(3, testConfig());
    const [a, b, c] = cluster.replicas as [Replicator, Replicator, Replicator];
    for (let i = 0; i < 100; i++) addProjected(a, "hot", i % 2 === 0 ? 3 : -1);
    addProjected(a, "cold", 1);
    expect(a.bufferedCount).toBe(2);
    a.tick();
    const deltas = a.takeOutbox().filter((m): m is DeltaMessage => m.type === "delta");
    expect(deltas.map((m) => [m.to, m.fromSeq, m.toSeq, m.entries.length])).toEqual([
      [b.self, 0, 2, 2],
      [c.self, 0, 2, 2],
    ]);
    cluster.pool.push(...deltas);
    cluster.drain(10);
    for (const r of [a, b, c]) expect([valueAt(r, "hot"), valueAt(r, "cold")]).toEqual([100, 1]);
    // After the round, the next write takes a new entry (the old one was sealed and sent).
    const held = a.bufferedCount;
    addProjected(a, "hot", 1);
    addProjected(a, "hot", 1);
    expect(a.bufferedCount).toBe(held + 1);
  });

  it("refuses another type at the key, and keeps no state for a new key left unchanged", () => {
    const cluster = new TestCluster(2, testConfig());
    const [a] = cluster.replicas as [Replicator, Replicator];
    a.mutate(
      "g",
      () => new GCounter(),
      (s) => s.incrementDelta(a.self, 1),
    );
    const wrong = a.mutateProjected(
      "g",
      "pncounter",
      () => new PNCounter(),
      () => true,
      0,
    );
    expect(wrong).toStrictEqual({ kind: "wrong-type", actual: "gcounter" });
    const unchanged = a.mutateProjected(
      "none",
      "pncounter",
      () => new PNCounter(),
      () => false,
      0,
    );
    expect(unchanged.kind === "ok" && !unchanged.changed).toBe(true);
    expect(a.store.get("none")).toBeUndefined();
    expect(a.bufferedCount).toBe(1);
  });
});
