// The Raft core (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", and
// Ongaro's thesis) as a pure state machine in the shape of etcd's raft: the driver calls tick(),
// step(), propose(), readIndex(); takes ready(); persists, sends, applies; then calls advance(). No
// I/O, no clock, no randomness except the Prng passed in. Responses that promise durable state (vote
// and append responses) are withheld until the driver advances past the Ready that persisted that
// state, and the leader counts its own log toward commitment only once persisted (H9, etcd#14370).

import { assert, assertNever } from "../../lib/assert.js";
import type { Prng } from "../../lib/prng.js";
import type { LogIndex, NodeId, Term } from "../../types.js";
import { type RaftConfig, raftConfigValidate } from "./config.js";
import { confChangeApply, confChangeRefusal, tallyVotes } from "./membership.js";
import type { Progress } from "./progress.js";
import { entryBytes, RaftLog } from "./raft_log.js";
import { ReadOnly } from "./read_only.js";
import { Replication } from "./replication.js";
import type { Storage } from "./storage.js";
import type {
  ConfChange,
  ConfigState,
  Entry,
  HardState,
  LeaseReadResult,
  Message,
  ProposeResult,
  Ready,
  ReadResult,
  ReadState,
  Role,
  SoftState,
  Status,
} from "./types.js";

/**
 * Longest delay, in ticks, before a follower told that its leader is unreachable campaigns. The
 * delay is drawn in [1, this] so that followers told at once rarely campaign in the same tick.
 */
const leaderLostCampaignTicksMax = 3;

/** The answer to a leadership-transfer request. */
export type TransferResult =
  | { readonly kind: "started" }
  | { readonly kind: "refused"; readonly reason: string };

/** The answer to {@link RaftNode.peerUnreachable}. */
export type PeerUnreachableResult =
  | { readonly kind: "campaign-soon"; readonly ticks: number }
  | { readonly kind: "ignored"; readonly reason: string };

/** One Raft member. Not thread-safe; the driver owns it. */
export class RaftNode {
  readonly id: NodeId;
  private readonly config: RaftConfig;
  private readonly prng: Prng;
  readonly log: RaftLog;

  private term: Term;
  private vote: NodeId | null;
  private leader: NodeId | null = null;
  private role: Role = "follower";
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private electionTimeoutRandomized = 0;
  /** The election timer was shortened because the leader was reported unreachable. */
  private electionHastened = false;
  private tickCount = 0;

  private baseConfig: ConfigState;
  private configHistory: { readonly index: LogIndex; readonly config: ConfigState }[] = [];
  /** The leader's per-follower replication; empty unless leading. */
  private readonly replication: Replication;
  private votes = new Map<NodeId, boolean>();
  private readonly reads: ReadOnly;
  private leadTransferee: NodeId | null = null;
  private leaseRevoked = false;
  private stepDownIndex: LogIndex | null = null;
  private uncommitted: { readonly index: LogIndex; readonly bytes: number }[] = [];
  private uncommittedBytes = 0;
  private assembly: {
    readonly index: LogIndex;
    readonly term: Term;
    parts: Uint8Array[];
    bytes: number;
  } | null = null;
  private leaderOfTerm: { term: Term; leader: NodeId } | null = null;

  private outbox: Message[] = [];
  private withheld: Message[] = [];
  private readyWithheld: Message[] | null = null;
  private readStates: ReadState[] = [];
  private outstanding: Ready | null = null;
  private persistedHardState: HardState;
  private reportedSoftState: SoftState;

