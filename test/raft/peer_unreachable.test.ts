// Goal: the peer-unreachable hint (RaftNode.peerUnreachable, fed by the transport's peer-down
// signal) is safe whatever it says and harmless when false. (1) Told falsely to fewer followers than
// a quorum while the leader runs and the network is sound, it never changes a term nor unseats the
// leader: the followers that still hear the leader refuse the pre-votes (stickiness). (2) Told at
// random to any member about any peer, amid message loss, reordering and partitions, it never gives
// two leaders in one term nor two different entries committed at one index, and once the faults and
// the hints stop the cluster elects a leader and commits again. Method: 3 or 5 RaftNodes in one
// process with MemoryStorage, a message queue delivered by a seeded Prng, many seeds; a failing seed
// prints the command that replays it (SHOAL_SEED=n runs that seed alone).

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import {
  MemoryStorage,
  type Message,
  quorumSize,
  RaftNode,
  raftConfigDefault,
} from "../../src/protocol/raft/index.js";
import type { NodeId } from "../../src/types.js";

const seedCount = 100;
const stepsMax = 300;
const recoveryTicksMax = 400;
const onlySeed = process.env["SHOAL_SEED"] === undefined ? null : Number(process.env["SHOAL_SEED"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Cluster {
  readonly ids: NodeId[];
  readonly nodes = new Map<NodeId, { raft: RaftNode; storage: MemoryStorage }>();
  private queue: Message[] = [];
  /** Who led each term, across every member. */
  private readonly leaders = new Map<number, NodeId>();
  /** What was committed at each index, across every member. */
  private readonly committed = new Map<number, string>();
  isolated = new Set<NodeId>();

  constructor(
    voters: number,
    seed: number,
    private readonly prng: Prng,
  ) {
    this.ids = Array.from({ length: voters }, (_, i) => String(i + 1) as NodeId);
    for (const id of this.ids) {
      const storage = MemoryStorage.bootstrap(this.ids);
      const config = { ...raftConfigDefault(id), electionTimeoutTicks: 10, heartbeatIntervalTicks: 2 };
      this.nodes.set(id, { raft: new RaftNode(config, storage, Prng.derive(seed, `raft/${id}`)), storage });
    }
  }

  raft(id: NodeId): RaftNode {
    return this.nodes.get(id)!.raft;
  }

  leader(): NodeId | null {
    const leading = this.ids.filter((id) => this.raft(id).isLeader());
    leading.sort((a, b) => this.raft(b).status().term - this.raft(a).status().term);
    return leading[0] ?? null;
  }

  /** Persists and sends every Ready, checking the cross-member invariants. */
  process(): void {
    for (const [id, { raft, storage }] of this.nodes) {
      this.queue.push(...raft.takeMessages());
      while (raft.hasReady()) {
        const ready = raft.ready();
        if (ready.snapshot !== null) storage.applySnapshot(ready.snapshot);
        storage.append(ready.entries);
        if (ready.hardState !== null) storage.setHardState(ready.hardState);
        this.queue.push(...ready.messages);
        for (const entry of ready.committedEntries) {
          const text = `${entry.term}:${entry.type === "normal" ? decoder.decode(entry.data) : "conf"}`;
          const seen = this.committed.get(entry.index);
          if (seen !== undefined && seen !== text)
            throw new Error(`index ${entry.index} committed as ${seen} and ${text} (at ${id})`);
          this.committed.set(entry.index, text);
        }
        raft.advance(ready);
      }
      raft.invariants();
      const status = raft.status();
      if (status.role !== "leader") continue;
      const known = this.leaders.get(status.term);
      if (known !== undefined && known !== id)
        throw new Error(`${known} and ${id} both lead term ${status.term}`);
      this.leaders.set(status.term, id);
    }
  }

  /** Delivers queued messages: all of them, or with loss and reordering. */
  deliver(lossy: boolean): void {
    const batch = this.queue;
    this.queue = [];
    if (lossy) this.prng.shuffle(batch);
    for (const message of batch) {
      if (this.isolated.has(message.from) !== this.isolated.has(message.to)) continue;
      if (lossy && this.prng.chance(0.1)) continue;
      if (lossy && this.prng.chance(0.1)) {
        this.queue.push(message); // Delayed to the next delivery.
        continue;
      }
      this.raft(message.to).step(message);
    }
  }

  /** Processes and delivers until no message is left (a sound network). */
  settle(): void {
    for (let round = 0; round < 100; round++) {
      this.process();
      if (this.queue.length === 0) return;
      this.deliver(false);
    }
    throw new Error("did not settle");
  }

  tickAll(): void {
    for (const id of this.ids) this.raft(id).tick();
  }

  committedCount(): number {
    return this.committed.size;
  }
}

function replay(seed: number): string {
  return `SHOAL_SEED=${seed} npx vitest run test/raft/peer_unreachable.test.ts`;
}

function seeds(): number[] {
  return onlySeed === null ? Array.from({ length: seedCount }, (_, i) => i + 1) : [onlySeed];
}

/** Elects member 1 on a sound network. */
function elected(cluster: Cluster): NodeId {
  const first = cluster.ids[0]!;
  cluster.raft(first).campaign();
  cluster.settle();
  if (!cluster.raft(first).isLeader()) throw new Error("member 1 was not elected");
  return first;
}

/** Fewer followers than a quorum told, while every follower still knows the leader: no term moves. */
function falseSignalRun(seed: number): void {
  const prng = Prng.derive(seed, "false-signal");
  const voters = prng.chance(0.5) ? 3 : 5;
  const cluster = new Cluster(voters, seed, prng);
  const leader = elected(cluster);
  const term = cluster.raft(leader).status().term;
  const followers = cluster.ids.filter((id) => id !== leader);
  let told = 0;
  for (let step = 0; step < stepsMax; step++) {
    const allKnow = followers.every((id) => cluster.raft(id).status().leader === leader);
    if (allKnow && prng.chance(0.2)) {
      const count = 1 + prng.below(quorumSize(voters) - 1);
      for (const id of prng.shuffle([...followers]).slice(0, count)) {
        const result = cluster.raft(id).peerUnreachable(leader);
        if (result.kind !== "campaign-soon")
          throw new Error(`follower ${id} ignored the hint: ${result.reason}`);
        told++;
      }
    }
    if (prng.chance(0.3)) cluster.raft(leader).propose(encoder.encode(`s${seed}-${step}`));
    cluster.tickAll();
    cluster.settle();
    for (const id of cluster.ids) {
      const status = cluster.raft(id).status();
      if (status.term !== term) throw new Error(`step ${step}: ${id} moved to term ${status.term}`);
    }
  }
  if (!cluster.raft(leader).isLeader()) throw new Error("the leader was unseated");
  if (told === 0) throw new Error("no hint was given");
}

/** Any hint to any member, amid loss, reordering and partitions: safe, then live once it all stops. */
function chaosRun(seed: number): void {
  const prng = Prng.derive(seed, "chaos");
  const voters = prng.chance(0.5) ? 3 : 5;
  const cluster = new Cluster(voters, seed, prng);
  for (let step = 0; step < stepsMax; step++) {
    if (prng.chance(0.05)) {
      cluster.isolated = new Set(prng.shuffle([...cluster.ids]).slice(0, prng.below(quorumSize(voters))));
    }
    if (prng.chance(0.3)) cluster.raft(prng.pick(cluster.ids)).peerUnreachable(prng.pick(cluster.ids));
    const leader = cluster.leader();
    if (leader !== null && prng.chance(0.3)) cluster.raft(leader).propose(encoder.encode(`c${seed}-${step}`));
    for (const id of cluster.ids) if (prng.chance(0.8)) cluster.raft(id).tick();
    cluster.process();
    cluster.deliver(true);
  }
  cluster.isolated = new Set();
  const before = cluster.committedCount();
  for (let tick = 0; tick < recoveryTicksMax; tick++) {
    const leader = cluster.leader();
    if (leader !== null) cluster.raft(leader).propose(encoder.encode(`r${seed}-${tick}`));
    cluster.tickAll();
    cluster.settle();
    if (cluster.committedCount() > before + 1) return;
  }
  throw new Error(`no commit within ${recoveryTicksMax} ticks after the faults stopped`);
}

function runSeeds(run: (seed: number) => void): string[] {
  const failures: string[] = [];
  for (const seed of seeds()) {
    try {
      run(seed);
    } catch (error) {
      failures.push(`seed ${seed}: ${(error as Error).message}\n  replay: ${replay(seed)}`);
    }
  }
  return failures;
}

describe("peerUnreachable", () => {
  it(`told falsely to fewer followers than a quorum, changes no term (${seedCount} seeds)`, () => {
    const failures = runSeeds(falseSignalRun);
    expect(failures, failures.join("\n")).toEqual([]);
  });

  it(`told anything amid loss, reordering and partitions, stays safe and live (${seedCount} seeds)`, () => {
    const failures = runSeeds(chaosRun);
    expect(failures, failures.join("\n")).toEqual([]);
  });
});
