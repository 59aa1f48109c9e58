// The partition table: for each of the P partitions, its ordered replica list (the Raft voters of
// that partition's group) and the learners being added to it, each with a version; the table as a
// whole has a version too (its epoch). Group 0 holds the table and changes it only by committing
// moves (planner.ts), so every member that has applied the same prefix of group 0's log holds the
// same table. The table is plain data: it travels in Raft entries and wire messages as it is.

import { assert } from "../../lib/assert.js";
import { type GroupId, groupId, type NodeId, type PartitionId, partitionId } from "../../types.js";
import { assertPartitionCount, partitionCountDefault } from "./partition_of.js";
import { RendezvousRanker, replicaCountLimit } from "./rendezvous.js";

/** The most members a table may place replicas on. */
export const membersMax = 1024;

/** The shape of a placement, fixed when the cluster bootstraps. */
export interface PlacementConfig {
  /** Number of partitions, P. Fixed for the life of the cluster. */
  readonly partitionCount: number;
  /** Replicas per partition when there are enough members; R = min(replicaCountMax, members). */
  readonly replicaCountMax: number;
}

/** Returns the default placement: 64 partitions, 3 replicas each. */
export function placementConfigDefault(): PlacementConfig {
  return { partitionCount: partitionCountDefault, replicaCountMax: 3 };
}

/** One partition's row of the table. */
export interface PartitionReplicas {
  /** The partition, equal to the row's index. */
  readonly partition: PartitionId;
  /** Bumped by every move that changes this row; starts at 1. */
  readonly version: number;
  /** The voters, in rendezvous rank order for this partition (preferredLeaders picks the leader). */
  readonly replicas: readonly NodeId[];
  /** Nodes catching up before promotion, in rank order; disjoint from `replicas`. */
  readonly learners: readonly NodeId[];
}

/** The partition -> replicas table group 0 holds. */
export interface PartitionTable {
  /** The table's epoch: bumped by every applied move; starts at 1. */
  readonly version: number;
  /** P, fixed at bootstrap. */
  readonly partitionCount: number;
  /** R's upper bound, fixed at bootstrap. */
  readonly replicaCountMax: number;
  /** The members replicas are placed on, sorted by id, without duplicates. */
  readonly members: readonly NodeId[];
  /** One row per partition, row p for partition p. */
  readonly partitions: readonly PartitionReplicas[];
}

/** Returns R for a cluster of `memberCount` members: min(replicaCountMax, memberCount). */
export function replicaCountFor(memberCount: number, replicaCountMax: number): number {
  assert(memberCount >= 1, "a placement needs at least one member");
  assert(replicaCountMax >= 1 && replicaCountMax <= replicaCountLimit);
  return Math.min(replicaCountMax, memberCount);
}

/**
 * Returns `members` sorted by id. Two members holding the same set in different orders get the
 * same list, which is what makes every member compute the same placement. An empty, oversized or
 * duplicated list is a bug in the caller's membership view and fails an assertion.
 */
export function normalizeMembers(members: readonly NodeId[]): NodeId[] {
  const problem = membersProblem(members);
  assert(problem === null, problem ?? "");
  return [...members].sort(compareNodeIds);
}

/** Returns why `members` cannot be a table's member set (empty, too many, a duplicate), or null. */
export function membersProblem(members: readonly NodeId[]): string | null {
  if (members.length < 1) return "a placement needs at least one member";
  if (members.length > membersMax) return `${members.length} members > membersMax ${membersMax}`;
  const sorted = [...members].sort(compareNodeIds);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1] === sorted[i]) return `duplicate member ${sorted[i]}`;
  }
  return null;
}

/** Orders node ids by UTF-16 code units, the same on every platform. */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Returns the replicas rendezvous hashing gives every partition for `members`, row p for p. */
export function placeAll(
  members: readonly NodeId[],
  config: PlacementConfig,
  ranker: RendezvousRanker = new RendezvousRanker(),
): NodeId[][] {
  assertPartitionCount(config.partitionCount);
  const replicaCount = replicaCountFor(members.length, config.replicaCountMax);
  const rows: NodeId[][] = [];
  for (let p = 0; p < config.partitionCount; p++) {
    rows.push(ranker.place(members, partitionId(p), replicaCount));
  }
  return rows;
}

