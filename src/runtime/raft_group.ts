// One Raft group hosted by a member: the pure RaftNode, the in-memory Storage it reads (a mirror of
// what the member's one WAL holds for this group), and the state machine its committed entries
// drive. Group 0's machine is the cluster configuration; a data group's is a CpMachine behind the
// partition's session table (exactly-once, H10). The member drives every group from one tick; this
// file knows how to build a group (fresh or from the WAL), apply its entries and snapshot it.

import { assert } from "../lib/assert.js";
import { Prng } from "../lib/prng.js";
import {
  configOfVoters,
  type Entry,
  MemoryStorage,
  type RaftConfig,
  RaftNode,
  type Role,
  type Snapshot,
} from "../protocol/raft/index.js";
import type { GroupRecovery } from "../storage/index.js";
import type { Operation } from "../protocol/client/operations.js";
import type { ApplyContext, CpMachine, CpMachineFactory, MachineResult } from "../structures/machine.js";
import { type SessionConfig, type SessionOutcome, SessionTable } from "../structures/sessions.js";
import type { GroupId, LogIndex, NodeId, PartitionId, Term } from "../types.js";
import {
  type ClusterConfig,
  clusterConfigDecode,
  commandDecode,
  dataSnapshotDecode,
  entryFromWal,
  isCommandMalformed,
  snapshotBodyEncode,
  walSnapshotDecode,
} from "./codec.js";

/** The response recorded for the implicit opening of a session (never sent to a client). */
const sessionOpened: MachineResult = { kind: "ok", result: null };

/** What applying one committed entry did, for answering the client that proposed it. */
export interface Applied {
  readonly index: LogIndex;
  readonly term: Term;
  /** The session outcome of a command; null for a no-op or a configuration entry. */
  readonly outcome: SessionOutcome<MachineResult> | null;
}

/** What a group needs to be built. */
export interface RaftGroupOptions {
  readonly group: GroupId;
  readonly self: NodeId;
  readonly seed: number;
  readonly raft: Omit<RaftConfig, "id" | "appliedIndex">;
  readonly sessions: SessionConfig;
  /** Null for group 0, whose state is the cluster configuration. */
  readonly machineFactory: CpMachineFactory | null;
  /** The voters at index 0, from the partition table (or group 0's member list). */
  readonly bootstrapVoters: readonly NodeId[];
  /** Group 0 only: the configuration it starts from on a fresh bootstrap. */
  readonly bootstrapCluster: ClusterConfig | null;
  /** What the WAL held for this group, or null for a group this member never wrote. */
  readonly recovery: GroupRecovery | null;
}

/** One hosted Raft group: node, storage mirror and state machine. */
export class RaftGroup {
  readonly group: GroupId;
  readonly partition: PartitionId | null;
  readonly node: RaftNode;
  readonly storage: MemoryStorage;
  /** Null for group 0. */
  private machine: CpMachine | null;
  private sessions: SessionTable<MachineResult>;
  private logTimeMs = 0;
  /** The operation `apply` is running through the session table, and where in the log. */
  private applying: Operation | null = null;
  private applyingContext: ApplyContext = { index: 0 as LogIndex, logTimeMs: 0 };
  /**
   * {@link executeApplying} bound once: a closure made per command costs an allocation and, under
   * tsx (which keeps function names), a defineProperty call per command.
   */
  private readonly execute = (): MachineResult => this.executeApplying();
  /** The leader and role as the last Ready's soft state reported them. */
  leader: NodeId | null = null;
  role: Role = "follower";
  /** Group 0's state: the cluster configuration. */
  cluster: ClusterConfig | null;
  appliedIndex: LogIndex;
  /** The term and vote last written to the WAL (they must be durable before any dependent message). */
  persistedTerm: Term;
  persistedVote: NodeId | null;
  persistedCommit: LogIndex;

  constructor(private readonly options: RaftGroupOptions) {
    this.group = options.group;
    this.partition = options.group === 0 ? null : ((options.group - 1) as PartitionId);
    assert((options.group === 0) === (options.machineFactory === null), "only group 0 has no machine");
    this.machine = options.machineFactory?.() ?? null;
    this.sessions = new SessionTable<MachineResult>(options.sessions);
    this.cluster = options.bootstrapCluster;
    const snapshot = this.initialSnapshot();
    this.storage = new MemoryStorage(snapshot);
    this.restoreState(snapshot.data);
    const recovery = options.recovery;
    if (recovery !== null) {
      this.storage.append(recovery.entries.filter((e) => e.index > snapshot.meta.index).map(entryFromWal));
      const hard = recovery.hardState;
      if (hard !== null) {
        const commit = Math.min(Math.max(hard.commit, snapshot.meta.index), this.storage.lastIndex());
        this.storage.setHardState({ term: hard.term, vote: hard.vote, commit: commit as LogIndex });
      }
    }
    const hard = this.storage.hardState();
    this.persistedTerm = hard.term;
    this.persistedVote = hard.vote;
    this.persistedCommit = hard.commit;
    this.appliedIndex = snapshot.meta.index;
    const config: RaftConfig = { ...options.raft, id: options.self, appliedIndex: snapshot.meta.index };
    this.node = new RaftNode(config, this.storage, Prng.derive(options.seed, `raft/${options.group}`));
  }

