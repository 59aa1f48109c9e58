// The member's view of itself and the cluster, as plain JSON: what `/api/status` serves and
// `shoal status --json` prints. A member's state is SWIM's view of it (alive / suspect / dead /
// left) once SWIM knows it; before that (the cluster is still forming, or SWIM has not yet met
// it) it is "alive" when the peer was heard from within peerSilentMs, else "unreachable".

import type { MemberView } from "../protocol/swim/index.js";
import type { NodeId } from "../types.js";
import type { ClusterConfig } from "./codec.js";
import type { MemberOptions, MemberStats } from "./member_options.js";
import type { RaftGroup } from "./raft_group.js";

/** One member as this member sees it. */
export interface MemberStatusPeer {
  readonly nodeId: string;
  readonly address: string;
  readonly adminAddress: string;
  readonly state: "self" | "alive" | "suspect" | "dead" | "left" | "unreachable";
  /** Milliseconds since it was last heard from on Raft traffic; null for self or never. */
  readonly silentMs: number | null;
  /** SWIM's incarnation of it; absent for self (see {@link MemberStatus.incarnation}) and while SWIM does not know it. */
  readonly incarnation?: number;
}

/** One hosted Raft group. */
export interface MemberStatusGroup {
  readonly group: number;
  /** The partition, or null for group 0. */
  readonly partition: number | null;
  readonly role: string;
  readonly leader: string | null;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly voters: readonly string[];
  /** The state machine's digest at `applied`. */
  readonly digest: number;
}

/** Everything `/api/status` returns. */
export interface MemberStatus {
  readonly nodeId: string;
  readonly address: string;
  readonly clusterName: string;
  readonly formed: boolean;
  /** Ready: formed, and every hosted group knows a leader. */
  readonly ready: boolean;
  readonly uptimeMs: number;
  /** This member's own SWIM incarnation. */
  readonly incarnation: number;
  readonly partitionCount: number;
  readonly members: readonly MemberStatusPeer[];
  readonly groups: readonly MemberStatusGroup[];
  readonly stats: Readonly<MemberStats>;
  readonly pendingRequests: number;
  readonly wal: { readonly syncs: number; readonly entriesAppended: number; readonly segments: number };
}

/** What {@link memberStatusOf} reads. */
export interface StatusSource {
  readonly nodeId: NodeId;
  readonly options: MemberOptions;
  readonly cluster: ClusterConfig | null;
  readonly groups: ReadonlyMap<number, RaftGroup>;
  readonly lastHeardMs: ReadonlyMap<NodeId, number>;
  readonly swim: {
    readonly core: { readonly incarnation: number; memberView(member: NodeId): MemberView | null };
  };
  readonly stats: Readonly<MemberStats>;
  readonly startedMs: number;
  readonly environment: {
    readonly clock: { nowMs(): number };
    readonly transport: { readonly localAddress: string };
  };
  readonly clients: { readonly pendingCount: number };
  readonly wal: { readonly stats: { syncs: number; entriesAppended: number }; readonly segmentCount: number };
}

function groupStatus(group: RaftGroup): MemberStatusGroup {
  const status = group.node.status();
  return {
    group: group.group,
    partition: group.partition,
    role: status.role,
    leader: status.leader,
    term: status.term,
    commit: status.commit,
    applied: group.appliedIndex,
    lastIndex: status.lastIndex,
    snapshotIndex: group.storage.snapshot().meta.index,
    voters: status.config.voters,
    digest: group.digest(),
  };
}

/** Builds the status of a member. */
export function memberStatusOf(source: StatusSource): MemberStatus {
  const nowMs = source.environment.clock.nowMs();
  const members: MemberStatusPeer[] = (source.cluster?.members ?? []).map((m) => {
    if (m.nodeId === source.nodeId) return { ...m, state: "self", silentMs: null };
    const heard = source.lastHeardMs.get(m.nodeId);
    const silentMs = heard === undefined ? null : nowMs - heard;
    const view = source.swim.core.memberView(m.nodeId as NodeId);
    if (view !== null) return { ...m, state: view.state, silentMs, incarnation: view.incarnation };
    const alive = silentMs !== null && silentMs <= source.options.peerSilentMs;
    return { ...m, state: alive ? "alive" : "unreachable", silentMs };
  });
  const groups = [...source.groups.values()].sort((a, b) => a.group - b.group).map(groupStatus);
  const formed = source.cluster !== null;
  return {
    nodeId: source.nodeId,
    address: source.environment.transport.localAddress,
    clusterName: source.options.clusterName,
    formed,
    ready: formed && groups.every((g) => g.leader !== null),
    uptimeMs: nowMs - source.startedMs,
    incarnation: source.swim.core.incarnation,
    partitionCount: source.cluster?.table.partitionCount ?? 0,
    members,
    groups,
    stats: { ...source.stats },
    pendingRequests: source.clients.pendingCount,
    wal: {
      syncs: source.wal.stats.syncs,
      entriesAppended: source.wal.stats.entriesAppended,
      segments: source.wal.segmentCount,
    },
  };
}
