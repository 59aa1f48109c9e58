// Goal: a pipelined driver may apply what commits while a Ready's writes are in flight
// (RaftNode.takeCommittedEntries / takeReadStates), and every committed entry is still handed out
// exactly once, in order: never again by the next Ready, never skipped. Method: three RaftNodes in
// one process with MemoryStorage; the leader's Ready is held outstanding (its fsync "in flight")
// while the followers persist and acknowledge, then the leader takes the commits early; then a
// seeded random driver that holds Readies open for random spans and takes early at random must
// hand every member the log's committed prefix exactly once, in order.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import {
  type Entry,
  MemoryStorage,
  type Message,
  RaftNode,
  type Ready,
  raftConfigDefault,
} from "../../src/protocol/raft/index.js";
import type { NodeId } from "../../src/types.js";

const ids = ["1", "2", "3"] as NodeId[];
const encoder = new TextEncoder();

interface Member {
  readonly raft: RaftNode;
  readonly storage: MemoryStorage;
  outstanding: Ready | null;
  readonly applied: number[];
}

function cluster(seed: number): Map<NodeId, Member> {
  const members = new Map<NodeId, Member>();
  for (const id of ids) {
    const storage = MemoryStorage.bootstrap(ids);
    const config = { ...raftConfigDefault(id), electionTimeoutTicks: 10, heartbeatIntervalTicks: 2 };
    const raft = new RaftNode(config, storage, Prng.derive(seed, `raft/${id}`));
    members.set(id, { raft, storage, outstanding: null, applied: [] });
  }
  return members;
}

function apply(member: Member, entries: readonly Entry[]): void {
  for (const entry of entries) member.applied.push(entry.index);
}

/** Persists and advances the outstanding Ready, if any. */
function finish(member: Member): void {
  const ready = member.outstanding;
  if (ready === null) return;
  if (ready.snapshot !== null) member.storage.applySnapshot(ready.snapshot);
  member.storage.append(ready.entries);
  if (ready.hardState !== null) member.storage.setHardState(ready.hardState);
  member.raft.advance(ready);
  member.outstanding = null;
}

/** Takes a Ready (applying its committed entries at once, as the member does) and returns its messages. */
function begin(member: Member): Message[] {
  const messages = member.raft.takeMessages();
  if (member.outstanding !== null || !member.raft.hasReady()) return messages;
  const ready = member.raft.ready();
  member.outstanding = ready;
  apply(member, ready.committedEntries);
  return [...messages, ...ready.messages];
}

function deliver(members: Map<NodeId, Member>, messages: Message[]): void {
  for (const message of messages) members.get(message.to)!.raft.step(message);
}

/** Runs every member synchronously (no Ready left open) until quiet. */
function settle(members: Map<NodeId, Member>): void {
  for (let round = 0; round < 50; round++) {
    const messages: Message[] = [];
    for (const member of members.values()) {
      finish(member);
      messages.push(...begin(member));
      finish(member);
    }
    if (messages.length === 0) return;
    deliver(members, messages);
  }
}

function leaderOf(members: Map<NodeId, Member>): Member {
  for (let tick = 0; tick < 200; tick++) {
    const leader = [...members.values()].find((m) => m.raft.isLeader());
    if (leader !== undefined) return leader;
    for (const member of members.values()) member.raft.tick();
    settle(members);
  }
  throw new Error("no leader elected");
}

describe("takeCommittedEntries", () => {
  it("applies what commits while the leader's own write is in flight, and never again", () => {
    const members = cluster(1);
    const leader = leaderOf(members);
    settle(members);
    const before = leader.applied.length;
    expect(leader.raft.propose(encoder.encode("x")).kind).toBe("accepted");
    // The leader's Ready with the new entry stays open: its fsync is "in flight".
    const appends = begin(leader);
    expect(leader.outstanding?.entries.length).toBe(1);
    const index = leader.outstanding!.entries[0]!.index;
    // Both followers persist and acknowledge; the acknowledgements commit the entry without the
    // leader's own copy (two of three).
    deliver(members, appends);
    const acks: Message[] = [];
    for (const member of members.values()) {
      if (member === leader) continue;
      acks.push(...begin(member));
      finish(member);
      acks.push(...member.raft.takeMessages());
    }
    deliver(members, acks);
    expect(leader.raft.status().commit).toBe(index);
    const early = leader.raft.takeCommittedEntries();
    expect(early.map((e) => e.index)).toEqual([index]);
    apply(leader, early);
    expect(leader.raft.takeCommittedEntries()).toEqual([]);
    finish(leader);
    settle(members);
    expect(leader.applied.slice(before)).toEqual([index]);
    expect(leader.raft.hasReady()).toBe(false);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`hands every member the committed prefix once, in order, under a random pipelined driver (seed ${seed})`, () => {
      const members = cluster(seed);
      const prng = Prng.derive(seed, "driver");
      leaderOf(members);
      let inFlight: Message[] = [];
      for (let step = 0; step < 600; step++) {
        const member = members.get(ids[prng.below(3)]!)!;
        const choice = prng.below(6);
        if (choice === 0) member.raft.tick();
        else if (choice === 1 && member.raft.isLeader()) member.raft.propose(encoder.encode(`v${step}`));
        else if (choice === 2) finish(member);
        else if (choice === 3) inFlight.push(...begin(member));
        else if (choice === 4) apply(member, member.raft.takeCommittedEntries());
        else {
          const now = inFlight;
          inFlight = [];
          deliver(
            members,
            now.filter(() => !prng.chance(0.05)),
          );
        }
      }
      for (let i = 0; i < 5; i++) {
        for (const member of members.values()) member.raft.tick();
        settle(members);
      }
      for (const member of members.values()) {
        const commit = member.raft.status().commit;
        expect(commit, `seed ${seed}: the cluster commits`).toBeGreaterThan(5);
        // Exactly the committed prefix, each index once, in order.
        expect(member.applied, `seed ${seed}`).toEqual(Array.from({ length: commit }, (_, i) => i + 1));
      }
    });
  }
});