/** Returns the first table of a cluster: version 1, replicas placed by rendezvous hashing. */
export function bootstrapTable(members: readonly NodeId[], config: PlacementConfig): PartitionTable {
  const sorted = normalizeMembers(members);
  const rows = placeAll(sorted, config);
  const table: PartitionTable = {
    version: 1,
    partitionCount: config.partitionCount,
    replicaCountMax: config.replicaCountMax,
    members: sorted,
    partitions: rows.map((replicas, p) => ({
      partition: partitionId(p),
      version: 1,
      replicas,
      learners: [],
    })),
  };
  assertTableInvariants(table);
  return table;
}

/** Returns the Raft group of `partition`: group 0 holds the configuration, group 1 + p partition p. */
export function groupOfPartition(partition: PartitionId): GroupId {
  assert(Number.isSafeInteger(partition) && partition >= 0, `bad partition ${partition}`);
  return groupId(partition + 1);
}

/** Returns the partition whose Raft group is `group`, or null for group 0 (the configuration). */
export function partitionOfGroup(group: GroupId): PartitionId | null {
  assert(Number.isSafeInteger(group) && group >= 0, `bad group ${group}`);
  return group === 0 ? null : partitionId(group - 1);
}

/** Returns partition `partition`'s voters, in rank order. */
export function replicasOf(table: PartitionTable, partition: PartitionId): readonly NodeId[] {
  const row = table.partitions[partition];
  assert(row !== undefined, `partition ${partition} out of range [0, ${table.partitionCount})`);
  return row.replicas;
}

/** Whether every row holds exactly the replicas rendezvous hashing gives `table.members`. */
export function isSettled(table: PartitionTable): boolean {
  const rows = placeAll(table.members, table);
  return table.partitions.every(
    (row, p) => row.learners.length === 0 && sameList(row.replicas, rows[p] ?? []),
  );
}

/**
 * Asserts everything a table must satisfy: P rows in order, versions in range, members sorted and
 * unique, and every row's own invariants (see {@link assertRowInvariants}).
 */
export function assertTableInvariants(table: PartitionTable): void {
  assertPartitionCount(table.partitionCount);
  assert(table.replicaCountMax >= 1 && table.replicaCountMax <= replicaCountLimit);
  assert(Number.isSafeInteger(table.version) && table.version >= 1, `bad table version ${table.version}`);
  assert(table.partitions.length === table.partitionCount, "one row per partition");
  const members = normalizeMembers(table.members);
  assert(sameList(members, table.members), "members must be sorted by id");
  const ranker = new RendezvousRanker();
  for (let p = 0; p < table.partitions.length; p++) {
    const row = table.partitions[p]!;
    assert(row.partition === p, `row ${p} holds partition ${row.partition}`);
    assertRowInvariants(table, row, ranker);
  }
}

/**
 * Asserts one row's invariants: its version in [1, table version], at least one voter, no node
 * twice, learners disjoint from voters, both lists in rank order, and no more than R + 1 voters
 * (a move adds one voter before it removes one, never more).
 */
export function assertRowInvariants(
  table: PartitionTable,
  row: PartitionReplicas,
  ranker: RendezvousRanker,
): void {
  const p = row.partition;
  assert(Number.isSafeInteger(row.version) && row.version >= 1, `p${p}: bad version ${row.version}`);
  assert(row.version <= table.version, `p${p}: row version ${row.version} > table ${table.version}`);
  assert(row.replicas.length >= 1, `p${p}: no voter left`);
  assert(row.replicas.length <= table.replicaCountMax + 1, `p${p}: ${row.replicas.length} voters`);
  const all = [...row.replicas, ...row.learners];
  assert(new Set(all).size === all.length, `p${p}: a node appears twice`);
  assert(ranker.isRanked(row.replicas, p), `p${p}: voters out of rank order`);
  assert(ranker.isRanked(row.learners, p), `p${p}: learners out of rank order`);
}

/**
 * Describes the table in stable text, one line per partition, for logs and golden files:
 * `table v7 partitions=4 replicas<=3 members=[n1 n2 n3]`, then `p0 v1 [n2 n1 n3]`, with
 * ` learners=[n4]` appended to rows that have learners.
 */
export function describeTable(table: PartitionTable): string {
  const head =
    `table v${table.version} partitions=${table.partitionCount} replicas<=${table.replicaCountMax}` +
    ` members=[${table.members.join(" ")}]`;
  const lines = [head];
  for (const row of table.partitions) {
    const learners = row.learners.length === 0 ? "" : ` learners=[${row.learners.join(" ")}]`;
    lines.push(`p${row.partition} v${row.version} [${row.replicas.join(" ")}]${learners}`);
  }
  return lines.join("\n");
}

/** Whether two lists hold the same nodes in the same order. */
export function sameList(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((node, i) => node === b[i]);
}
