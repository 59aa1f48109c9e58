// The options of a Member, with units last in every name, and the production defaults.

import type { Limits } from "../limits.js";
import { limitsDefault } from "../limits.js";
import { partitionCountDefault } from "../protocol/placement/index.js";
import { type RaftConfig, raftConfigDefault } from "../protocol/raft/index.js";
import type { Checksum, WalConfig } from "../storage/index.js";
import { walConfigDefault } from "../storage/index.js";
import type { CpMachineFactory } from "../structures/machine.js";
import { type SessionConfig, sessionConfigDefault } from "../structures/sessions.js";
import type { Address, NodeId } from "../types.js";

/** Callbacks for metrics; each runs inside the tick and must be cheap. */
export interface MemberHooks {
  /** One client request answered, with its kind and how long it took. */
  requestDone?(kind: "write" | "read" | "routing", outcome: string, durationMs: number): void;
  /** One WAL sync (group commit) and the entries it made durable. */
  walSynced?(durationMs: number, entryCount: number): void;
  /** One proposal handed to Raft. */
  proposed?(group: number): void;
}

/** Counters for the admin API and tests. */
export interface MemberStats {
  ticks: number;
  /** Passes of step, persist and send run between ticks because frames arrived. */
  passes: number;
  framesReceived: number;
  framesDropped: number;
  framesInvalid: number;
  framesSent: number;
  sendsRefused: number;
  walSyncs: number;
  walEntries: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  proposals: number;
  leaderTransfers: number;
}

/** How to run one member. */
export interface MemberOptions {
  readonly nodeId: NodeId;
  readonly clusterName: string;
  /** Where this member's admin endpoint listens, for the member list ("" for none). */
  readonly adminAddress: string;
  /** Addresses of members to introduce ourselves to while the cluster forms. */
  readonly join: readonly Address[];
  /** Members that must see each other before the cluster forms. */
  readonly expect: number;
  /** P, fixed at bootstrap. */
  readonly partitionCount: number;
  readonly replicaCountMax: number;
  /** The one timer's period: every core ticks once per period. */
  readonly tickMs: number;
  readonly raft: Omit<RaftConfig, "id" | "appliedIndex">;
  readonly sessions: SessionConfig;
  readonly machineFactory: CpMachineFactory;
  /** A group takes a snapshot and compacts after this many applied entries. */
  readonly snapshotEntries: number;
  readonly wal: WalConfig;
  /** CRC-32 for the WAL (the platform passes node:zlib's). */
  readonly walChecksum: Checksum | null;
  readonly limits: Limits;
  /** Most frames held between two ticks; beyond it frames are dropped and counted. */
  readonly inboundFramesMax: number;
  /** Most frames stepped in one tick; the rest wait for the next. */
  readonly inboundFramesPerTickMax: number;
  /** Ticks between hellos while the cluster forms. */
  readonly helloIntervalTicks: number;
  /** Longest a client request may wait, whatever it asks for. */
  readonly requestTimeoutMsMax: number;
  /** A peer unheard for this long is reported unreachable. */
  readonly peerSilentMs: number;
  /**
   * Ticks between two rounds of leader balancing: a leader hands a group to the partition's
   * preferred replica (the table row's first) once that replica is alive and caught up. 0: never.
   */
  readonly leaderBalanceIntervalTicks: number;
  /** Most leadership transfers one balancing round starts. */
  readonly leaderBalanceTransfersMax: number;
  /** Check every core's invariants after every tick (simulation and tests). */
  readonly checkInvariants: boolean;
  readonly hooks: MemberHooks;
}

/** Production defaults: 50 ms ticks, election after 0.5–1 s, heartbeats every 100 ms. */
export function memberOptionsDefault(nodeId: NodeId, machineFactory: CpMachineFactory): MemberOptions {
  const raft = raftConfigDefault(nodeId);
  return {
    nodeId,
    clusterName: "shoal",
    adminAddress: "",
    join: [],
    expect: 1,
    partitionCount: partitionCountDefault,
    replicaCountMax: 3,
    tickMs: 50,
    // Lazy commit broadcast: clients are answered and reads served by leaders alone (config.ts).
    raft: { ...raft, electionTimeoutTicks: 10, heartbeatIntervalTicks: 2, commitBroadcast: "lazy" },
    sessions: sessionConfigDefault(),
    machineFactory,
    snapshotEntries: 10_000,
    wal: walConfigDefault(""),
    walChecksum: null,
    limits: limitsDefault(),
    inboundFramesMax: 65_536,
    inboundFramesPerTickMax: 16_384,
    helloIntervalTicks: 4,
    requestTimeoutMsMax: 60_000,
    peerSilentMs: 2_000,
    leaderBalanceIntervalTicks: 40,
    leaderBalanceTransfersMax: 8,
    checkInvariants: false,
    hooks: {},
  };
}
