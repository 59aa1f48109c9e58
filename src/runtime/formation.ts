// Cluster formation (bootstrap). Members started with `--expect N` and a join list introduce
// themselves in `raft-batch` frames that carry a Hello and no messages, and pass on every member
// they have heard of. Once a member knows N members (itself included) it computes the cluster
// configuration from the sorted member set: group 0's voters and the partition table by
// rendezvous hashing. All N compute the same configuration from the same set, so each starts its
// groups with the same initial voters without a round of agreement (etcd's initial-cluster). A
// member that already has a configuration hands it to any member still forming, which adopts it
// if it names that member. Start exactly N members with --expect N: a member set larger than N
// seen by some and not others would give different tables.

import { assert } from "../lib/assert.js";
import { bootstrapTable, normalizeMembers, type PlacementConfig } from "../protocol/placement/index.js";
import type { NodeId } from "../types.js";
import type { ClusterConfig, ClusterMember, Hello } from "./codec.js";

/** Most voters of group 0 (DESIGN.md: up to 5). */
export const configGroupVotersMax = 5;

/** Most members a forming member keeps track of. */
export const formationMembersMax = 1024;

/** The voters of group 0 for a configuration: the first five members by id. */
export function configGroupVoters(cluster: ClusterConfig): NodeId[] {
  return normalizeMembers(cluster.members.map((m) => m.nodeId)).slice(0, configGroupVotersMax);
}

/** Builds the configuration of a new cluster from its member set. */
export function clusterConfigBuild(
  clusterName: string,
  members: readonly ClusterMember[],
  placement: PlacementConfig,
): ClusterConfig {
  const sorted = [...members].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  const table = bootstrapTable(
    sorted.map((m) => m.nodeId),
    placement,
  );
  return { clusterName, members: sorted, table };
}

/** What a forming member knows: the members it heard of. */
export class Formation {
  private readonly known = new Map<NodeId, ClusterMember>();

  constructor(
    private readonly self: ClusterMember,
    readonly expect: number,
  ) {
    assert(expect >= 1, "--expect must be at least 1");
    this.known.set(self.nodeId, self);
  }

  /** Merges what a hello says; returns whether anything new was learned. */
  observe(hello: Hello): boolean {
    let learned = false;
    for (const member of [hello.member, ...hello.known]) {
      if (this.known.has(member.nodeId) || this.known.size >= formationMembersMax) continue;
      this.known.set(member.nodeId, member);
      learned = true;
    }
    return learned;
  }

  /** The hello this member sends. */
  hello(cluster: ClusterConfig | null): Hello {
    return { member: this.self, known: [...this.known.values()], expect: this.expect, cluster };
  }

  /** Every known member but this one. */
  others(): ClusterMember[] {
    return [...this.known.values()].filter((m) => m.nodeId !== this.self.nodeId);
  }

  /** Whether enough members are known to form the cluster. */
  isComplete(): boolean {
    return this.known.size >= this.expect;
  }

  /** The known members, sorted by id. */
  members(): ClusterMember[] {
    return [...this.known.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }
}
