// The public face of placement: key -> partition, partition -> replicas by rendezvous hashing, the
// partition table group 0 holds, and the planner that moves replicas when members change.

export {
  assertPartitionCount,
  partitionCountDefault,
  partitionCountMax,
  partitionOf,
} from "./partition_of.js";
export {
  assertRowInvariants,
  assertTableInvariants,
  bootstrapTable,
  compareNodeIds,
  describeTable,
  groupOfPartition,
  isSettled,
  membersMax,
  membersProblem,
  normalizeMembers,
  partitionOfGroup,
  placeAll,
  placementConfigDefault,
  replicaCountFor,
  replicasOf,
  sameList,
} from "./partition_table.js";
export { applyMove, describeMove, planPlacement } from "./planner.js";
export { preferredLeaders } from "./preferred_leaders.js";
export { RendezvousRanker, rendezvousWeight, replicaCountLimit } from "./rendezvous.js";
export type { EntryKey } from "./partition_of.js";
export type { PartitionReplicas, PartitionTable, PlacementConfig } from "./partition_table.js";
export type {
  ApplyMoveResult,
  PartitionMove,
  PlacementMove,
  PlacementPlan,
  SetMembersMove,
} from "./planner.js";