  constructor(config: RaftConfig, storage: Storage, prng: Prng) {
    raftConfigValidate(config);
    this.id = config.id;
    this.config = config;
    this.prng = prng;
    this.log = new RaftLog(storage, config.appliedIndex);
    this.persistedHardState = storage.hardState();
    this.term = this.persistedHardState.term;
    this.vote = this.persistedHardState.vote;
    this.baseConfig = storage.snapshot().meta.config;
    this.reads = new ReadOnly(config.pendingReadsMax);
    this.replication = new Replication({
      id: this.id,
      config,
      log: this.log,
      term: () => this.term,
      send: (message) => this.outbox.push(message),
      ticks: () => this.tickCount,
    });
    this.trackConfigEntries(this.log.entries(this.log.firstIndex(), (this.log.lastIndex() + 1) as LogIndex));
    this.reportedSoftState = { leader: null, role: "follower" };
    this.resetElectionTimeout();
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs.

  /** Advances logical time by one tick. How long a tick lasts is the driver's business. */
  tick(): void {
    this.tickCount++;
    if (this.role === "leader") this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (as an expired election timer would). For drivers and tests. */
  campaign(): void {
    this.hup(false);
  }

  /** Handles one message from a peer. Messages for another member or from a stale term are dropped. */
  step(message: Message): void {
    assert(message.to === this.id, `message for ${message.to} stepped into ${this.id}`);
    if (!this.stepTerm(message)) return;
    switch (message.type) {
      case "pre-vote":
      case "vote":
        this.handleVoteRequest(message);
        return;
      case "pre-vote-response":
      case "vote-response":
        this.handleVoteResponse(message);
        return;
      case "append":
        this.becomeFollowerOf(message.from);
        this.handleAppend(message);
        return;
      case "heartbeat":
        this.becomeFollowerOf(message.from);
        this.handleHeartbeat(message);
        return;
      case "snapshot":
        this.becomeFollowerOf(message.from);
        this.handleSnapshot(message);
        return;
      case "append-response":
      case "heartbeat-response":
      case "snapshot-response":
      case "propose":
      case "read-index":
        if (this.role === "leader") this.stepLeader(message);
        return;
      case "timeout-now":
        if (this.role !== "leader") this.hup(true);
        return;
      case "read-index-response":
        if (this.role !== "leader")
          this.readStates.push({ requestId: message.requestId, index: message.index });
        return;
      default:
        assertNever(message);
    }
  }

  /** Proposes a command. On a leader the entry is appended; elsewhere it is forwarded or redirected. */
  propose(data: Uint8Array): ProposeResult {
    if (this.role !== "leader") {
      if (this.leader === null) return { kind: "no-leader" };
      if (!this.config.proposalForwarding) return { kind: "not-leader", leader: this.leader };
      this.send({ type: "propose", from: this.id, to: this.leader, term: this.term, data: [data] });
      return { kind: "forwarded", leader: this.leader };
    }
    if (this.leadTransferee !== null) return { kind: "dropped", reason: "leadership transfer in progress" };
    if (
      this.uncommittedBytes + data.length > this.config.uncommittedBytesMax &&
      this.uncommitted.length > 0
    ) {
      return { kind: "overloaded" };
    }
    const index = this.appendAsLeader([{ type: "normal", term: this.term, index: 0 as LogIndex, data }]);
    return { kind: "accepted", index, term: this.term };
  }

  /** Proposes one membership change; refused while another is uncommitted (H6) or before the term's first commit. */
  proposeConfChange(change: ConfChange): ProposeResult {
    if (this.role !== "leader") {
      return this.leader === null ? { kind: "no-leader" } : { kind: "not-leader", leader: this.leader };
    }
    if (this.leadTransferee !== null) return { kind: "dropped", reason: "leadership transfer in progress" };
    const last = this.configHistory[this.configHistory.length - 1];
    if (!this.config.mutants.twoUncommittedConfChanges) {
      if (last !== undefined && last.index > this.log.committed) {
        return { kind: "dropped", reason: "another configuration change is uncommitted" };
      }
      // The single-server change bug (thesis errata): a new leader must commit in its term first.
      if (!this.committedInCurrentTerm()) return { kind: "dropped", reason: "no commit in this term yet" };
    }
    const refusal = confChangeRefusal(this.configState(), change);
    if (refusal !== null) return { kind: "dropped", reason: refusal };
    const index = this.appendAsLeader([
      { type: "conf-change", term: this.term, index: 0 as LogIndex, change },
    ]);
    return { kind: "accepted", index, term: this.term };
  }

  /**
   * Requests a linearizable read point for `requestId` (ReadIndex, thesis §6.4). The ReadState comes in
   * a later Ready; serve the read once applied reaches its index. A retry must use a new request id.
   */
  readIndex(requestId: string): ReadResult {
    if (this.role === "leader") {
      if (this.leadTransferee !== null) return { kind: "dropped", reason: "leadership transfer in progress" };
      return this.readIndexAtLeader(requestId, this.id) ? { kind: "pending" } : { kind: "overloaded" };
    }
    if (this.leader === null) return { kind: "no-leader" };
    this.send({ type: "read-index", from: this.id, to: this.leader, term: this.term, requestId });
    return { kind: "pending" };
  }

  /**
   * Answers a read from the leader's lease (opt-in, H5): valid only while a quorum acknowledged a
   * heartbeat sent less than an election timeout minus the drift bound ago, never during a transfer.
   */
  leaseRead(): LeaseReadResult {
    if (this.config.readMode !== "lease") return { kind: "refused", reason: "lease reads are off" };
    if (this.role !== "leader") return { kind: "refused", reason: "not the leader" };
    if (this.leaseRevoked || this.leadTransferee !== null)
      return { kind: "refused", reason: "lease revoked by a transfer" };
    if (!this.committedInCurrentTerm()) return { kind: "refused", reason: "no commit in this term yet" };
    const leaseStart = this.replication.quorumAckedSentTick(this.configState().voters);
    const leaseTicks = this.config.electionTimeoutTicks - this.config.leaseDriftTicks;
    if (leaseStart < 0 || this.tickCount >= leaseStart + leaseTicks)
      return { kind: "refused", reason: "lease expired" };
    return { kind: "ok", index: this.log.committed };
  }

  /** Hands leadership to `target` (thesis §3.10): catch it up, then tell it to campaign at once. */
  transferLeadership(target: NodeId): TransferResult {
    if (this.role !== "leader") return { kind: "refused", reason: "not the leader" };
    if (target === this.id) return { kind: "refused", reason: "already the leader" };
    if (!this.configState().voters.includes(target))
      return { kind: "refused", reason: `${target} is not a voter` };
    this.leadTransferee = target;
    this.leaseRevoked = true; // The lease must end before another member may win (H5).
    this.electionElapsed = 0;
    const progress = this.replication.progress.get(target)!;
    if (progress.match === this.log.lastIndex())
      this.send({ type: "timeout-now", from: this.id, to: target, term: this.term });
    else this.replication.sendAppend(target);
    return { kind: "started" };
  }

  /**
   * Tells a follower that the driver lost its connection to `peer` (the process is likely gone).
   * If `peer` is this follower's leader, the follower forgets it, so leader stickiness no longer
   * refuses other members' pre-votes, and campaigns after a short random delay instead of a whole
   * election timeout. Safety never rests on this: votes are still granted only by Figure 2's rules
   * (and Pre-Vote's), and a leader that is in fact alive keeps its term, because the other
   * followers still hear it and refuse the pre-vote. Its next heartbeat restores this follower.
   * Ignored with lease reads: a lease counts on every follower's stickiness for a whole election
   * timeout after it last heard the leader (H5).
   */
  peerUnreachable(peer: NodeId): PeerUnreachableResult {
    if (this.role !== "follower") return { kind: "ignored", reason: `${this.role}, not a follower` };
    if (this.leader !== peer) return { kind: "ignored", reason: "not the leader" };
    if (!this.isPromotable()) return { kind: "ignored", reason: "not a voter" };
    if (this.config.readMode === "lease") return { kind: "ignored", reason: "lease reads need stickiness" };
    this.leader = null;
    this.electionElapsed = 0;
    this.electionHastened = true;
    const ticksMax = Math.min(leaderLostCampaignTicksMax, this.config.electionTimeoutTicks);
    this.electionTimeoutRandomized = 1 + this.prng.below(ticksMax);
    return { kind: "campaign-soon", ticks: this.electionTimeoutRandomized };
  }

  // ---------------------------------------------------------------------------------------------
  // Ready / advance.

  /** Whether ready() has work. False while a Ready is outstanding. */
  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    if (this.outbox.length > 0 || this.withheld.length > 0 || this.readStates.length > 0) return true;
    if (this.replication.hasPending()) return true;
    if (this.log.unstableSnapshot !== null || this.log.hasUnstableEntries()) return true;
    if (this.hardStateChanged() || this.softStateChanged()) return true;
    return this.log.hasCommittedToApply();
  }

  /** Takes the next batch of work. The caller must advance(ready) before taking another. */
  ready(): Ready {
    assert(this.outstanding === null, "advance() the previous Ready first");
    this.replication.flush(this.role === "leader");
    const softState = this.softStateChanged() ? { leader: this.leader, role: this.role } : null;
    const hardState = this.hardStateChanged() ? this.hardState() : null;
    const ready: Ready = {
      softState,
      hardState,
      entries: this.log.unstableEntries(),
      snapshot: this.log.unstableSnapshot,
      messages: this.outbox,
      committedEntries: this.log.takeCommittedEntries(this.config.committedBytesPerReadyMax),
      readStates: this.readStates,
    };
    if (softState !== null) this.reportedSoftState = softState;
    this.outbox = [];
    this.readStates = [];
    this.readyWithheld = this.withheld;
    this.withheld = [];
    this.outstanding = ready;
    return ready;
  }

  /**
   * Takes the messages that are safe to send now, even while a Ready is outstanding: heartbeats and
   * appends never depend on unpersisted state, so a slow disk does not delay them (H12).
   */
  takeMessages(): Message[] {
    this.replication.flush(this.role === "leader");
    const taken = this.outbox;
    this.outbox = [];
    return taken;
  }

  /**
   * Takes the entries committed since the last Ready, to apply while that Ready's writes are still
   * in flight (a pipelined driver: its fsync on a thread pool, its answers not waiting for it).
   * They are as safe to apply as a Ready's: a quorum holds them durably. Call only once the
   * outstanding Ready's committed entries are applied, and apply these at once, in order.
   */
  takeCommittedEntries(): Entry[] {
    const entries = this.log.takeCommittedEntries(this.config.committedBytesPerReadyMax);
    const last = entries[entries.length - 1];
    if (last !== undefined) this.log.appliedTo(last.index);
    return entries;
  }

  /** Takes the read states confirmed since the last Ready (for the same pipelined drivers). */
  takeReadStates(): ReadState[] {
    const taken = this.readStates;
    this.readStates = [];
    return taken;
  }

  /** Acknowledges that `ready` was persisted, sent and applied. Releases the responses it held back. */
  advance(ready: Ready): void {
    assert(this.outstanding === ready, "advance() takes the Ready last returned");
    this.outstanding = null;
    if (ready.hardState !== null) this.persistedHardState = ready.hardState;
    if (ready.snapshot !== null) {
      this.log.stableSnapshotTo(ready.snapshot.meta.index);
      if (ready.snapshot.meta.index > this.log.applied) this.log.applied = ready.snapshot.meta.index;
      if (ready.snapshot.meta.index > this.log.applying) this.log.applying = ready.snapshot.meta.index;
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastApplied !== undefined) this.log.appliedTo(lastApplied.index);
    const withheld = this.readyWithheld;
    if (withheld !== null) for (const message of withheld) this.outbox.push(message);
    this.readyWithheld = null;
    this.afterPersist();
  }

  private afterPersist(): void {
    const hard = this.persistedHardState;
    if (
      this.role === "candidate" &&
      hard.term === this.term &&
      hard.vote === this.id &&
      !this.votes.has(this.id)
    ) {
      this.recordVote(this.id, true);
    }
    if (this.role === "leader" && this.replication.selfPersisted(this.log.persistedLastIndex())) {
      if (this.maybeCommit()) this.commitBroadcast();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection.

  /** The current configuration (the newest one in the log, §4.1). */
  configState(): ConfigState {
    return this.configHistory[this.configHistory.length - 1]?.config ?? this.baseConfig;
  }

  /** The configuration in effect at `index` (for a snapshot taken there); index must not precede the last snapshot. */
  configStateAt(index: LogIndex): ConfigState {
    assert(index >= this.log.firstIndex() - 1, "configuration asked for a compacted index");
    let config = this.baseConfig;
    for (const item of this.configHistory) if (item.index <= index) config = item.config;
    return config;
  }

  /** Whether this member is the leader. */
  isLeader(): boolean {
    return this.role === "leader";
  }

  /** A snapshot of this member's state for tests, logs and the admin API. */
  status(): Status {
    const progress = [...this.replication.progress.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, p]) => ({ id, match: p.match, next: p.next, state: p.state }));
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      config: this.configState(),
      progress,
    };
  }

