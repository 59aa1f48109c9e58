// Goal: the delta-replication core keeps the causal delta-merging condition and converges under
// any delivery. Method: replicas wired through an explicit message pool. A property test (fast-check)
// interleaves random ORSet/counter operations with random delivery, loss, duplication and
// reordering, then drains reliably: every replica must equal the oracle join of all deltas, and
// every ORSet context must be a plain version vector again (no dot cloud). Contexts may hold cloud
// dots on the way: replication is origin-only (replicator.ts), so a replica may see a peer's remove
// before a third replica's add it covers (test/replication/origin_only.test.ts). Focused tests show a non-causal interval refused and repaired by full
// state, a restarted replica under a new id, buffer overflow falling back to full state, and the
// clock-drift refusal.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Crdt,
  crdtEquals,
  GCounter,
  LWWRegister,
  MUTANTS_NONE,
  ORSet,
} from "../../src/protocol/crdt/index.js";
import type { DeltaMessage } from "../../src/protocol/replication/index.js";
import { replicaId } from "../../src/types.js";
import { TestCluster, testConfig, testWallMs } from "./replication_harness.js";

const numRuns = process.env["SHOAL_TIER"] === "extended" ? 20_000 : 1_000;

type Action =
  | { readonly type: "add" | "remove" | "increment"; readonly replica: number; readonly element: number }
  | { readonly type: "tick" }
  | { readonly type: "deliver" | "drop" | "duplicate"; readonly pick: number };

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    type: fc.constantFrom("add" as const, "remove" as const, "increment" as const),
    replica: fc.nat(2),
    element: fc.nat(4),
  }),
  fc.record({ type: fc.constant("tick" as const) }),
  fc.record({
    type: fc.constantFrom("deliver" as const, "drop" as const, "duplicate" as const),
    pick: fc.nat(50),
  }),
);

function oracleOf(deltas: readonly [string, Crdt][]): Map<string, Crdt> {
  const oracle = new Map<string, Crdt>();
  for (const [key, delta] of deltas) {
    const mine = oracle.get(key);
    if (mine === undefined) oracle.set(key, delta.clone());
    else mine.join(delta, MUTANTS_NONE);
  }
  return oracle;
}

