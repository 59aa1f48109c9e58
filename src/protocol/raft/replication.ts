// The leader's side of replication (etcd's tracker plus the send half of raft.go): one Progress per
// follower and learner, appends pipelined under flow control, InstallSnapshot in chunks, heartbeat
// rounds with their contexts (ReadIndex confirmation, H4) and send ticks (leases, H5), and the
// activity record CheckQuorum reads (H3). Sends batched between two flushes: proposals share one
// append per follower, and reads share one heartbeat round. It decides nothing about terms, votes
// or commitment: the RaftNode owns those and asks this for the facts it needs (quorum match,
// acknowledged contexts, activity).

import type { LogIndex, NodeId, Term } from "../../types.js";
import type { RaftConfig } from "./config.js";
import { quorumMatchIndex, quorumSize } from "./membership.js";
import { Progress } from "./progress.js";
import { entryBytes, type RaftLog } from "./raft_log.js";
import type { ConfigState, Message } from "./types.js";

/** Most heartbeat contexts whose send tick the leader remembers for leases. */
const contextTicksMax = 256;

/** The facts about its node that the replicator reads. */
export interface ReplicationHost {
  readonly id: NodeId;
  readonly config: RaftConfig;
  readonly log: RaftLog;
  /** The node's current term, which every message it sends carries. */
  term(): Term;
  /** Queues a message (built whole, one object shape per type: no copy on the way out). */
  send(message: Message): void;
  /** Ticks since the node started (heartbeat send times, for leases). */
  ticks(): number;
}

/** What an append response did to the follower's progress. */
export type AppendResponseOutcome = "ignored" | "rejected" | "matched";

/** The leader's per-follower replication state and sending. Empty on a member that does not lead. */
export class Replication {
  readonly progress = new Map<NodeId, Progress>();
  private heartbeatContext = 0;
  private readonly contextTicks = new Map<number, number>();
  private appendPending = false;
  /** Reads arrived since the last heartbeat round; one round at the next flush confirms them all. */
  private readRoundPending = false;

  constructor(private readonly host: ReplicationHost) {}

  /** Forgets every follower (the node left the leader role, or is about to take it). */
  reset(): void {
    this.progress.clear();
    this.readRoundPending = false;
  }

  /** Starts tracking every member of `config` as a new leader whose log ends at `lastIndex`. */
  start(config: ConfigState, lastIndex: LogIndex): void {
    const self = this.host.id;
    for (const id of [...config.voters, ...config.learners]) {
      const progress = new Progress((lastIndex + 1) as LogIndex, config.learners.includes(id));
      if (id === self) {
        progress.match = this.host.log.persistedLastIndex();
        progress.becomeReplicate();
      }
      this.progress.set(id, progress);
    }
  }

  /** Tracks exactly the members of `config`: new ones from the end of the log, removed ones dropped. */
  configChanged(config: ConfigState): void {
    const members = new Set([...config.voters, ...config.learners]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const existing = this.progress.get(id);
      if (existing === undefined)
        this.progress.set(
          id,
          new Progress((this.host.log.lastIndex() + 1) as LogIndex, config.learners.includes(id)),
        );
      else existing.isLearner = config.learners.includes(id);
    }
  }

  /** Whether a flush has something to send. */
  hasPending(): boolean {
    return this.appendPending || this.readRoundPending;
  }

  /** Asks for one append per follower at the next flush (proposals in between share it). */
  appendRequested(): void {
    this.appendPending = true;
  }

  /**
   * The context of the next heartbeat round: every round sent from now on has at least this
   * context and none sent before does, so a read that waits for a quorum of acknowledgements of it
   * is confirmed only by a round sent after the read arrived (H4).
   */
  readRoundContext(): number {
    return this.heartbeatContext + 1;
  }

  /** Asks for a heartbeat round at the next flush (reads in between share it), unless a tick sends one first. */
  readRoundRequested(): void {
    this.readRoundPending = true;
  }