  /** The snapshot the group starts from: the WAL's, or the bootstrap one at index 0. */
  private initialSnapshot(): Snapshot {
    const stored = this.options.recovery?.snapshot ?? null;
    if (stored !== null) {
      const { config, data } = walSnapshotDecode(stored.data);
      return { meta: { index: stored.index, term: stored.term, config }, data };
    }
    const voters = configOfVoters(this.options.bootstrapVoters);
    return { meta: { index: 0 as LogIndex, term: 0 as Term, config: voters }, data: this.stateEncode() };
  }

  /** Replaces the state machine (and sessions) with a snapshot body. */
  restoreState(data: Uint8Array): void {
    if (this.group === 0) {
      this.cluster = clusterConfigDecode(data);
      return;
    }
    const body = dataSnapshotDecode(data);
    this.machine!.restore(body.machine);
    this.sessions = SessionTable.fromData(this.options.sessions, body.sessions);
    this.logTimeMs = body.logTimeMs;
  }

  /** Serialises the state machine (and sessions) as a snapshot body. */
  stateEncode(): Uint8Array {
    if (this.group === 0) {
      assert(this.cluster !== null, "group 0 has a cluster configuration");
      return snapshotBodyEncode(this.cluster);
    }
    return snapshotBodyEncode({
      machine: this.machine!.snapshot(),
      sessions: this.sessions.toData(),
      logTimeMs: this.logTimeMs,
    });
  }

  /** Installs a snapshot received from the leader. */
  installSnapshot(snapshot: Snapshot): void {
    assert(snapshot.meta.index > this.appliedIndex, "a snapshot only moves the state forward");
    this.restoreState(snapshot.data);
    this.appliedIndex = snapshot.meta.index;
  }

  /** Applies one committed entry, in log order, exactly once. */
  apply(entry: Entry): Applied {
    assert(
      entry.index === this.appliedIndex + 1,
      `group ${this.group}: applies ${entry.index} after ${this.appliedIndex}`,
    );
    this.appliedIndex = entry.index;
    if (entry.type !== "normal" || this.machine === null)
      return { index: entry.index, term: entry.term, outcome: null };
    const command = commandDecode(entry.data);
    if (command === null) return { index: entry.index, term: entry.term, outcome: null };
    // Every replica holds the same bytes at this index: a command that does not decode is damage
    // (or a bug in the leader that wrote it), never client input, which was validated before it
    // was proposed. Skipping it would hide the damage, so stop as on any corruption.
    if (isCommandMalformed(command))
      assert(false, `group ${this.group}: entry ${entry.index} holds no command: ${command.malformed}`);
    // The leader stamps log time; a new leader's clock may lag the old one's, and every replica
    // takes the same maximum, so log time never goes back and stays identical on all replicas.
    this.logTimeMs = Math.max(this.logTimeMs, command.logTimeMs);
    this.applying = command.operation;
    this.applyingContext = { index: entry.index, logTimeMs: this.logTimeMs };
    const execute = this.execute;
    let outcome = this.sessions.apply(command.clientId, command.sequence, this.logTimeMs, execute);
    if (outcome.kind === "expired") {
      // Client sequence numbers are global to a client, sessions are per partition: the first
      // command a partition sees from a client usually has a sequence above 1. Register the session
      // at 1 and apply the command under its own number, identically on every replica; retries of
      // it are then duplicates. The cost: a session evicted (after sessionExpiryMs of log time or
      // beyond sessionsMax) cannot be told from a new one, so a retry that late executes again.
      this.sessions.apply(command.clientId, 1, this.logTimeMs, () => sessionOpened);
      outcome = this.sessions.apply(command.clientId, command.sequence, this.logTimeMs, execute);
    }
    this.applying = null;
    return { index: entry.index, term: entry.term, outcome };
  }

  /** Runs the operation being applied on the machine: the session table calls it at most once. */
  private executeApplying(): MachineResult {
    assert(this.applying !== null && this.machine !== null, "a command is being applied");
    return this.machine.apply(this.applying, this.applyingContext);
  }

  /** Answers a read-only operation from the applied state (after ReadIndex confirmed it is current). */
  read(operation: Parameters<CpMachine["read"]>[0]): MachineResult {
    assert(this.machine !== null, "group 0 serves no reads");
    return this.machine.read(operation, { index: this.appliedIndex, logTimeMs: this.logTimeMs });
  }

  /** A hash of the applied state, equal on replicas that applied the same entries. */
  digest(): number {
    if (this.machine === null) return 0;
    return this.machine.digest();
  }
}