  /** Checks the local invariants; a failure is a bug. Drivers call it after every step in simulation. */
  invariants(): void {
    assert(this.log.committed <= this.log.lastIndex(), "commit beyond the last index");
    assert(this.log.applied <= this.log.committed, "applied beyond commit");
    assert(this.persistedHardState.term <= this.term, "persisted term ahead of the live term");
    assert(this.role !== "leader" || this.leader === this.id, "a leader leads itself");
    assert(this.role === "leader" || this.replication.progress.size === 0, "only a leader tracks progress");
    assert(this.uncommittedBytes >= 0, "uncommitted bytes went negative");
  }

  // ---------------------------------------------------------------------------------------------
  // Roles.

  private reset(term: Term): void {
    if (term !== this.term) {
      assert(term > this.term, "term never goes back");
      this.term = term;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
    this.votes.clear();
    this.replication.reset();
    this.reads.clear();
    this.leadTransferee = null;
    this.leaseRevoked = false;
    this.stepDownIndex = null;
    this.uncommitted = [];
    this.uncommittedBytes = 0;
  }

  private becomeFollower(term: Term, leader: NodeId | null): void {
    this.reset(term);
    this.role = "follower";
    if (leader !== null) this.acceptLeader(leader);
  }

  private becomeFollowerOf(leader: NodeId): void {
    if (this.role !== "follower") this.becomeFollower(this.term, leader);
    else if (this.leader !== leader) this.acceptLeader(leader);
    this.electionClockRestart();
  }

  private acceptLeader(leader: NodeId): void {
    // Election safety (Figure 2): a term has at most one leader, so no member sees two.
    const seen = this.leaderOfTerm;
    assert(
      seen === null || seen.term !== this.term || seen.leader === leader,
      `two leaders in term ${this.term}`,
    );
    this.leaderOfTerm = { term: this.term, leader };
    this.leader = leader;
  }

  private becomeLeader(): void {
    assert(this.role === "candidate", "only a candidate becomes leader");
    this.reset(this.term);
    this.role = "leader";
    this.acceptLeader(this.id);
    this.replication.start(this.configState(), this.log.lastIndex());
    // The no-op entry lets the leader commit in its term (§5.4.2) and so serve reads (§6.4).
    this.appendAsLeader([{ type: "normal", term: this.term, index: 0 as LogIndex, data: new Uint8Array(0) }]);
  }

  private isPromotable(): boolean {
    return this.configState().voters.includes(this.id);
  }

  private hup(transfer: boolean): void {
    if (this.role === "leader" || !this.isPromotable()) return;
    if (this.log.unstableSnapshot !== null) return; // Wait until the snapshot is persisted.
    if (this.config.preVote && !transfer) this.campaignPre();
    else this.campaignReal(transfer);
  }

  private campaignPre(): void {
    this.reset(this.term);
    this.role = "pre-candidate";
    this.votes.set(this.id, true);
    this.requestVotes("pre-vote", (this.term + 1) as Term, false);
    if (tallyVotes(this.configState().voters, this.votes) === "won") this.campaignReal(false);
  }

  private campaignReal(transfer: boolean): void {
    this.reset((this.term + 1) as Term);
    this.role = "candidate";
    this.vote = this.id;
    // The self-vote counts once the vote is durable (afterPersist), unless a mutant says otherwise.
    if (this.config.mutants.replyBeforePersist || this.config.mutants.voteBeforePersist)
      this.recordVote(this.id, true);
    if (this.role === "candidate") this.requestVotes("vote", this.term, transfer);
  }

  private requestVotes(type: "pre-vote" | "vote", term: Term, transfer: boolean): void {
    for (const voter of this.configState().voters) {
      if (voter === this.id) continue;
      this.outbox.push({
        type,
        from: this.id,
        to: voter,
        term,
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        transfer,
      });
    }
  }

  private recordVote(from: NodeId, granted: boolean): void {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    const tally = tallyVotes(this.configState().voters, this.votes);
    if (tally === "won") {
      if (this.role === "pre-candidate") this.campaignReal(false);
      else this.becomeLeader();
    } else if (tally === "lost") {
      this.becomeFollower(this.term, null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ticks.

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeoutRandomized) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.electionElapsed++;
    this.heartbeatElapsed++;
    if (this.electionElapsed >= this.config.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.replication.quorumActive(this.configState().voters)) {
        this.becomeFollower(this.term, null);
        return;
      }
      this.leadTransferee = null; // A transfer that did not finish within an election timeout is abandoned.
    }
    this.replication.tickSnapshots();
    if (this.heartbeatElapsed >= this.config.heartbeatIntervalTicks) {
      this.heartbeatElapsed = 0;
      this.replication.broadcastHeartbeat();
    }
  }

  private resetElectionTimeout(): void {
    const base = this.config.electionTimeoutTicks;
    this.electionTimeoutRandomized = base + this.prng.below(base);
    this.electionHastened = false;
  }

  /** Heard from a leader or granted a vote: a whole election timeout again, never a hastened one. */
  private electionClockRestart(): void {
    this.electionElapsed = 0;
    if (this.electionHastened) this.resetElectionTimeout();
  }

  // ---------------------------------------------------------------------------------------------
  // Terms and votes.

  /** Applies the term rules of Figure 2 and of Pre-Vote/CheckQuorum; returns false to drop the message. */
  private stepTerm(message: Message): boolean {
    if (message.term > this.term) return this.stepHigherTerm(message);
    if (message.term < this.term) {
      if (
        (message.type === "append" || message.type === "heartbeat") &&
        (this.config.checkQuorum || this.config.preVote)
      ) {
        // A stale leader (e.g. back from a partition) learns the term and steps down.
        this.send({
          type: "append-response",
          from: this.id,
          to: message.from,
          term: this.term,
          reject: true,
          index: 0 as LogIndex,
          hintIndex: 0 as LogIndex,
          hintTerm: 0 as Term,
        });
      } else if (message.type === "pre-vote") {
        this.outbox.push({
          type: "pre-vote-response",
          from: this.id,
          to: message.from,
          term: this.term,
          reject: true,
        });
      }
      return false;
    }
    return true;
  }

  private stepHigherTerm(message: Message): boolean {
    if (message.type === "pre-vote" || message.type === "vote") {
      const inLease =
        this.config.checkQuorum &&
        this.leader !== null &&
        this.electionElapsed < this.config.electionTimeoutTicks;
      // Leader stickiness (H2): a member that hears from a leader ignores campaigns, unless the
      // leader itself handed over (transfer).
      if (inLease && !message.transfer) return false;
      if (message.type === "pre-vote") return true; // Pre-Vote never changes our term.
      this.becomeFollower(message.term, null);
      return true;
    }
    if (message.type === "pre-vote-response" && !message.reject) return true;
    const leader =
      message.type === "append" || message.type === "heartbeat" || message.type === "snapshot"
        ? message.from
        : null;
    this.becomeFollower(message.term, leader);
    return true;
  }

  private handleVoteRequest(message: Extract<Message, { type: "pre-vote" | "vote" }>): void {
    const isPre = message.type === "pre-vote";
    const canVote =
      this.vote === message.from ||
      (this.vote === null && this.leader === null) ||
      (isPre && message.term > this.term);
    const grant = canVote && this.log.isUpToDate(message.lastIndex, message.lastTerm);
    const type = isPre ? "pre-vote-response" : "vote-response";
    const response: Message = {
      type,
      from: this.id,
      to: message.from,
      term: grant ? message.term : this.term,
      reject: !grant,
    };
    if (grant && !isPre) {
      this.electionClockRestart();
      this.vote = message.from;
    }
    // A granted vote promises durable state; it leaves only after the vote is persisted (H9).
    if (isPre || this.config.mutants.voteBeforePersist || this.config.mutants.replyBeforePersist)
      this.outbox.push(response);
    else this.withheld.push(response);
  }

  private handleVoteResponse(
    message: Extract<Message, { type: "pre-vote-response" | "vote-response" }>,
  ): void {
    const expected =
      this.role === "pre-candidate"
        ? "pre-vote-response"
        : this.role === "candidate"
          ? "vote-response"
          : null;
    if (message.type !== expected) return;
    if (this.role === "pre-candidate" && !message.reject && message.term !== this.term + 1) return;
    this.recordVote(message.from, !message.reject);
  }

  // ---------------------------------------------------------------------------------------------
  // Follower side of replication.

  private handleAppend(message: Extract<Message, { type: "append" }>): void {
    const log = this.log;
    if (message.prevIndex < log.committed) {
      this.respondAppend(message.from, false, log.committed);
      return;
    }
    if (!log.matchTerm(message.prevIndex, message.prevTerm)) {
      const hintIndex = log.findConflictByTerm(
        Math.min(message.prevIndex, log.lastIndex()) as LogIndex,
        message.prevTerm,
      );
      const hintTerm = log.term(hintIndex) ?? (0 as Term);
      this.respondAppend(message.from, true, message.prevIndex, hintIndex, hintTerm);
      return;
    }
    const conflict = log.findConflict(message.entries);
    if (conflict !== 0) {
      assert(conflict > log.committed, `entry ${conflict} conflicts with a committed one (log matching)`);
      const first = message.entries[0]!.index;
      this.appendToLog(message.entries.slice(conflict - first));
    }
    const lastNew = (message.prevIndex + message.entries.length) as LogIndex;
    log.commitTo(Math.min(message.commit, lastNew) as LogIndex);
    this.respondAppend(message.from, false, lastNew);
  }

  private respondAppend(
    to: NodeId,
    reject: boolean,
    index: LogIndex,
    hintIndex = 0 as LogIndex,
    hintTerm = 0 as Term,
  ): void {
    const response: Message = {
      type: "append-response",
      from: this.id,
      to,
      term: this.term,
      reject,
      index,
      hintIndex,
      hintTerm,
    };
    // An acknowledgement counts toward commitment, so it waits for the entries to be durable (H9).
    if (this.config.mutants.replyBeforePersist) this.outbox.push(response);
    else this.withheld.push(response);
  }

  private handleHeartbeat(message: Extract<Message, { type: "heartbeat" }>): void {
    this.log.commitTo(Math.min(message.commit, this.log.lastIndex()) as LogIndex);
    this.send({
      type: "heartbeat-response",
      from: this.id,
      to: message.from,
      term: this.term,
      context: message.context,
    });
  }

  private handleSnapshot(message: Extract<Message, { type: "snapshot" }>): void {
    const meta = message.meta;
    if (meta.index <= this.log.committed) {
      this.assembly = null;
      this.respondAppend(message.from, false, this.log.committed);
      return;
    }
    const assembly = this.assembly;
    if (message.offset === 0) {
      this.assembly = {
        index: meta.index,
        term: meta.term,
        parts: [message.chunk],
        bytes: message.chunk.length,
      };
    } else if (
      assembly !== null &&
      assembly.index === meta.index &&
      assembly.term === meta.term &&
      assembly.bytes === message.offset
    ) {
      assembly.parts.push(message.chunk);
      assembly.bytes += message.chunk.length;
    } else {
      const offset =
        assembly !== null && assembly.index === meta.index && assembly.term === meta.term
          ? assembly.bytes
          : 0;
      this.snapshotRespond(message.from, meta.index, offset);
      return;
    }
    if (!message.done) {
      this.snapshotRespond(message.from, meta.index, this.assembly!.bytes);
      return;
    }
    const data = concat(this.assembly!.parts, this.assembly!.bytes);
    this.assembly = null;
    this.restoreSnapshot(message.from, { meta, data });
  }

  /** Tells the leader how much of the snapshot at `index` this member holds: send from `offset`. */
  private snapshotRespond(to: NodeId, index: LogIndex, offset: number): void {
    this.send({ type: "snapshot-response", from: this.id, to, term: this.term, index, offset });
  }

  private restoreSnapshot(
    from: NodeId,
    snapshot: { meta: Extract<Message, { type: "snapshot" }>["meta"]; data: Uint8Array },
  ): void {
    const meta = snapshot.meta;
    if (this.log.matchTerm(meta.index, meta.term)) {
      // Our log already holds the snapshot's last entry, so everything after it agrees with the
      // leader by log matching: keep the suffix and only move commit (H7, hashicorp/raft#704).
      this.log.commitTo(meta.index);
      this.respondAppend(from, false, this.log.lastIndex());
      return;
    }
    // Our entry at the snapshot index conflicts (or is missing), so nothing after it can be
    // trusted: the whole log is replaced by the snapshot. Mutant M6 keeps the tail anyway.
    const last = this.log.lastIndex();
    const kept =
      this.config.mutants.keepConflictAfterSnapshot && last > meta.index
        ? this.log.entries((meta.index + 1) as LogIndex, (last + 1) as LogIndex)
        : [];
    this.log.restore(snapshot);
    this.baseConfig = meta.config;
    this.configHistory = [];
    this.respondAppend(from, false, this.log.append(kept));
  }

  // ---------------------------------------------------------------------------------------------
  // Leader side.

  private stepLeader(
    message: Extract<
      Message,
      { type: "append-response" | "heartbeat-response" | "snapshot-response" | "propose" | "read-index" }
    >,
  ): void {
    if (message.type === "propose") {
      if (this.leadTransferee !== null) return;
      for (const data of message.data) this.propose(data);
      return;
    }
    if (message.type === "read-index") {
      if (this.leadTransferee === null) this.readIndexAtLeader(message.requestId, message.from);
      return;
    }
    const progress = this.replication.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    if (message.type === "append-response") this.handleAppendResponse(message, progress);
    else if (message.type === "heartbeat-response") this.handleHeartbeatResponse(message, progress);
    else this.replication.snapshotResponse(message, progress);
  }

  private handleAppendResponse(
    message: Extract<Message, { type: "append-response" }>,
    progress: Progress,
  ): void {
    if (this.replication.appendResponse(message, progress) !== "matched") return;
    if (this.maybeCommit()) this.commitBroadcast();
    this.replication.sendAppendsTo(message.from);
    if (message.from === this.leadTransferee && progress.match === this.log.lastIndex()) {
      this.send({ type: "timeout-now", from: this.id, to: message.from, term: this.term });
    }
  }

  private handleHeartbeatResponse(
    message: Extract<Message, { type: "heartbeat-response" }>,
    progress: Progress,
  ): void {
    this.replication.heartbeatResponse(message, progress);
    const voters = this.configState().voters;
    for (const read of this.reads.release((context) => this.replication.contextConfirmed(voters, context))) {
      this.respondRead(read.requestId, read.from, read.index);
    }
  }

  private readIndexAtLeader(requestId: string, from: NodeId): boolean {
    if (!this.committedInCurrentTerm() && !this.config.mutants.readIndexBeforeTermCommit) {
      return this.reads.postpone({ requestId, from });
    }
    const voters = this.configState().voters;
    if (voters.length === 1 && voters[0] === this.id) {
      this.respondRead(requestId, from, this.log.committed);
      return true;
    }
    // The next heartbeat round, sent after this read arrived, confirms it; so does any later round.
    // Reads arriving before that round leaves share it (it goes out at the next flush).
    const context = this.replication.readRoundContext();
    if (!this.reads.add({ context, requestId, from, index: this.log.committed })) return false;
    this.replication.readRoundRequested();
    return true;
  }

  private respondRead(requestId: string, from: NodeId, index: LogIndex): void {
    if (from === this.id) this.readStates.push({ requestId, index });
    else
      this.send({ type: "read-index-response", from: this.id, to: from, term: this.term, requestId, index });
  }

  private committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /**
   * The commit index moved: eager mode tells every follower now (an empty append where it lacks
   * no entry); lazy mode lets it ride on the next append with entries or heartbeat (config.ts).
   */
  private commitBroadcast(): void {
    if (this.config.commitBroadcast === "eager") this.replication.broadcastAppend();
  }

  private maybeCommit(): boolean {
    const voters = this.configState().voters;
    if (voters.length === 0) return false;
    const index = this.replication.quorumMatch(voters);
    if (index <= this.log.committed) return false;
    // Figure 8 (§5.4.2): only an entry of the current term is committed by counting replicas.
    if (this.log.term(index) !== this.term && !this.config.mutants.commitOldTermByCount) return false;
    const hadTermCommit = this.committedInCurrentTerm();
    this.log.commitTo(index);
    while (this.uncommitted.length > 0 && this.uncommitted[0]!.index <= index)
      this.uncommittedBytes -= this.uncommitted.shift()!.bytes;
    if (!hadTermCommit && this.committedInCurrentTerm()) {
      for (const read of this.reads.takePostponed()) this.readIndexAtLeader(read.requestId, read.from);
    }
    if (this.stepDownIndex !== null && index >= this.stepDownIndex) {
      // A leader removed from the configuration steps down once the removal is committed (§4.2.2).
      this.replication.broadcastAppend();
      this.becomeFollower(this.term, null);
      return false;
    }
    return true;
  }

  private appendAsLeader(entries: Entry[]): LogIndex {
    let index: number = this.log.lastIndex();
    const term = this.term;
    const stamped: Entry[] = [];
    for (const entry of entries) {
      index += 1;
      // Built whole, not spread: every entry has one of two shapes.
      stamped.push(
        entry.type === "normal"
          ? { type: "normal", term, index: index as LogIndex, data: entry.data }
          : { type: "conf-change", term, index: index as LogIndex, change: entry.change },
      );
    }
    this.appendToLog(stamped);
    for (const entry of stamped) {
      const bytes = entryBytes(entry);
      this.uncommitted.push({ index: entry.index, bytes });
      this.uncommittedBytes += bytes;
    }
    if (this.config.mutants.replyBeforePersist) {
      // M1: count the leader's own log before it is durable (etcd#14370).
      this.replication.selfPersisted(this.log.lastIndex());
      this.maybeCommit();
    }
    // Appends leave at the next ready() or takeMessages(), so proposals between two of them share
    // one append per follower (batching).
    this.replication.appendRequested();
    return index as LogIndex;
  }

  /** Appends to the log and tracks configuration entries; a change takes effect once in the log (§4.1). */
  private appendToLog(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    // The history is in index order: only an append over a configuration entry drops any.
    const newest = this.configHistory[this.configHistory.length - 1];
    if (newest !== undefined && newest.index >= first)
      this.configHistory = this.configHistory.filter((item) => item.index < first);
    this.log.append(entries);
    this.trackConfigEntries(entries);
  }

  private trackConfigEntries(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.type !== "conf-change") continue;
      const before = this.configState();
      const after =
        confChangeRefusal(before, entry.change) === null ? confChangeApply(before, entry.change) : before;
      this.configHistory.push({ index: entry.index, config: after });
      if (this.role !== "leader") continue;
      this.replication.configChanged(after);
      if (!after.voters.includes(this.id)) this.stepDownIndex = entry.index;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending.

  /** Queues a message. Callers build it whole (sender, term and all): one object shape per type. */
  private send(message: Message): void {
    this.outbox.push(message);
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private hardStateChanged(): boolean {
    const persisted = this.persistedHardState;
    return (
      persisted.term !== this.term || persisted.vote !== this.vote || persisted.commit !== this.log.committed
    );
  }

  private softStateChanged(): boolean {
    return this.reportedSoftState.leader !== this.leader || this.reportedSoftState.role !== this.role;
  }
}

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
