// Goal: the two ways a leader tells followers that the commit index moved (RaftConfig
// commitBroadcast). Eager (etcd's bcastAppend): at once, an empty append to each follower that
// lacks no entry. Lazy (what members run): no message of its own; the commit index reaches a
// follower on the next append with entries or the next heartbeat, and nothing else changes: the
// leader commits as soon as a quorum holds the entry, and every member ends with the same applied
// prefix. Method: three RaftNodes in one process with MemoryStorage, persisted synchronously.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { type Message, MemoryStorage, RaftNode, raftConfigDefault } from "../../src/protocol/raft/index.js";
import type { NodeId } from "../../src/types.js";

const ids = ["1", "2", "3"] as NodeId[];
const encoder = new TextEncoder();

interface Node {
  readonly raft: RaftNode;
  readonly storage: MemoryStorage;
  readonly applied: number[];
}

function cluster(mode: "eager" | "lazy", seed: number): Map<NodeId, Node> {
  const nodes = new Map<NodeId, Node>();
  for (const id of ids) {
    const storage = MemoryStorage.bootstrap(ids);
    const config = {
      ...raftConfigDefault(id),
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 2,
      commitBroadcast: mode,
    };
    nodes.set(id, {
      raft: new RaftNode(config, storage, Prng.derive(seed, `raft/${id}`)),
      storage,
      applied: [],
    });
  }
  return nodes;
}

/** One synchronous Ready of `node` (persist, apply, advance); returns every message it sends. */
function round(node: Node): Message[] {
  const messages = node.raft.takeMessages();
  if (!node.raft.hasReady()) return messages;
  const ready = node.raft.ready();
  node.storage.append(ready.entries);
  if (ready.hardState !== null) node.storage.setHardState(ready.hardState);
  for (const entry of ready.committedEntries) node.applied.push(entry.index);
  node.raft.advance(ready);
  return [...messages, ...ready.messages, ...node.raft.takeMessages()];
}

/** Runs rounds and delivers until no node sends; returns every message sent meanwhile. */
function settle(nodes: Map<NodeId, Node>): Message[] {
  const sent: Message[] = [];
  for (let pass = 0; pass < 50; pass++) {
    const messages = [...nodes.values()].flatMap(round);
    if (messages.length === 0) return sent;
    sent.push(...messages);
    for (const message of messages) nodes.get(message.to)!.raft.step(message);
  }
  throw new Error("did not settle in 50 passes");
}

function leaderOf(nodes: Map<NodeId, Node>): Node {
  for (let tick = 0; tick < 200; tick++) {
    const leader = [...nodes.values()].find((node) => node.raft.isLeader());
    if (leader !== undefined) return leader;
    for (const node of nodes.values()) node.raft.tick();
    settle(nodes);
  }
  throw new Error("no leader elected");
}

/** Proposes one entry at the leader and settles; returns its index and the messages it took. */
function write(nodes: Map<NodeId, Node>, leader: Node): { index: number; sent: Message[] } {
  expect(leader.raft.propose(encoder.encode("x")).kind).toBe("accepted");
  const sent = settle(nodes);
  return { index: leader.raft.status().lastIndex, sent };
}

const emptyAppends = (sent: readonly Message[]): number =>
  sent.filter((m) => m.type === "append" && m.entries.length === 0).length;

describe("commit broadcast", () => {
  it("eager: the leader sends each follower an empty append once the entry commits", () => {
    const nodes = cluster("eager", 1);
    const leader = leaderOf(nodes);
    settle(nodes);
    const { index, sent } = write(nodes, leader);
    expect(leader.raft.status().commit).toBe(index);
    expect(emptyAppends(sent)).toBe(2);
    for (const node of nodes.values()) expect(node.raft.status().commit).toBe(index);
  });

  it("lazy: no empty append; followers learn the commit on the next heartbeat, then apply it", () => {
    const nodes = cluster("lazy", 1);
    const leader = leaderOf(nodes);
    settle(nodes);
    const { index, sent } = write(nodes, leader);
    expect(emptyAppends(sent)).toBe(0);
    // The leader committed and applied at once; the followers hold the entry, not yet its commit.
    expect(leader.raft.status().commit).toBe(index);
    expect(leader.applied).toContain(index);
    for (const node of nodes.values()) {
      if (node === leader) continue;
      expect(node.raft.status().lastIndex).toBe(index);
      expect(node.raft.status().commit).toBeLessThan(index);
    }
    // One heartbeat interval later every follower has committed and applied it.
    for (let tick = 0; tick < 2; tick++) {
      leader.raft.tick();
      settle(nodes);
    }
    for (const node of nodes.values()) {
      expect(node.raft.status().commit).toBe(index);
      expect(node.applied).toContain(index);
    }
  });

  it("lazy: the next write's append carries the previous commit", () => {
    const nodes = cluster("lazy", 2);
    const leader = leaderOf(nodes);
    settle(nodes);
    const first = write(nodes, leader).index;
    const { sent } = write(nodes, leader);
    const appends = sent.filter((m) => m.type === "append" && m.entries.length > 0);
    expect(appends.length).toBe(2);
    for (const append of appends) expect(append.type === "append" && append.commit).toBe(first);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`lazy and eager end with the same applied prefix on every member (seed ${seed})`, () => {
      const applied = (mode: "eager" | "lazy"): number[][] => {
        const nodes = cluster(mode, seed);
        const leader = leaderOf(nodes);
        const prng = Prng.derive(seed, "writes");
        for (let i = 0; i < 40; i++) {
          for (let k = prng.below(4); k >= 0; k--) leader.raft.propose(encoder.encode(`v${i}.${k}`));
          settle(nodes);
          if (prng.below(3) === 0) leader.raft.tick();
        }
        for (let tick = 0; tick < 2; tick++) {
          leader.raft.tick();
          settle(nodes);
        }
        return [...nodes.values()].map((node) => node.applied);
      };
      const lazy = applied("lazy");
      expect(lazy[0]!.length).toBeGreaterThan(40);
      for (const prefix of lazy) expect(prefix).toEqual(lazy[0]);
      expect(applied("eager")[0]!.length).toBe(lazy[0]!.length);
    });
  }
});
