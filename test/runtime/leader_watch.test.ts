// Goal: LeaderWatch turns the transport's peer-down signal into a prompt campaign by exactly the
// groups that follow the member at that address, does no protocol work in the transport's callback
// (only at drain, from the tick), ignores addresses of no member and peers that lead no group here,
// and works on the real TcpTransport (a closed peer's connection reaches drain on the other side)
// and on the simulator's SimTransport (a crash tells the peers that can hear it, a paused peer on
// resume). Method: real RaftNodes made followers by stepping a heartbeat from their leader; a fake
// transport whose peer-down handler the test calls; two TcpTransports on 127.0.0.1, one closed to
// play a killed leader, polled under a deadline; SimTransports in virtual time.

import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/env/logger.js";
import type { Transport } from "../../src/env/transport.js";
import { Prng } from "../../src/lib/prng.js";
import type { TcpTransport } from "../../src/platform/node/tcp_transport.js";
import { MemoryStorage, RaftNode, raftConfigDefault } from "../../src/protocol/raft/index.js";
import { linkFaultsNone, SimNetwork } from "../../src/sim/network.js";
import { SimScheduler } from "../../src/sim/scheduler.js";
import { SimTransport, simTransportPeerDownDelayMs } from "../../src/sim/sim_transport.js";
import { Trace } from "../../src/sim/trace.js";
import {
  LeaderWatch,
  type LeaderWatchHost,
  leaderWatchAttach,
  leaderWatchPendingMax,
} from "../../src/runtime/leader_watch.js";
import type { Member } from "../../src/runtime/member.js";
import type { Address, GroupId, NodeId, Term } from "../../src/types.js";
import { startTransport, waitFor } from "../platform/transport_harness.js";

// A Member is a LeaderWatchHost as it is, so the member wires the watch with `leaderWatchAttach(this)`.
const memberIsHost: Member extends LeaderWatchHost ? true : false = true;

const self = "1" as NodeId;

/** A voter of {1,2,3} that follows `leader` in term 1 (it stepped one heartbeat from it). */
function followerOf(leader: string, seed: number): RaftNode {
  const config = { ...raftConfigDefault(self), electionTimeoutTicks: 10, heartbeatIntervalTicks: 2 };
  const node = new RaftNode(
    config,
    MemoryStorage.bootstrap(["1", "2", "3"] as NodeId[]),
    Prng.derive(seed, "raft"),
  );
  node.step({
    type: "heartbeat",
    from: leader as NodeId,
    to: self,
    term: 1 as Term,
    commit: 0 as never,
    context: 1,
  });
  expect(node.status().leader).toBe(leader);
  return node;
}

interface FakeTransport extends Transport {
  down: ((peer: Address) => void) | null;
}

function fakeTransport(withPeerDown: boolean): FakeTransport {
  const transport: FakeTransport = {
    localAddress: "127.0.0.1:1" as Address,
    down: null,
    send: () => "queued",
    onFrame: () => {},
    close: () => {},
  };
  if (withPeerDown) transport.onPeerDown = (handler) => (transport.down = handler);
  return transport;
}

function hostOf(transport: Transport, groups: Map<GroupId, RaftNode>, addresses: Record<string, string>) {
  const host: LeaderWatchHost = {
    environment: { transport },
    groups: new Map([...groups].map(([group, node]) => [group, { node }])),
    cluster: {
      members: Object.entries(addresses).map(([nodeId, address]) => ({ nodeId: nodeId as NodeId, address })),
    },
    logger: silentLogger,
  };
  return host;
}

/** Ticks `node` until it leaves the follower role; returns the ticks taken (or `limit` + 1). */
function ticksToCampaign(node: RaftNode, limit: number): number {
  for (let tick = 1; tick <= limit; tick++) {
    node.tick();
    if (node.status().role !== "follower") return tick;
  }
  return limit + 1;
}