describe("delta replication", () => {
  it("converges to the oracle under any delivery, with contexts compact once drained", () => {
    fc.assert(
      fc.property(fc.array(actionArbitrary, { maxLength: 80 }), fc.boolean(), (actions, smallBuffer) => {
        const cluster = new TestCluster(3, testConfig({ deltaBufferEntriesMax: smallBuffer ? 2 : 1_024 }));
        const deltas: [string, Crdt][] = [];
        for (const action of actions) {
          if (action.type === "tick") cluster.tick();
          else if ("pick" in action) {
            if (cluster.pool.length === 0) continue;
            const index = action.pick % cluster.pool.length;
            if (action.type === "drop") cluster.pool.splice(index, 1);
            else if (action.type === "duplicate") cluster.pool.push(cluster.pool[index]!);
            else cluster.deliver(index);
          } else {
            const replica = cluster.replicas[action.replica]!;
            const element = `e${action.element}`;
            const result =
              action.type === "increment"
                ? replica.mutate(
                    "hits",
                    () => new GCounter(),
                    (state) => state.incrementDelta(replica.self, 1),
                  )
                : replica.mutate(
                    "cart",
                    () => new ORSet(),
                    (state) =>
                      action.type === "add"
                        ? state.addDelta(replica.self, element)
                        : state.removeDelta(element),
                  );
            if (result.kind === "ok")
              deltas.push([action.type === "increment" ? "hits" : "cart", result.delta]);
          }
        }
        cluster.drain(50);
        for (const replica of cluster.replicas) {
          const cart = replica.store.get("cart");
          if (cart instanceof ORSet && cart.context.cloudDotCount !== 0) return false;
        }
        const oracle = oracleOf(deltas);
        return cluster.replicas.every((replica) =>
          ["hits", "cart"].every((key) => {
            const expected = oracle.get(key);
            const actual = replica.store.get(key);
            if (expected === undefined || expected.isBottom) return actual === undefined || actual.isBottom;
            return actual !== undefined && crdtEquals(expected, actual);
          }),
        );
      }),
      { numRuns },
    );
  });

  it("refuses an interval that starts beyond what the receiver holds, then repairs by full state", () => {
    const cluster = new TestCluster(2, testConfig({ deltaBufferEntriesMax: 1 }));
    const [a, b] = cluster.replicas as [
      NonNullable<(typeof cluster.replicas)[0]>,
      NonNullable<(typeof cluster.replicas)[1]>,
    ];
    a.mutate(
      "cart",
      () => new ORSet(),
      (state) => state.addDelta(a.self, "x"),
    );
    a.mutate(
      "cart",
      () => new ORSet(),
      (state) => state.addDelta(a.self, "y"),
    );
    a.tick();
    const [sent] = a.takeOutbox() as DeltaMessage[];
    expect(sent?.isFull).toBe(true); // The buffer holds one delta: a peer at 0 needs the full state.
    const forged: DeltaMessage = { ...sent!, isFull: false, fromSeq: 1 };
    b.step(forged, testWallMs);
    expect(b.stats.nonCausalRefused).toBe(1);
    expect(b.store.get("cart")).toBeUndefined();
    const [nack] = b.takeOutbox();
    expect(nack).toEqual({ type: "nack", from: b.self, to: a.self, seq: 0 });
    a.step(nack!, testWallMs);
    cluster.drain(10);
    expect((b.store.get("cart") as ORSet).elements()).toEqual(["x", "y"]);
    expect(crdtEquals(a.store.get("cart")!, b.store.get("cart")!)).toBe(true);
  });

  it("drops messages addressed to an earlier incarnation, and a new id starts from nothing", () => {
    const cluster = new TestCluster(2, testConfig());
    const [a, b] = cluster.replicas as [
      NonNullable<(typeof cluster.replicas)[0]>,
      NonNullable<(typeof cluster.replicas)[1]>,
    ];
    a.mutate(
      "hits",
      () => new GCounter(),
      (state) => state.incrementDelta(a.self, 3),
    );
    cluster.drain(10);
    const stale = { type: "ack" as const, from: a.self, to: "r9" as typeof b.self, seq: 5 };
    b.step(stale, testWallMs);
    expect(b.stats.misaddressed).toBe(1);
    expect((b.store.get("hits") as GCounter).value()).toBe(3);
  });

  it("refuses a write stamped beyond the drift bound and accepts it once time catches up", () => {
    const cluster = new TestCluster(2, testConfig());
    const [a, b] = cluster.replicas as [
      NonNullable<(typeof cluster.replicas)[0]>,
      NonNullable<(typeof cluster.replicas)[1]>,
    ];
    const future = { wallMs: testWallMs + 60_000, logical: 0 };
    a.mutate(
      "owner",
      () => new LWWRegister(),
      (state) => state.setDelta(a.self, "v", future),
    );
    a.tick();
    const [message] = a.takeOutbox();
    b.step(message!, testWallMs);
    expect(b.stats.driftRefused).toBe(1);
    expect(b.store.get("owner")).toBeUndefined();
    expect(b.takeOutbox()).toEqual([]); // No acknowledgement: the sender will retry.
    b.step(message!, testWallMs + 60_000);
    expect((b.store.get("owner") as LWWRegister).value()).toBe("v");
  });
});

describe("replica identity", () => {
  it("a replica that lost its state must take a new id: reusing the old one loses writes", () => {
    const b = new ORSet();
    const before = new ORSet();
    b.join(before.add(replicaId("n0.1"), "x"));
    // n0 crashes and loses its state. Coming back under the same id, it mints dot (n0.1, 1) again...
    const reused = new ORSet().addDelta(replicaId("n0.1"), "y");
    const withReusedId = b.clone();
    withReusedId.join(reused);
    // ...which b has seen already as the dot of "x": the join reads the new delta as removing "x"
    // and drops "y" as already seen. Both writes are gone.
    expect(withReusedId.elements()).toEqual([]);
    // Under a new id (what the workload and the replicator's peers do), the write survives.
    const fresh = new ORSet().addDelta(replicaId("n0.2"), "y");
    const withNewId = b.clone();
    withNewId.join(fresh);
    expect(withNewId.elements()).toEqual(["x", "y"]);
  });
});
