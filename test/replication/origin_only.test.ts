// Goal: origin-only delta propagation (protocol/replication/replicator.ts). A replica sends only
// the deltas it made; one it received from a peer is joined, acknowledged and never forwarded, so
// with three replicas a local write is decoded and joined once at each other replica (transitive
// forwarding made it twice). Skipping the forward is safe: an OR-set remove that reaches a replica
// before the adds it covers is kept in the dot cloud and wins when the adds come. What forwarding
// used to repair, a delta that reached one replica before its origin crashed or was cut off, is
// repaired by a digest exchange that starts at once when the peer set loses a member or the driver
// reports a peer lost, and otherwise by the periodic anti-entropy, within a bounded number of
// ticks. Method: replicas wired through the explicit message pool of test/crdt/replication_harness.ts
// (the test decides which messages are delivered or dropped), and three ApServices
// (test/support/ap_trio.ts) through the real wire codec for the driver's peerLost.

import { describe, expect, it } from "vitest";
import { GCounter, ORSet } from "../../src/protocol/crdt/index.js";
import type { Operation } from "../../src/protocol/client/index.js";
import type { ReplicationMessage, Replicator } from "../../src/protocol/replication/index.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import type { ReplicaId, PartitionId } from "../../src/types.js";
import { TestCluster, testConfig } from "../crdt/replication_harness.js";
import { apTrio, trioNames } from "../support/ap_trio.js";

function trio(config = testConfig()): [Replicator, Replicator, Replicator, TestCluster] {
  const cluster = new TestCluster(3, config);
  const [a, b, c] = cluster.replicas;
  return [a!, b!, c!, cluster];
}

function increment(replica: Replicator, amount = 1): void {
  replica.mutate(
    "hits",
    () => new GCounter(),
    (state) => state.incrementDelta(replica.self, amount),
  );
}

function hits(replica: Replicator): number {
  const state = replica.store.get("hits");
  return state instanceof GCounter ? state.value() : 0;
}

function cart(replica: Replicator): ORSet {
  const state = replica.store.get("cart");
  return state instanceof ORSet ? state : new ORSet();
}

/**
 * One round: every replica ticks, then the pool is delivered until empty, except messages for
 * which `dropped` holds (lost, as on a cut link). Returns how many messages were delivered.
 */
function round(cluster: TestCluster, dropped: (message: ReplicationMessage) => boolean): number {
  cluster.tick();
  let delivered = 0;
  while (cluster.pool.length > 0) {
    if (dropped(cluster.pool[0]!)) cluster.pool.shift();
    else {
      cluster.deliver(0);
      delivered += 1;
    }
  }
  return delivered;
}

/** Rounds until `done` holds; the rounds it took, or Infinity past `roundsMax`. */
function roundsUntil(
  cluster: TestCluster,
  roundsMax: number,
  dropped: (message: ReplicationMessage) => boolean,
  done: () => boolean,
): number {
  for (let rounds = 0; rounds <= roundsMax; rounds++) {
    if (done()) return rounds;
    round(cluster, dropped);
  }
  return Number.POSITIVE_INFINITY;
}

const touches = (replica: ReplicaId) => (message: ReplicationMessage) =>
  message.from === replica || message.to === replica;

