// Goal: the in-place write path equals the join it replaces, and intervals after a skipped one are
// not refused. Method: fast-check draws reachable GCounter/PNCounter states (increments at several
// replicas, merged) and an increment: mutating a copy in place must give join(state, delta) byte
// for byte and return the delta the δ-mutator returns. Two Replicators, one driven by
// mutateInPlace and one by mutate (copy + join) on the same random writes, must hold equal states
// and send equal intervals. A replica that received deltas only from a peer sends it nothing (it
// forwards nothing: origin-only); its next interval to that peer (after its own write) must be
// joined, not refused with a nack and a full state.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { crdtEquals, encodeCrdt, GCounter, PNCounter } from "../../src/protocol/crdt/index.js";
import { type DeltaMessage, Replicator } from "../../src/protocol/replication/index.js";
import { type ReplicaId, replicaId } from "../../src/types.js";
import { TestCluster, testConfig, testWallMs } from "./replication_harness.js";

const numRuns = process.env["SHOAL_TIER"] === "extended" ? 10_000 : 500;
const replicas = [replicaId("a"), replicaId("b"), replicaId("c")] as const;
const replica = fc.constantFrom(...replicas);
const ops = fc.array(fc.tuple(replica, fc.integer({ min: -50, max: 50 })), { maxLength: 12 });

/** A reachable PNCounter: each replica applies its ops in its own copy; the copies are merged. */
function reachable(list: readonly (readonly [ReplicaId, number])[]): PNCounter {
  const copies = new Map<ReplicaId, PNCounter>();
  for (const [r, amount] of list) {
    const copy = copies.get(r) ?? new PNCounter();
    copy.join(copy.addDelta(r, amount));
    copies.set(r, copy);
  }
  const state = new PNCounter();
  for (const copy of copies.values()) state.join(copy);
  return state;
}

describe("in-place counter mutators equal join(state, delta)", () => {
  it("PNCounter.add: the state becomes state ⊔ addDelta, and the delta returned is addDelta", () => {
    fc.assert(
      fc.property(ops, replica, fc.integer({ min: -1_000, max: 1_000 }), (list, r, amount) => {
        const state = reachable(list);
        const expectedDelta = state.addDelta(r, amount);
        const expected = state.clone();
        expected.join(expectedDelta);
        const inPlace = state.clone();
        const delta = inPlace.add(r, amount);
        expect(crdtEquals(inPlace, expected)).toBe(true);
        expect(crdtEquals(delta, expectedDelta)).toBe(true);
        expect(inPlace.value()).toBe(state.value() + amount);
      }),
      { numRuns },
    );
  });

  it("GCounter.increment: the state becomes state ⊔ incrementDelta", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(replica, fc.nat(40)), { maxLength: 10 }),
        replica,
        fc.nat(1_000),
        (list, r, n) => {
          const state = new GCounter();
          for (const [at, amount] of list) state.join(state.incrementDelta(at, amount));
          const expected = state.clone();
          const expectedDelta = state.incrementDelta(r, n);
          expected.join(expectedDelta);
          const inPlace = state.clone();
          expect(crdtEquals(inPlace.increment(r, n), expectedDelta)).toBe(true);
          expect(crdtEquals(inPlace, expected)).toBe(true);
        },
      ),
      { numRuns },
    );
  });

  it("Replicator.mutateInPlace holds and sends what mutate does", () => {
    // Non-zero: an add of 0 changes nothing (apApply answers it as a read), and mutateInPlace,
    // unlike mutate, does not compare states to find that out.
    const amount = fc.integer({ min: -9, max: 9 }).filter((n) => n !== 0);
    const write = fc.tuple(fc.constantFrom("k1", "k2", "k3"), amount);
    fc.assert(
      fc.property(fc.array(fc.array(write, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), (rounds) => {
        const config = testConfig();
        const fast = new Replicator(replicaId("a"), config, Prng.derive(1, "a"));
        const slow = new Replicator(replicaId("a"), config, Prng.derive(1, "a"));
        for (const r of [fast, slow]) r.setPeers([replicaId("b")]);
        for (const round of rounds) {
          for (const [key, amount] of round) {
            const a = fast.mutateInPlace(
              key,
              "pncounter",
              () => new PNCounter(),
              (s) => s.add(fast.self, amount),
            );
            const b = slow.mutate(
              key,
              () => new PNCounter(),
              (s) => s.addDelta(slow.self, amount),
            );
            expect(a.kind).toBe("ok");
            expect(b.kind).toBe("ok");
          }
          fast.tick();
          slow.tick();
          expect(fast.takeOutbox()).toStrictEqual(slow.takeOutbox());
        }
        for (const key of ["k1", "k2", "k3"]) {
          const [x, y] = [fast.store.get(key), slow.store.get(key)];
          expect(x === undefined ? null : encodeCrdt(x)).toStrictEqual(
            y === undefined ? null : encodeCrdt(y),
          );
        }
        fast.invariants();
      }),
      { numRuns: Math.ceil(numRuns / 5) },
    );
  });

  it("refuses a write of another type at the key, and keeps no state for a new key left bottom", () => {
    const r = new Replicator(replicaId("a"), testConfig(), Prng.derive(1, "a"));
    r.mutateInPlace(
      "c",
      "pncounter",
      () => new PNCounter(),
      (s) => s.add(r.self, 2),
    );
    const wrong = r.mutateInPlace(
      "c",
      "gcounter",
      () => new GCounter(),
      (s) => s.increment(r.self, 1),
    );
    expect(wrong).toStrictEqual({ kind: "wrong-type", actual: "pncounter" });
    expect(r.stats.wrongType).toBe(1);
    // A mutator that leaves a new key bottom (here: returns a bottom delta) stores nothing.
    const none = r.mutateInPlace(
      "empty",
      "gcounter",
      () => new GCounter(),
      () => new GCounter(),
    );
    expect(none.kind).toBe("ok");
    expect(r.store.get("empty")).toBeUndefined();
    expect(r.bufferedCount).toBe(1);
  });
});

describe("intervals after rounds with nothing of the sender's own", () => {
  it("are joined by the peer, not refused: no nack, no full state", () => {
    const cluster = new TestCluster(3, testConfig({ retransmitTicks: 100 }));
    const [a, b] = cluster.replicas as [Replicator, Replicator, Replicator];
    for (let round = 0; round < 6; round++) {
      // Only a writes for three rounds: b receives a's deltas and sends a nothing but acks.
      if (round < 3)
        a.mutateInPlace(
          "x",
          "pncounter",
          () => new PNCounter(),
          (s) => s.add(a.self, 1),
        );
      else
        b.mutateInPlace(
          "y",
          "pncounter",
          () => new PNCounter(),
          (s) => s.add(b.self, 1),
        );
      cluster.tick();
      while (cluster.pool.length > 0) cluster.deliver(0);
    }
    for (const r of cluster.replicas) {
      expect(r.stats.nonCausalRefused).toBe(0);
      expect(r.stats.fullStatesSent).toBe(0);
      expect((r.store.get("x") as PNCounter).value()).toBe(3);
      expect((r.store.get("y") as PNCounter).value()).toBe(3);
    }
    // b's intervals count only its own deltas: the one after its write starts where a's record is.
    b.mutateInPlace(
      "y",
      "pncounter",
      () => new PNCounter(),
      (s) => s.add(b.self, 1),
    );
    b.tick();
    const toA = b.takeOutbox().find((m): m is DeltaMessage => m.type === "delta" && m.to === a.self);
    expect(toA).toBeDefined();
    a.step(toA!, testWallMs);
    expect(a.stats.nonCausalRefused).toBe(0);
  });
});
