// The configuration of one Raft member, with units last in every name, and the mutant flags that
// re-introduce known bugs for the T7 suite (pure code cannot read environment variables, so the
// driver passes them in).

import { assert } from "../../lib/assert.js";
import type { NodeId } from "../../types.js";

/** Known-bug switches. Every flag is false in production; each names its hazard (TESTING.md T7). */
export interface RaftMutants {
  /** M1 (H9, etcd#14370): send responses and count the leader's own log before the write is durable. */
  readonly replyBeforePersist: boolean;
  /** M2 (H4): answer ReadIndex before the leader has committed an entry of its term. */
  readonly readIndexBeforeTermCommit: boolean;
  /** M5 (H8, LogCabin#44): commit an old-term entry by counting its replicas. */
  readonly commitOldTermByCount: boolean;
  /**
   * M6 (H7): on InstallSnapshot, keep the entries after the snapshot index even though our entry
   * at that index conflicts with the snapshot (and acknowledge them as if they matched).
   */
  readonly keepConflictAfterSnapshot: boolean;
  /** M7 (H6): accept a configuration change while another is uncommitted. */
  readonly twoUncommittedConfChanges: boolean;
  /** M9 (H9): send the vote before the vote is durable. */
  readonly voteBeforePersist: boolean;
}

/** Every mutant off. */
export function raftMutantsNone(): RaftMutants {
  return {
    replyBeforePersist: false,
    readIndexBeforeTermCommit: false,
    commitOldTermByCount: false,
    keepConflictAfterSnapshot: false,
    twoUncommittedConfChanges: false,
    voteBeforePersist: false,
  };
}

/** How reads are confirmed: a heartbeat quorum per read (safe) or a clock lease (opt-in). */
export type ReadMode = "read-index" | "lease";

/** The configuration of one member. */
export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without a leader before a member campaigns; the real timeout is drawn in [t, 2t). */
  readonly electionTimeoutTicks: number;
  /** Ticks between heartbeats; must be well below the election timeout. */
  readonly heartbeatIntervalTicks: number;
  /** Pre-Vote (thesis §9.6): campaign only when a quorum would vote (H1). */
  readonly preVote: boolean;
  /** CheckQuorum: a leader without an active quorum for an election timeout steps down (H3); also leader stickiness (H2). */
  readonly checkQuorum: boolean;
  /** Forward a follower's proposals to the leader instead of redirecting the caller. */
  readonly proposalForwarding: boolean;
  /** Most append messages in flight per follower in the replicate state. */
  readonly inflightMessagesMax: number;
  /** Most bytes of entries in flight per follower. */
  readonly inflightBytesMax: number;
  /** Most bytes of entries in one append message (at least one entry is always sent). */
  readonly appendBytesMax: number;
  /** Most bytes of entries in the leader's log that are not yet committed; proposals beyond it are refused. */
  readonly uncommittedBytesMax: number;
  /** Most bytes of committed entries handed out in one Ready. */
  readonly committedBytesPerReadyMax: number;
  /** Size of one InstallSnapshot chunk. */
  readonly snapshotChunkBytes: number;
  /** Most read requests waiting for the first commit of a term or for a heartbeat quorum. */
  readonly pendingReadsMax: number;
  /** Read confirmation. `lease` requires checkQuorum (etcd raft.go; raft-rs#140). */
  readonly readMode: ReadMode;
  /** Ticks subtracted from the lease to cover clock-rate drift between members (H5). */
  readonly leaseDriftTicks: number;
  /**
   * How a leader tells followers that the commit index moved. "eager" (etcd's bcastAppend): at
   * once, in an append to every follower, empty if it lacks no entry (and each is answered).
   * "lazy": on the next append that carries entries, or the next heartbeat (min(match, commit)),
   * so a follower learns it up to a heartbeat interval later; only its own apply waits, which is
   * fine when clients are answered and reads served by the leader alone. Under load with many
   * groups the empty appends and their answers were half of all Raft messages.
   */
  readonly commitBroadcast: "eager" | "lazy";
  /** Index already applied by the state machine at start (usually the snapshot index). */
  readonly appliedIndex: number;
  readonly mutants: RaftMutants;
}

/** The production defaults, for a 100 ms tick: election after 1–2 s, heartbeat every 100 ms. */
export function raftConfigDefault(id: NodeId): RaftConfig {
  return {
    id,
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 1,
    preVote: true,
    checkQuorum: true,
    proposalForwarding: false,
    inflightMessagesMax: 64,
    inflightBytesMax: 8 * 1024 * 1024,
    appendBytesMax: 1024 * 1024,
    uncommittedBytesMax: 64 * 1024 * 1024,
    committedBytesPerReadyMax: 4 * 1024 * 1024,
    snapshotChunkBytes: 512 * 1024,
    pendingReadsMax: 4096,
    readMode: "read-index",
    leaseDriftTicks: 2,
    commitBroadcast: "eager",
    appliedIndex: 0,
    mutants: raftMutantsNone(),
  };
}

/** Checks a configuration's internal consistency; a bad one is a programmer error. */
export function raftConfigValidate(config: RaftConfig): void {
  assert(config.heartbeatIntervalTicks > 0, "heartbeat interval must be positive");
  assert(
    config.electionTimeoutTicks > config.heartbeatIntervalTicks,
    "election timeout must exceed the heartbeat interval",
  );
  assert(config.inflightMessagesMax > 0, "inflightMessagesMax must be positive");
  assert(config.inflightBytesMax > 0, "inflightBytesMax must be positive");
  assert(config.appendBytesMax > 0, "appendBytesMax must be positive");
  assert(config.snapshotChunkBytes > 0, "snapshotChunkBytes must be positive");
  assert(config.pendingReadsMax > 0, "pendingReadsMax must be positive");
  assert(config.readMode !== "lease" || config.checkQuorum, "lease reads require checkQuorum (H5)");
  assert(
    config.leaseDriftTicks >= 0 && config.leaseDriftTicks < config.electionTimeoutTicks,
    "drift bound out of range",
  );
}
