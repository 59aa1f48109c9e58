// Goal: delta gossip does not resend what is in flight. When acknowledgements lag, each round
// sends only the deltas buffered since the last interval (as Raft pipelines appends), so every
// delta travels once; a lost interval makes the next one non-causal at the receiver, which nacks,
// and the sender restarts from what it holds; with nothing heard, the retransmit timer restarts
// from the acknowledgement. Method: two replicas wired by hand (tests/crdt/replication_harness.ts),
// a retransmit timer of 5 ticks, acks withheld or intervals dropped on purpose.

import { describe, expect, it } from "vitest";
import { GCounter } from "../../src/protocol/crdt/index.js";
import type { DeltaMessage, Replicator } from "../../src/protocol/replication/index.js";
import { TestCluster, testConfig, testWallMs } from "./replication_harness.js";

function pair(): [Replicator, Replicator, TestCluster] {
  const cluster = new TestCluster(2, testConfig({ retransmitTicks: 5 }));
  const [a, b] = cluster.replicas;
  return [a!, b!, cluster];
}

function increment(replica: Replicator): void {
  replica.mutate(
    "hits",
    () => new GCounter(),
    (state) => state.incrementDelta(replica.self, 1),
  );
}

/** One gossip round of `a`: its delta messages (acks to it are never delivered). */
function round(a: Replicator): DeltaMessage[] {
  a.tick();
  return a.takeOutbox().filter((m): m is DeltaMessage => m.type === "delta");
}

describe("delta gossip pipelining", () => {
  it("sends each delta once while acknowledgements lag, and the receiver joins them all", () => {
    const [a, b] = pair();
    const intervals: [number, number][] = [];
    for (let i = 0; i < 4; i++) {
      increment(a);
      for (const message of round(a)) {
        intervals.push([message.fromSeq, message.toSeq]);
        b.step(message, testWallMs);
      }
      b.takeOutbox(); // The acks are lost: a never hears them.
    }
    expect(intervals).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    expect((b.store.get("hits") as GCounter).value()).toBe(4);
    // Nothing new: nothing is sent until the retransmit timer restarts from the acknowledgement.
    expect(round(a)).toEqual([]);
    let resent: DeltaMessage[] = [];
    for (let i = 0; i < 5 && resent.length === 0; i++) resent = round(a);
    expect(resent.map((m) => [m.fromSeq, m.toSeq])).toEqual([[0, 4]]);
  });

  it("restarts from what the receiver holds when an interval was lost", () => {
    const [a, b, cluster] = pair();
    increment(a);
    const lost = round(a);
    expect(lost.map((m) => [m.fromSeq, m.toSeq])).toEqual([[0, 1]]);
    increment(a);
    const [next] = round(a);
    expect([next!.fromSeq, next!.toSeq]).toEqual([1, 2]);
    b.step(next!, testWallMs);
    expect(b.stats.nonCausalRefused).toBe(1);
    const [nack] = b.takeOutbox();
    expect(nack).toEqual({ type: "nack", from: b.self, to: a.self, seq: 0 });
    a.step(nack!, testWallMs);
    const [again] = round(a);
    expect([again!.fromSeq, again!.toSeq]).toEqual([0, 2]);
    b.step(again!, testWallMs);
    cluster.drain(10);
    expect((b.store.get("hits") as GCounter).value()).toBe(2);
  });
});