describe("origin-only propagation", () => {
  it("a local write is decoded and joined once at each other replica, and never forwarded", () => {
    const [a, b, c, cluster] = trio();
    increment(a, 5);
    cluster.drain(10);
    expect([hits(a), hits(b), hits(c)]).toEqual([5, 5, 5]);
    expect([a.stats.entriesDecoded, b.stats.entriesDecoded, c.stats.entriesDecoded]).toEqual([0, 1, 1]);
    // b and c sent only acks; nothing they received went on to the third replica.
    expect(b.bufferedCount + c.bufferedCount).toBe(0);
    // Many writes over many rounds: each delivered interval is decoded once per receiving replica.
    for (let i = 0; i < 50; i++) {
      increment(a);
      increment(b, 2);
      round(cluster, () => false);
    }
    cluster.drain(10);
    expect([hits(a), hits(b), hits(c)]).toEqual([155, 155, 155]);
    // 50 rounds, each with one one-key interval from a to b and c and one from b to a and c.
    expect(a.stats.entriesDecoded + b.stats.entriesDecoded + c.stats.entriesDecoded).toBe(2 + 4 * 50);
  });

  it("an OR-set remove that arrives before the adds it covers still wins", () => {
    const [a, b, c, cluster] = trio();
    a.mutate(
      "cart",
      () => new ORSet(),
      (s) => s.addDelta(a.self, "x"),
    );
    a.mutate(
      "cart",
      () => new ORSet(),
      (s) => s.addDelta(a.self, "y"),
    );
    // a's interval reaches b only; c's copy is held back.
    a.tick();
    const sent = a.takeOutbox();
    const held = sent.filter((m) => m.to === c.self);
    expect(held).toHaveLength(1);
    cluster.pool.push(...sent.filter((m) => m.to !== c.self));
    while (cluster.pool.length > 0) cluster.deliver(0);
    expect(cart(b).elements()).toEqual(["x", "y"]);
    // b removes y (its context names a's second dot) and that reaches c before a's adds.
    b.mutate(
      "cart",
      () => new ORSet(),
      (s) => s.removeDelta("y"),
    );
    round(cluster, (m) => m.from === a.self && m.to === c.self);
    expect(cart(c).elements()).toEqual([]);
    expect(cart(c).context.cloudDotCount).toBe(1); // a's second dot, beyond the gap of its first.
    // The held adds arrive: x appears, y stays removed, and the cloud folds into the vector.
    cluster.pool.push(...held);
    cluster.drain(10);
    for (const replica of [a, b, c]) {
      expect(cart(replica).elements()).toEqual(["x"]);
      expect(cart(replica).context.cloudDotCount).toBe(0);
    }
  });

  it("repairs at once a delta that reached one replica before its origin left the peer set", () => {
    // Periodic anti-entropy far away: only the exchange the peer-set change starts can repair.
    const [a, b, c, cluster] = trio(testConfig({ antiEntropyIntervalTicks: 10_000 }));
    increment(a, 3);
    round(cluster, (m) => m.to === c.self); // a's interval reaches b only; then a crashes.
    expect([hits(b), hits(c)]).toEqual([3, 0]);
    cluster.replicas.splice(0, 1);
    b.setPeers([c.self]);
    c.setPeers([b.self]);
    expect(b.stats.exchangesStarted + c.stats.exchangesStarted).toBe(2);
    const rounds = roundsUntil(
      cluster,
      3,
      () => false,
      () => hits(c) === 3,
    );
    expect(rounds).toBeLessThanOrEqual(1);
  });

  it("repairs at once a delta lost to one replica when the driver reports its origin lost", () => {
    const [a, b, c, cluster] = trio(testConfig({ antiEntropyIntervalTicks: 10_000 }));
    increment(a, 4);
    // a is cut off from c (both ways) for the rest of the test; a stays in everyone's peer set.
    const cut = (m: ReplicationMessage) =>
      (m.from === a.self && m.to === c.self) || (m.from === c.self && m.to === a.self);
    round(cluster, cut);
    expect([hits(b), hits(c)]).toEqual([4, 0]);
    // Without a report, nothing repairs c within 20 rounds (a's retransmissions to c are lost).
    expect(roundsUntil(cluster, 20, cut, () => hits(c) === 4)).toBe(Number.POSITIVE_INFINITY);
    c.peerLost(a.self);
    b.peerLost(a.self);
    expect(roundsUntil(cluster, 3, cut, () => hits(c) === 4)).toBeLessThanOrEqual(1);
  });

  it("repairs a delta lost to one replica within an anti-entropy interval when nothing is reported", () => {
    const interval = 10;
    const [a, b, c, cluster] = trio(testConfig({ antiEntropyIntervalTicks: interval }));
    increment(a, 2);
    const cut = touches(a.self);
    // a's interval reaches b; then a is cut off from everyone, for good.
    round(cluster, (m) => m.to === c.self);
    expect([hits(b), hits(c)]).toEqual([2, 0]);
    // A digest exchange goes to a random peer each interval: b↔c within a few intervals.
    const rounds = roundsUntil(cluster, 6 * interval, cut, () => hits(c) === 2);
    expect(rounds).toBeLessThanOrEqual(6 * interval);
  });
});

describe("ApService.peerLost", () => {
  it("starts the repair in every partition the lost member replicates", () => {
    const codec = new WireCodec({ frameBytesMax: 1 << 20 });
    const partitions = 4;
    const { services, wire } = apTrio(codec, partitions, 21);
    const [n1, n2, n3] = trioNames.map((name) => services.get(name)!) as [
      NonNullable<ReturnType<typeof services.get>>,
      NonNullable<ReturnType<typeof services.get>>,
      NonNullable<ReturnType<typeof services.get>>,
    ];
    const add: Operation = { structure: "counter", op: "add", name: "c", delta: 6 };
    const get: Operation = { structure: "counter", op: "get", name: "c" };
    const valueAt = (service: typeof n1, partition: number): unknown => {
      const result = service.operation(partition as PartitionId, get, true);
      return result.kind === "ok" ? result.result : null;
    };
    const deliver = (dropTo: string | null): void => {
      for (const sent of wire.splice(0)) {
        if (sent.to === dropTo || sent.from === dropTo) continue;
        const decoded = codec.decode(sent.body);
        if (decoded.kind !== "ok") throw new Error("undecodable frame");
        expect(services.get(sent.to)!.stepBatch(decoded.message.payload)).toBe(0);
      }
    };
    for (let p = 0; p < partitions; p++) n1.operation(p as PartitionId, add, false);
    n1.tick();
    // n1's batch reaches n2; the one to n3 is lost, and n1 is gone from here on.
    for (const sent of wire.splice(0)) {
      if (sent.to !== trioNames[1]) continue;
      const decoded = codec.decode(sent.body);
      if (decoded.kind === "ok") n2.stepBatch(decoded.message.payload);
    }
    for (let p = 0; p < partitions; p++) expect([valueAt(n2, p), valueAt(n3, p)]).toEqual([6, 0]);
    n2.peerLost(trioNames[0]);
    n3.peerLost(trioNames[0]);
    // A digest exchange of depth-2 trees: two digest hops, leaf states, and the reply.
    for (let tick = 0; tick < 5; tick++) {
      n2.tick();
      n3.tick();
      deliver(trioNames[0]);
    }
    for (let p = 0; p < partitions; p++) expect(valueAt(n3, p)).toBe(6);
  });
});
