// A simulated Raft cluster serving the KV register map: real RaftNode cores driven on the
// SimScheduler and SimNetwork, each member with a simulated disk (a durable MemoryStorage plus one
// write in flight, which a crash loses, keeps, or tears), a tick timer whose rate drifts, pauses,
// and the KV machine applied through the session table. Every applied entry, every leader and
// every executed command is recorded globally, so the cluster-wide invariants (election safety,
// state-machine safety, exactly-once execution) are checked as the run goes.

import { assert } from "../../../lib/assert.js";
import { Prng } from "../../../lib/prng.js";
import {
  type ConfChange,
  type Entry,
  MemoryStorage,
  type Message,
  type RaftConfig,
  RaftNode,
  type Ready,
  raftConfigDefault,
} from "../../../protocol/raft/index.js";
import {
  decodeKvEnvelope,
  encodeKvEnvelope,
  type KvCommand,
  KvMachine,
  type KvResponse,
} from "../../../structures/kv_machine.js";
import { type SessionConfig, sessionConfigDefault } from "../../../structures/sessions.js";
import type { ClientId, LogIndex, NodeId } from "../../../types.js";
import type { SimNetwork } from "../../network.js";
import type { SimScheduler } from "../../scheduler.js";

/** A client's request to a member. `requestId` is new for every attempt (never reused, etcd#20418). */
export interface KvRequest {
  readonly kind: "request";
  readonly client: ClientId;
  readonly sequence: number;
  readonly requestId: string;
  readonly command: KvCommand;
}

/** A member's answer. `position` is the log index the answer reflects (applied index for reads). */
export type KvReply =
  | {
      readonly kind: "reply";
      readonly requestId: string;
      readonly response: KvResponse;
      readonly position: number;
    }
  | { readonly kind: "redirect"; readonly requestId: string; readonly leader: NodeId }
  | { readonly kind: "unavailable"; readonly requestId: string; readonly reason: string };

/** Everything the simulated network carries. */
export type SimPacket = { readonly kind: "raft"; readonly message: Message } | KvRequest | KvReply;

/** Timing and fault knobs of the cluster. */
export interface RaftClusterOptions {
  readonly tickMs: number;
  readonly raft: Omit<RaftConfig, "id" | "appliedIndex">;
  readonly sessions: SessionConfig;
  readonly diskLatencyMsMax: number;
  readonly diskStallProbability: number;
  readonly diskStallMsMax: number;
  readonly clockRateDeviationMax: number;
  /** Compact the log once this many applied entries follow the last snapshot. */
  readonly compactEntriesMin: number;
}

/** Defaults for the simulation: 10 ms ticks, election after 150–300 ms, heartbeat every 30 ms. */
export function raftClusterOptionsDefault(): RaftClusterOptions {
  const base = raftConfigDefault("n0" as NodeId);
  return {
    tickMs: 10,
    raft: {
      ...base,
      electionTimeoutTicks: 15,
      heartbeatIntervalTicks: 3,
      inflightMessagesMax: 8,
      appendBytesMax: 4096,
      snapshotChunkBytes: 256,
      pendingReadsMax: 256,
    },
    sessions: sessionConfigDefault(),
    diskLatencyMsMax: 3,
    diskStallProbability: 0,
    diskStallMsMax: 300,
    clockRateDeviationMax: 0,
    compactEntriesMin: 40,
  };
}

interface PendingRead {
  readonly requestId: string;
  readonly client: ClientId;
  readonly key: string;
  index: LogIndex | null;
}

/** One member: its core (null while down), its disk, its state machine and its open requests. */
export class SimMember {
  raft: RaftNode | null = null;
  machine: KvMachine;
  writeInFlight: Ready | null = null;
  paused = false;
  removed = false;
  restarts = 0;
  /** The index the state machine has applied (ahead of the core's until advance). */
  appliedIndex = 0;
  readonly inbox: Message[] = [];
  readonly proposals = new Map<
    number,
    { readonly requestId: string; readonly client: ClientId; readonly sequence: number }
  >();
  readonly reads = new Map<string, PendingRead>();

  constructor(
    readonly id: NodeId,
    readonly durable: MemoryStorage,
    readonly rate: number,
    sessions: SessionConfig,
  ) {
    this.machine = new KvMachine(sessions);
  }
}

/** The cluster-wide records the invariants are checked against. */
export interface ClusterRecords {
  readonly leaders: Map<number, NodeId>;
  /** For each index a leader applied: the entry's term and the lowest leader term that applied it. */
  readonly committedByLeader: Map<number, { readonly entryTerm: number; leaderTerm: number }>;
  readonly applied: Map<number, string>;
  readonly executed: Map<string, number>;
  readonly violations: string[];
  committedEntries: number;
  snapshotsInstalled: number;
  leaderChanges: number;
}