describe("LeaderWatch", () => {
  it("hastens exactly the groups led by the lost member, at drain and not before", () => {
    expect(memberIsHost).toBe(true);
    const groups = new Map<GroupId, RaftNode>([
      [0 as GroupId, followerOf("2", 1)],
      [1 as GroupId, followerOf("3", 2)],
      [2 as GroupId, followerOf("2", 3)],
    ]);
    const transport = fakeTransport(true);
    const watch = leaderWatchAttach(
      hostOf(transport, groups, { "1": "127.0.0.1:1", "2": "127.0.0.1:2", "3": "127.0.0.1:3" }),
    );
    expect(watch).not.toBeNull();
    transport.down!("127.0.0.1:2" as Address);
    transport.down!("127.0.0.1:2" as Address);
    // The callback only records: every group still follows its leader.
    expect([...groups.values()].map((node) => node.status().leader)).toEqual(["2", "3", "2"]);
    expect(watch!.drain()).toBe(2);
    expect(watch!.stats).toMatchObject({ signals: 2, signalsUnknown: 0, groupsHastened: 2 });
    expect([...groups.values()].map((node) => node.status().leader)).toEqual([null, "3", null]);
    // The two hastened groups campaign within 3 ticks; the third waits a whole election timeout.
    expect(ticksToCampaign(groups.get(0 as GroupId)!, 20)).toBeLessThanOrEqual(3);
    expect(ticksToCampaign(groups.get(2 as GroupId)!, 20)).toBeLessThanOrEqual(3);
    expect(ticksToCampaign(groups.get(1 as GroupId)!, 20)).toBeGreaterThanOrEqual(10);
    expect(watch!.drain()).toBe(0);
  });

  it("ignores addresses of no member, and members that lead no group here", () => {
    const groups = new Map<GroupId, RaftNode>([[0 as GroupId, followerOf("2", 4)]]);
    const watch = new LeaderWatch(
      hostOf(fakeTransport(true), groups, { "2": "127.0.0.1:2", "3": "127.0.0.1:3" }),
    );
    watch.peerDown("127.0.0.1:9" as Address);
    watch.peerDown("127.0.0.1:3" as Address);
    expect(watch.drain()).toBe(0);
    expect(watch.stats).toMatchObject({ signals: 2, signalsUnknown: 1, groupsHastened: 0 });
    expect(groups.get(0 as GroupId)!.status().leader).toBe("2");
  });

  it("holds at most leaderWatchPendingMax distinct addresses between two drains", () => {
    const watch = new LeaderWatch(hostOf(fakeTransport(true), new Map(), {}));
    for (let port = 1; port <= leaderWatchPendingMax + 5; port++)
      watch.peerDown(`127.0.0.1:${port}` as Address);
    watch.peerDown("127.0.0.1:1" as Address);
    expect(watch.stats.signalsDropped).toBe(5);
    watch.drain();
    expect(watch.stats.signalsUnknown).toBe(leaderWatchPendingMax);
  });

  it("is not installed on a transport without a peer-down signal", () => {
    expect(leaderWatchAttach(hostOf(fakeTransport(false), new Map(), {}))).toBeNull();
  });
});

describe("LeaderWatch on TcpTransport", () => {
  const open: TcpTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((transport) => transport.closeAndWait()));
  });

  it("hastens a follower soon after its leader's transport closes", async () => {
    const follower = await startTransport();
    const leader = await startTransport();
    open.push(follower, leader);
    const node = followerOf("2", 5);
    const watch = leaderWatchAttach(
      hostOf(follower, new Map([[1 as GroupId, node]]), {
        "1": follower.localAddress,
        "2": leader.localAddress,
      }),
    )!;
    const received: Uint8Array[] = [];
    follower.onFrame((_from, frame) => received.push(frame));
    expect(leader.send(follower.localAddress, Uint8Array.of(7))).toBe("queued");
    await waitFor(() => received.length === 1, 5_000, "the leader's first frame");
    expect(watch.drain()).toBe(0);
    await leader.closeAndWait();
    await waitFor(() => watch.stats.signals > 0, 5_000, "the peer-down signal");
    expect(watch.drain()).toBe(1);
    expect(node.status().leader).toBeNull();
    expect(ticksToCampaign(node, 20)).toBeLessThanOrEqual(3);
  });
});

describe("LeaderWatch on SimTransport", () => {
  function simNetwork() {
    const scheduler = new SimScheduler();
    const network = new SimNetwork<Uint8Array>(scheduler, Prng.fromSeed(1), new Trace(), {
      faults: linkFaultsNone(),
      describe: (frame) => `${frame.byteLength}B`,
    });
    return { scheduler, network };
  }

  it("tells the peers of a closed transport after the delay, not across a partition, on resume if paused", () => {
    const { scheduler, network } = simNetwork();
    const [a, b, c, d] = ["1", "2", "3", "4"].map((name) => new SimTransport(network, scheduler, name)) as [
      SimTransport,
      SimTransport,
      SimTransport,
      SimTransport,
    ];
    const seen = new Map<string, string[]>();
    for (const transport of [a, b, c]) {
      const list: string[] = [];
      seen.set(transport.node, list);
      transport.onPeerDown((peer) => list.push(peer));
    }
    network.partition([["1", "2", "3"], ["4"]]);
    c.pause();
    d.close();
    b.close();
    scheduler.runFor(simTransportPeerDownDelayMs - 0.5);
    expect(seen.get("1")).toEqual([]);
    scheduler.runFor(1);
    // 4 was partitioned away: its reset never reached anyone. 3 is paused: it hears 2 on resume.
    expect(seen.get("1")).toEqual([b.localAddress]);
    expect(seen.get("3")).toEqual([]);
    c.resume();
    scheduler.runFor(1);
    expect(seen.get("3")).toEqual([b.localAddress]);
    expect(seen.get("2")).toEqual([]);
  });

  it("hastens a follower whose leader's node crashed", () => {
    const { scheduler, network } = simNetwork();
    const follower = new SimTransport(network, scheduler, "1");
    const leader = new SimTransport(network, scheduler, "2");
    const node = followerOf("2", 6);
    const watch = leaderWatchAttach(
      hostOf(follower, new Map([[1 as GroupId, node]]), {
        "1": follower.localAddress,
        "2": leader.localAddress,
      }),
    )!;
    leader.close();
    scheduler.runFor(simTransportPeerDownDelayMs);
    expect(watch.drain()).toBe(1);
    expect(ticksToCampaign(node, 20)).toBeLessThanOrEqual(3);
  });
});