  /** Sends what was asked for since the last flush; a member that no longer leads sends nothing. */
  flush(isLeader: boolean): void {
    if (this.appendPending) {
      this.appendPending = false;
      // New entries to send. A follower already sent all of them (pipelined) gets an empty append
      // only in eager commit broadcast, where empty appends carry the commit index (config.ts).
      if (isLeader) this.broadcastAppend(this.host.config.commitBroadcast === "eager");
    }
    if (this.readRoundPending) {
      this.readRoundPending = false;
      if (isLeader) this.broadcastHeartbeat();
    }
  }

  /** The highest index a quorum of `voters` has stored (the node's own entry counts once durable). */
  quorumMatch(voters: readonly NodeId[]): LogIndex {
    return quorumMatchIndex(voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** Records that the node's own log is durable up to `index`; true if that moved its match. */
  selfPersisted(index: LogIndex): boolean {
    return this.progress.get(this.host.id)?.maybeUpdate(index) ?? false;
  }

  /** Whether a quorum of `voters` acknowledged heartbeat `context` or a later one. */
  contextConfirmed(voters: readonly NodeId[], context: number): boolean {
    let acks = 0;
    for (const voter of voters) {
      if (voter === this.host.id || (this.progress.get(voter)?.ackedContext ?? -1) >= context) acks++;
    }
    return acks >= quorumSize(voters.length);
  }

  /**
   * The send tick of the newest heartbeat a quorum of `voters` acknowledged (the node's own counts
   * as now), or -1 if none: a lease runs from there (H5).
   */
  quorumAckedSentTick(voters: readonly NodeId[]): number {
    const sent = voters.map((id) =>
      id === this.host.id ? this.host.ticks() : (this.progress.get(id)?.ackedSentTick ?? -1),
    );
    sent.sort((a, b) => b - a);
    return sent[quorumSize(voters.length) - 1]!;
  }

  /** CheckQuorum: whether a quorum of `voters` was heard since the last call, which starts a new round. */
  quorumActive(voters: readonly NodeId[]): boolean {
    let active = 0;
    for (const voter of voters) {
      const progress = this.progress.get(voter);
      if (voter === this.host.id || progress?.recentActive === true) active++;
      if (progress !== undefined) progress.recentActive = false;
    }
    return voters.length === 0 || active >= quorumSize(voters.length);
  }

  /** Resends the current chunk to followers whose snapshot transfer has been idle an election timeout. */
  tickSnapshots(): void {
    for (const [id, progress] of this.progress) {
      if (progress.state !== "snapshot" || id === this.host.id) continue;
      progress.snapshotTicksIdle++;
      if (progress.snapshotTicksIdle >= this.host.config.electionTimeoutTicks)
        this.sendSnapshotChunk(id, progress);
    }
  }

  /**
   * Applies an append acknowledgement or rejection to `progress`. A rejection backs `next` off
   * (using the follower's hint) and probes again. "matched": the follower's match moved, or a probe
   * found it; the caller may commit, then sends more with {@link sendAppendsTo}.
   */
  appendResponse(
    message: Extract<Message, { type: "append-response" }>,
    progress: Progress,
  ): AppendResponseOutcome {
    const log = this.host.log;
    if (message.reject) {
      const hint =
        message.hintTerm > 0
          ? log.findConflictByTerm(message.hintIndex, message.hintTerm)
          : message.hintIndex;
      if (progress.maybeDecreaseTo(message.index, hint)) {
        if (progress.state === "replicate") progress.becomeProbe();
        this.sendAppend(message.from);
      }
      return "rejected";
    }
    const moved = progress.maybeUpdate(message.index);
    if (!moved && !(progress.match === message.index && progress.state === "probe")) return "ignored";
    if (progress.state === "probe") progress.becomeReplicate();
    else if (progress.state === "snapshot" && progress.match >= progress.snapshotIndex)
      progress.becomeProbe();
    return "matched";
  }

  /** A heartbeat acknowledgement: unblocks flow control, catches the follower up, records the context. */
  heartbeatResponse(message: Extract<Message, { type: "heartbeat-response" }>, progress: Progress): void {
    const config = this.host.config;
    progress.probeSent = false;
    if (
      progress.state === "replicate" &&
      progress.isPaused(config.inflightMessagesMax, config.inflightBytesMax)
    ) {
      progress.freeFirstInflight();
    }
    if (progress.match < this.host.log.lastIndex()) this.sendAppend(message.from);
    if (message.context > progress.ackedContext) {
      progress.ackedContext = message.context;
      progress.ackedSentTick = this.contextTicks.get(message.context) ?? progress.ackedSentTick;
    }
  }

  /** A snapshot chunk acknowledgement: sends the next chunk from the offset the follower names. */
  snapshotResponse(message: Extract<Message, { type: "snapshot-response" }>, progress: Progress): void {
    if (progress.state !== "snapshot" || message.index !== progress.snapshotIndex) return;
    progress.snapshotOffset = message.offset;
    this.sendSnapshotChunk(message.from, progress);
  }

  /** Sends `to` every append flow control allows now, none of them empty. */
  sendAppendsTo(to: NodeId): void {
    while (this.sendAppend(to, false)) {}
  }

  /**
   * Sends every follower what it lacks, pipelined in the replicate state; a follower that lacks
   * nothing gets an empty append (carrying the commit index) only if `sendIfEmpty`.
   */
  broadcastAppend(sendIfEmpty = true): void {
    for (const id of this.progress.keys()) {
      if (id === this.host.id) continue;
      // Pipeline in the replicate state until the log is sent or the in-flight window is full.
      for (
        let sent = this.sendAppend(id, sendIfEmpty);
        sent && this.progress.get(id)?.state === "replicate";
      ) {
        sent = this.sendAppend(id, false);
      }
    }
  }

  /** Sends one heartbeat round with a fresh context. */
  broadcastHeartbeat(): void {
    // Every round gets a fresh context so that its send tick is exact (leases) and reads are never
    // confirmed by an acknowledgement of a round sent before they arrived. Any round confirms the
    // reads waiting for one, so a tick's round also satisfies a pending read round.
    this.readRoundPending = false;
    const context = ++this.heartbeatContext;
    this.contextTicks.set(context, this.host.ticks());
    if (this.contextTicks.size > contextTicksMax)
      this.contextTicks.delete(this.contextTicks.keys().next().value!);
    const committed = this.host.log.committed;
    const self = this.host.id;
    const term = this.host.term();
    for (const [id, progress] of this.progress) {
      if (id === self) continue;
      const commit = Math.min(progress.match, committed) as LogIndex;
      this.host.send({ type: "heartbeat", from: self, to: id, term, commit, context });
    }
  }

  /** Sends an append (or a snapshot) to `to` if flow control allows; returns whether entries went out. */
  sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const { config, log } = this.host;
    const progress = this.progress.get(to);
    if (progress === undefined || progress.isPaused(config.inflightMessagesMax, config.inflightBytesMax))
      return false;
    const prevIndex = (progress.next - 1) as LogIndex;
    const prevTerm = log.term(prevIndex);
    if (prevTerm === null || progress.next < log.firstIndex()) {
      progress.becomeSnapshot(log.snapshot().meta.index);
      this.sendSnapshotChunk(to, progress);
      return false;
    }
    const entries = log.entries(progress.next, (log.lastIndex() + 1) as LogIndex, config.appendBytesMax);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.host.send({
      type: "append",
      from: this.host.id,
      to,
      term: this.host.term(),
      prevIndex,
      prevTerm,
      entries,
      commit: log.committed,
    });
    let bytes = 0;
    for (const entry of entries) bytes += entryBytes(entry);
    progress.sentEntries(entries[entries.length - 1]?.index ?? prevIndex, bytes);
    return entries.length > 0;
  }

  private sendSnapshotChunk(to: NodeId, progress: Progress): void {
    const snapshot = this.host.log.snapshot();
    if (snapshot.meta.index !== progress.snapshotIndex) progress.becomeSnapshot(snapshot.meta.index);
    const offset = Math.min(progress.snapshotOffset, snapshot.data.length);
    const chunk = snapshot.data.subarray(offset, offset + this.host.config.snapshotChunkBytes);
    const done = offset + chunk.length >= snapshot.data.length;
    progress.snapshotTicksIdle = 0;
    const { id: from } = this.host;
    const term = this.host.term();
    this.host.send({ type: "snapshot", from, to, term, meta: snapshot.meta, offset, chunk, done });
  }
}
