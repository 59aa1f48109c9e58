// Goal: the production driver (runtime/swim_driver.ts, wire codec included) behaves on the
// simulator's Environment as the cores do in the workload: eight members join, a crashed member is
// declared dead by all within the configured bound, a paused member (SIGSTOP-like: timers and inbox
// frozen) comes back alive, a restarted member rejoins above its old incarnation, garbage frames are
// counted and dropped, and one seed replays to the same trace. Method: SimCluster with one
// SwimDriver per node, virtual time only.

import { describe, expect, it } from "vitest";
import {
  failureDetectionBoundTicks,
  type MembershipEvent,
  swimConfigLan,
} from "../../src/protocol/swim/index.js";
import { SwimDriver } from "../../src/runtime/swim_driver.js";
import { SimCluster } from "../../src/sim/cluster.js";
import { Trace } from "../../src/sim/trace.js";
import { address, nodeId } from "../../src/types.js";

const config = swimConfigLan(50);
const names = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"];

interface Seen {
  readonly timeMs: number;
  readonly observer: string;
  readonly event: MembershipEvent;
}

function buildCluster(seed: number): { cluster: SimCluster<SwimDriver>; seen: Seen[] } {
  const cluster = new SimCluster<SwimDriver>({ seed, trace: new Trace() });
  const seen: Seen[] = [];
  for (const name of names) {
    cluster.addNode(name, (environment) => {
      const driver = new SwimDriver({
        environment,
        id: nodeId(name),
        config,
        seeds: name === "n0" ? [] : [address("n0")],
        incarnation: 0,
        metadata: new Uint8Array([name.charCodeAt(1)]),
        onEvent: (event) => seen.push({ timeMs: cluster.scheduler.nowMs, observer: name, event }),
        inboundFramesMax: 1_024,
        frameBytesMax: 65_507,
      });
      driver.start();
      return driver;
    });
  }
  return { cluster, seen };
}

function allSeeAlive(cluster: SimCluster<SwimDriver>, members: readonly string[]): boolean {
  return members.every((observer) =>
    members.every(
      (subject) =>
        subject === observer || cluster.process(observer).core.memberView(nodeId(subject))?.state === "alive",
    ),
  );
}

describe("swim driver on the simulated Environment", () => {
  it("joins, detects a crash within the bound, survives a pause, rejoins after restart, drops garbage", () => {
    const { cluster, seen } = buildCluster(11);
    expect(cluster.scheduler.runUntilCondition(() => allSeeAlive(cluster, names), 30_000)).toBe(true);

    cluster.network.send("n1", "n2", new Uint8Array([1, 2, 3, 4, 5]));
    cluster.network.send("n1", "n2", new Uint8Array([1, 3, 0, 0xc1]));
    cluster.scheduler.runFor(1_000);
    expect(cluster.process("n2").stats.framesInvalid).toBe(2);

    const crashedMs = cluster.scheduler.nowMs;
    cluster.crash("n7");
    const survivors = names.slice(0, 7);
    const boundMs = failureDetectionBoundTicks(config, names.length) * config.tickMs;
    const isDeadEverywhere = () =>
      survivors.every(
        (observer) => cluster.process(observer).core.memberView(nodeId("n7"))?.state === "dead",
      );
    expect(cluster.scheduler.runUntilCondition(isDeadEverywhere, crashedMs + boundMs)).toBe(true);
    const deaths = seen.filter((item) => item.event.kind === "dead");
    expect(deaths.every((item) => item.event.member === "n7")).toBe(true);

    // A pause shorter than the suspicion minimum: suspected perhaps, never declared dead.
    cluster.pause("n3", 2_000);
    cluster.scheduler.runFor(30_000);
    expect(seen.some((item) => item.event.kind === "dead" && item.event.member === "n3")).toBe(false);
    expect(allSeeAlive(cluster, survivors)).toBe(true);

    cluster.restart("n7");
    expect(
      cluster.scheduler.runUntilCondition(
        () => allSeeAlive(cluster, names),
        cluster.scheduler.nowMs + 60_000,
      ),
    ).toBe(true);
    const rejoin = seen.filter(
      (item) => item.event.kind === "joined" && item.event.member === "n7" && item.timeMs > crashedMs,
    );
    expect(rejoin.length).toBe(survivors.length);
    expect(rejoin.every((item) => item.event.incarnation >= 1)).toBe(true);
    expect(cluster.process("n7").core.incarnation).toBeGreaterThanOrEqual(1);
    for (const name of names) cluster.process(name).core.invariants();
  });

  it("replays one seed to the same trace", () => {
    const digests = [5, 5, 6].map((seed) => {
      const { cluster } = buildCluster(seed);
      cluster.scheduler.runFor(20_000);
      cluster.crash("n4");
      cluster.scheduler.runFor(20_000);
      return cluster.trace.digest();
    });
    expect(digests[1]).toBe(digests[0]);
    expect(digests[2]).not.toBe(digests[0]);
  });
});