/** The simulated cluster. */
export class RaftCluster {
  readonly members = new Map<NodeId, SimMember>();
  readonly records: ClusterRecords = {
    leaders: new Map(),
    committedByLeader: new Map(),
    applied: new Map(),
    executed: new Map(),
    violations: [],
    committedEntries: 0,
    snapshotsInstalled: 0,
    leaderChanges: 0,
  };
  private readonly prng: Prng;
  /**
   * Called after a leader handed out committed entries, or became leader, in a Ready; the nemesis
   * may crash it right there (BUGGIFY-style timing for Figure 8 histories).
   */
  onLeaderEvent: ((member: SimMember, event: "elected" | "committed") => void) | null = null;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly network: SimNetwork<SimPacket>,
    private readonly options: RaftClusterOptions,
    private readonly seed: number,
    readonly initialVoters: readonly NodeId[],
  ) {
    this.prng = Prng.derive(seed, "raft-cluster");
  }

  /** Adds and starts a member whose bootstrap configuration is the initial one. */
  addMember(id: NodeId): SimMember {
    assert(!this.members.has(id), `member ${id} exists; ids are never reused`);
    const deviation = this.options.clockRateDeviationMax;
    const rate = 1 + (this.prng.next() * 2 - 1) * deviation;
    const member = new SimMember(
      id,
      MemoryStorage.bootstrap(this.initialVoters),
      rate,
      this.options.sessions,
    );
    this.members.set(id, member);
    this.network.attach(id, (_from, packet) => this.receive(member, packet));
    this.start(member);
    this.scheduleTick(member);
    return member;
  }

  /** Starts (or restarts) a member from its durable storage. */
  start(member: SimMember): void {
    assert(member.raft === null && !member.removed, `${member.id} is running or removed`);
    const snapshot = member.durable.snapshot();
    const config: RaftConfig = { ...this.options.raft, id: member.id, appliedIndex: snapshot.meta.index };
    member.machine = KvMachine.restore(this.options.sessions, snapshot.data);
    member.appliedIndex = snapshot.meta.index;
    member.raft = new RaftNode(
      config,
      member.durable,
      Prng.derive(this.seed, `raft-${member.id}-${member.restarts}`),
    );
    member.restarts++;
  }

  /**
   * Crashes a member. Its write in flight is lost, torn (a prefix of its entries survives, the hard
   * state written after them does not), or complete, as a real disk may leave it.
   */
  crash(member: SimMember): string {
    if (member.raft === null) return "already down";
    const ready = member.writeInFlight;
    let outcome = "no write in flight";
    if (ready !== null) {
      const choice = this.prng.below(3);
      if (choice === 1) this.persist(member, ready, this.prng.below(ready.entries.length + 1), false);
      if (choice === 2) this.persist(member, ready, ready.entries.length, true);
      outcome = ["lost", "torn", "complete"][choice]!;
    }
    member.raft = null;
    member.writeInFlight = null;
    member.inbox.length = 0;
    member.proposals.clear();
    member.reads.clear();
    member.paused = false;
    return `write ${outcome}`;
  }

  /** Stops a member for good (it was removed from the configuration). */
  retire(member: SimMember): void {
    this.crash(member);
    member.removed = true;
    this.network.detach(member.id);
  }

  /** The live leader with the highest term, if any. */
  leader(): SimMember | null {
    let best: SimMember | null = null;
    for (const member of this.members.values()) {
      const raft = member.raft;
      if (raft === null || member.paused || !raft.isLeader()) continue;
      if (best === null || raft.status().term > best.raft!.status().term) best = member;
    }
    return best;
  }

  /** Proposes a membership change at the leader; returns the result kind. */
  proposeConfChange(change: ConfChange): string {
    const leader = this.leader();
    if (leader === null) return "no-leader";
    const result = leader.raft!.proposeConfChange(change);
    this.drive(leader);
    return result.kind === "dropped" ? `dropped: ${result.reason}` : result.kind;
  }

  private scheduleTick(member: SimMember): void {
    this.scheduler.after(this.options.tickMs * member.rate, () => {
      if (member.removed) return;
      if (member.raft !== null && !member.paused) {
        member.raft.tick();
        this.drive(member);
      }
      this.scheduleTick(member);
    });
  }

  /** Unpauses a member: it handles what arrived while it was frozen. */
  resume(member: SimMember): void {
    member.paused = false;
    const raft = member.raft;
    if (raft === null) return;
    for (const message of member.inbox.splice(0)) raft.step(message);
    this.drive(member);
  }

  private receive(member: SimMember, packet: SimPacket): void {
    const raft = member.raft;
    if (raft === null) return; // A down member drops what arrives.
    if (packet.kind === "raft") {
      if (member.paused) member.inbox.push(packet.message);
      else raft.step(packet.message);
    } else if (packet.kind === "request") {
      if (member.paused) return;
      this.handleRequest(member, raft, packet);
    }
    if (!member.paused) this.drive(member);
  }

  private handleRequest(member: SimMember, raft: RaftNode, request: KvRequest): void {
    const reply = (packet: KvReply) => this.network.send(member.id, request.client, packet);
    if (request.command.op === "read") {
      const result = raft.readIndex(request.requestId);
      if (result.kind === "pending") {
        member.reads.set(request.requestId, {
          requestId: request.requestId,
          client: request.client,
          key: request.command.key,
          index: null,
        });
      } else if (result.kind === "not-leader")
        reply({ kind: "redirect", requestId: request.requestId, leader: result.leader });
      else reply({ kind: "unavailable", requestId: request.requestId, reason: result.kind });
      return;
    }
    // The leader stamps the log time (H11); a follower never assigns it.
    const envelope = {
      client: request.client,
      sequence: request.sequence,
      logTimeMs: this.scheduler.nowMs,
      command: request.command,
    };
    const result = raft.propose(encodeKvEnvelope(envelope));
    if (result.kind === "accepted") {
      member.proposals.set(result.index, {
        requestId: request.requestId,
        client: request.client,
        sequence: request.sequence,
      });
    } else if (result.kind === "not-leader")
      reply({ kind: "redirect", requestId: request.requestId, leader: result.leader });
    else reply({ kind: "unavailable", requestId: request.requestId, reason: result.kind });
  }

  /** Carries out the member's Ready batches: send, apply, then write and advance once durable. */
  drive(member: SimMember): void {
    const raft = member.raft;
    if (raft === null || member.paused) return;
    this.sendAll(member, raft.takeMessages());
    while (member.writeInFlight === null && raft.hasReady()) {
      const ready = raft.ready();
      this.observeSoftState(member, ready);
      this.sendAll(member, ready.messages);
      if (ready.snapshot !== null) {
        member.machine = KvMachine.restore(this.options.sessions, ready.snapshot.data);
        member.appliedIndex = ready.snapshot.meta.index;
        this.records.snapshotsInstalled++;
      }
      for (const entry of ready.committedEntries) this.applyEntry(member, entry);
      const hook = this.onLeaderEvent;
      if (hook !== null && raft.isLeader()) {
        if (ready.softState?.role === "leader") hook(member, "elected");
        else if (ready.committedEntries.length > 0) hook(member, "committed");
        if (member.raft !== raft) return; // The hook crashed it.
      }
      for (const read of ready.readStates) {
        const pending = member.reads.get(read.requestId);
        if (pending !== undefined) pending.index = read.index;
      }
      this.serveReads(member);
      if (ready.hardState === null && ready.entries.length === 0 && ready.snapshot === null) {
        raft.advance(ready);
        continue;
      }
      member.writeInFlight = ready;
      this.scheduler.after(this.diskLatencyMs(), () => this.writeDone(member, raft, ready));
    }
    raft.invariants();
  }

  private diskLatencyMs(): number {
    const stall =
      this.options.diskStallProbability > 0 && this.prng.chance(this.options.diskStallProbability);
    if (stall) return this.prng.intBetween(50, this.options.diskStallMsMax);
    return 0.2 + this.prng.next() * this.options.diskLatencyMsMax;
  }

  private writeDone(member: SimMember, raft: RaftNode, ready: Ready): void {
    if (member.raft !== raft || member.writeInFlight !== ready) return; // Crashed meanwhile.
    this.persist(member, ready, ready.entries.length, true);
    member.writeInFlight = null;
    raft.advance(ready);
    this.maybeCompact(member, raft);
    if (!member.paused) this.drive(member);
  }

  private persist(member: SimMember, ready: Ready, entriesKept: number, withHardState: boolean): void {
    if (ready.snapshot !== null) member.durable.applySnapshot(ready.snapshot);
    member.durable.append(ready.entries.slice(0, entriesKept));
    if (withHardState && ready.hardState !== null) member.durable.setHardState(ready.hardState);
  }

  private maybeCompact(member: SimMember, raft: RaftNode): void {
    const applied = raft.status().applied;
    const durable = member.durable;
    if (applied !== member.appliedIndex || applied < raft.log.firstIndex() - 1) return;
    if (applied - durable.snapshot().meta.index < this.options.compactEntriesMin) return;
    if (applied > durable.hardState().commit || applied > durable.lastIndex()) return;
    durable.compact(applied, member.machine.snapshot(), raft.configStateAt(applied));
  }

  private observeSoftState(member: SimMember, ready: Ready): void {
    const soft = ready.softState;
    if (soft === null) return;
    if (soft.role !== "leader") member.proposals.clear();
    if (soft.role !== "leader") return;
    const term = member.raft!.status().term;
    const known = this.records.leaders.get(term);
    if (known !== undefined && known !== member.id)
      this.violation(`election safety: ${known} and ${member.id} both lead term ${term}`);
    if (known === undefined) this.records.leaderChanges++;
    this.records.leaders.set(term, member.id);
    this.checkLeaderCompleteness(member, term);
  }

  /**
   * Leader completeness (Raft §5.4): a leader of term T holds every entry that a leader of an
   * earlier term applied (an applying leader's term bounds the term the entry was committed in).
   */
  private checkLeaderCompleteness(member: SimMember, term: number): void {
    const log = member.raft!.log;
    const first = log.firstIndex();
    for (const [index, record] of this.records.committedByLeader) {
      if (record.leaderTerm >= term || index < first) continue;
      const ours = log.term(index as LogIndex);
      if (ours !== record.entryTerm) {
        this.violation(
          `leader completeness: ${member.id} leads term ${term} with term ${ours} at index ${index}, committed with term ${record.entryTerm} by a leader of term ${record.leaderTerm}`,
        );
        return;
      }
    }
  }

  private applyEntry(member: SimMember, entry: Entry): void {
    assert(
      entry.index === member.appliedIndex + 1,
      `${member.id} applies ${entry.index} after ${member.appliedIndex}`,
    );
    member.appliedIndex = entry.index;
    const identity =
      entry.type === "normal"
        ? `${entry.term}:${new TextDecoder().decode(entry.data)}`
        : `${entry.term}:conf`;
    const seen = this.records.applied.get(entry.index);
    if (seen === undefined) {
      this.records.applied.set(entry.index, identity);
      this.records.committedEntries++;
    } else if (seen !== identity) {
      this.violation(
        `state-machine safety: index ${entry.index} applied as ${seen} and as ${identity} (at ${member.id})`,
      );
    }
    const raft = member.raft;
    if (raft?.isLeader()) {
      const leaderTerm = raft.status().term;
      const record = this.records.committedByLeader.get(entry.index);
      if (record === undefined)
        this.records.committedByLeader.set(entry.index, { entryTerm: entry.term, leaderTerm });
      else record.leaderTerm = Math.min(record.leaderTerm, leaderTerm);
    }
    if (entry.type !== "normal") return;
    const envelope = decodeKvEnvelope(entry.data);
    if (envelope === null) return;
    const outcome = member.machine.apply(envelope);
    const key = `${envelope.client}#${envelope.sequence}`;
    if (outcome.kind === "executed") {
      const at = this.records.executed.get(key);
      if (at !== undefined && at !== entry.index)
        this.violation(`exactly-once: ${key} executed at ${at} and at ${entry.index}`);
      this.records.executed.set(key, entry.index);
    }
    const proposal = member.proposals.get(entry.index);
    if (proposal === undefined) return;
    member.proposals.delete(entry.index);
    if (proposal.client !== envelope.client || proposal.sequence !== envelope.sequence) return;
    const packet: KvReply =
      outcome.kind === "executed" || outcome.kind === "duplicate"
        ? { kind: "reply", requestId: proposal.requestId, response: outcome.response, position: entry.index }
        : { kind: "unavailable", requestId: proposal.requestId, reason: `session ${outcome.kind}` };
    this.network.send(member.id, proposal.client, packet);
  }

  private serveReads(member: SimMember): void {
    if (member.reads.size === 0) return;
    const applied = member.appliedIndex;
    for (const [id, read] of member.reads) {
      if (read.index === null || read.index > applied) continue;
      member.reads.delete(id);
      const response: KvResponse = { ok: true, value: member.machine.read(read.key) };
      this.network.send(member.id, read.client, {
        kind: "reply",
        requestId: id,
        response,
        position: applied,
      });
    }
  }

  private sendAll(member: SimMember, messages: readonly Message[]): void {
    for (const message of messages) {
      const target = this.members.get(message.to);
      if (target === undefined || target.removed) continue;
      this.network.send(member.id, message.to, { kind: "raft", message });
    }
  }

  private violation(text: string): void {
    if (this.records.violations.length < 20)
      this.records.violations.push(`t=${this.scheduler.nowMs.toFixed(1)} ${text}`);
  }
}
