// The placement planner: given the current table and a new member set, it returns the table
// rendezvous hashing wants (the target) and the ordered moves that lead there. Each move is one
// Raft membership change of one partition's group (add a learner, promote it, remove a replica),
// so a partition's voters change by at most one node per step (Raft dissertation §4.1), and a new
// replica holds the data before it votes. Moves of different partitions are independent; the moves
// of one partition must be applied in order. Every move names the row version it was planned
// against, so a move from a plan that a newer plan overtook is refused as stale, never misapplied.
//
// Per partition, with voters V, learners L and target T:
//   1. remove learners not in T (left over from an interrupted plan);
//   2. while |V| > |T|, remove a voter not in T (lowest rank first), so a row never holds more
//      than max(|V|, |T| + 1) voters;
//   3. for each node of T \ V, in rank order: add it as a learner (unless it is one), promote it,
//      then remove one voter not in T if any is left;
//   4. nothing else: voters in V ∩ T are never touched.
// Only voters outside T are ever removed, so at every step the voters keep all of V ∩ T; when
// V ∩ T is a majority of V (always so for one join or one leave with R >= 2 afterwards) the
// partition keeps a majority of its old replicas at every step.

import { assert } from "../../lib/assert.js";
import type { NodeId, PartitionId } from "../../types.js";
import {
  assertRowInvariants,
  assertTableInvariants,
  membersProblem,
  normalizeMembers,
  type PartitionReplicas,
  type PartitionTable,
  placeAll,
  sameList,
} from "./partition_table.js";
import { RendezvousRanker } from "./rendezvous.js";

/** Makes `members` the table's member set; replicas follow through the partition moves. */
export interface SetMembersMove {
  readonly kind: "set-members";
  /** The table version this move was planned against. */
  readonly tableVersion: number;
  /** The new member set, sorted by id. */
  readonly members: readonly NodeId[];
}

/** One Raft membership change of one partition's group. */
export interface PartitionMove {
  /** Add `node` as a learner; promote it once caught up; remove a voter or a learner. */
  readonly kind: "add-learner" | "promote" | "remove";
  /** The partition whose Raft group changes. */
  readonly partition: PartitionId;
  /** The row version this move was planned against. */
  readonly partitionVersion: number;
  /** The node that joins, is promoted in, or leaves the group. */
  readonly node: NodeId;
}

/** A step of a plan. */
export type PlacementMove = SetMembersMove | PartitionMove;

/** A plan: the moves in order, and the table they lead to. */
export interface PlacementPlan {
  /** The table once every move is applied: settled for the new member set. */
  readonly target: PartitionTable;
  /** The moves, in an order that is safe to apply one by one. Empty when nothing changes. */
  readonly moves: readonly PlacementMove[];
}

/** The outcome of {@link applyMove}. */
export type ApplyMoveResult =
  | { readonly kind: "applied"; readonly table: PartitionTable }
  | { readonly kind: "stale"; readonly versionExpected: number; readonly versionActual: number }
  | { readonly kind: "rejected"; readonly reason: string };

/**
 * Plans the moves from `table` to the placement rendezvous hashing gives `members`. Deterministic:
 * the same table and the same member set (in any order) give the same plan on every member.
 */
export function planPlacement(table: PartitionTable, members: readonly NodeId[]): PlacementPlan {
  assertTableInvariants(table);
  const sorted = normalizeMembers(members);
  const ranker = new RendezvousRanker();
  const targetRows = placeAll(sorted, table, ranker);
  const moves: PlacementMove[] = [];
  if (!sameList(sorted, table.members)) {
    moves.push({ kind: "set-members", tableVersion: table.version, members: sorted });
  }
  const withMembers: PartitionTable = { ...table, members: sorted };
  const partitions: PartitionReplicas[] = [];
  for (const row of table.partitions) {
    const target = targetRows[row.partition];
    assert(target !== undefined);
    const rowMoves = partitionMoves(row, target, ranker);
    // Folding each row's own moves costs O(moves), where folding whole tables would cost O(moves·P).
    const final = applyRowMoves(withMembers, row, rowMoves, ranker);
    assert(final.learners.length === 0, `p${row.partition}: plan leaves a learner`);
    assert(sameList(final.replicas, target), `p${row.partition}: plan misses its target`);
    partitions.push(final);
    moves.push(...rowMoves);
  }
  const final: PartitionTable = { ...withMembers, version: table.version + moves.length, partitions };
  assertTableInvariants(final);
  return { target: final, moves };
}

/** Plans one partition's moves (steps 1 to 3 of the file comment). */
function partitionMoves(
  row: PartitionReplicas,
  target: readonly NodeId[],
  ranker: RendezvousRanker,
): PartitionMove[] {
  const inTarget = new Set(target);
  const moves: PartitionMove[] = [];
  const push = (kind: PartitionMove["kind"], node: NodeId): void => {
    moves.push({ kind, partition: row.partition, partitionVersion: row.version + moves.length, node });
  };
  for (const learner of row.learners) if (!inTarget.has(learner)) push("remove", learner);
  // Lowest-ranked voters outside the target go first.
  const removals = ranker.rank(row.replicas, row.partition).filter((node) => !inTarget.has(node));
  removals.reverse();
  const additions = target.filter((node) => !row.replicas.includes(node));
  let voterCount = row.replicas.length;
  while (voterCount > target.length) {
    const node = removals.shift();
    assert(node !== undefined, "more voters than target means some voter is not in the target");
    push("remove", node);
    voterCount -= 1;
  }
  for (const node of additions) {
    if (!row.learners.includes(node)) push("add-learner", node);
    push("promote", node);
    const removed = removals.shift();
    if (removed !== undefined) push("remove", removed);
  }
  assert(removals.length === 0, `p${row.partition}: voters left outside the target`);
  return moves;
}

/** Applies one row's moves in order, asserting that each applies. */
function applyRowMoves(
  table: PartitionTable,
  row: PartitionReplicas,
  moves: readonly PartitionMove[],
  ranker: RendezvousRanker,
): PartitionReplicas {
  let current = row;
  for (const move of moves) {
    assert(
      move.partitionVersion === current.version,
      `${describeMove(move)}: planned against another version`,
    );
    const next = applyPartitionMove(table, current, move, ranker);
    assert(typeof next !== "string", `planned move does not apply: ${describeMove(move)}: ${next}`);
    current = next;
  }
  return current;
}

/**
 * Applies one move and returns the new table (the input is not changed). A move planned against
 * another version is "stale"; a move whose precondition fails (adding a node that is already a
 * replica, removing the last voter...) is "rejected". Group 0 applies moves through its log, so
 * every member gets the same outcome for the same move.
 */
export function applyMove(table: PartitionTable, move: PlacementMove): ApplyMoveResult {
  return applyMoveWith(table, move, new RendezvousRanker());
}

function applyMoveWith(
  table: PartitionTable,
  move: PlacementMove,
  ranker: RendezvousRanker,
): ApplyMoveResult {
  if (move.kind === "set-members") {
    if (move.tableVersion !== table.version) return stale(move.tableVersion, table.version);
    // A committed move reaches every member: refuse a bad one alike everywhere, never crash on it.
    const problem = membersProblem(move.members);
    if (problem !== null) return { kind: "rejected", reason: `${describeMove(move)}: ${problem}` };
    const members = normalizeMembers(move.members);
    return { kind: "applied", table: { ...table, version: table.version + 1, members } };
  }
  const row = table.partitions[move.partition];
  if (row === undefined) return { kind: "rejected", reason: `no partition ${move.partition}` };
  if (move.partitionVersion !== row.version) return stale(move.partitionVersion, row.version);
  const changed = applyPartitionMove(table, row, move, ranker);
  if (typeof changed === "string") return { kind: "rejected", reason: `${describeMove(move)}: ${changed}` };
  const partitions = [...table.partitions];
  partitions[move.partition] = changed;
  const next: PartitionTable = { ...table, version: table.version + 1, partitions };
  // Only the changed row can have broken an invariant; the whole table is checked per plan.
  assertRowInvariants(next, changed, ranker);
  return { kind: "applied", table: next };
}

/** Returns the changed row, or why the move does not apply to it. */
function applyPartitionMove(
  table: PartitionTable,
  row: PartitionReplicas,
  move: PartitionMove,
  ranker: RendezvousRanker,
): PartitionReplicas | string {
  const isVoter = row.replicas.includes(move.node);
  const isLearner = row.learners.includes(move.node);
  const without = (nodes: readonly NodeId[]): NodeId[] => nodes.filter((node) => node !== move.node);
  let replicas: readonly NodeId[] = row.replicas;
  let learners: readonly NodeId[] = row.learners;
  switch (move.kind) {
    case "add-learner":
      if (isVoter || isLearner) return "node is already in the group";
      if (!table.members.includes(move.node)) return "node is not a member";
      learners = ranker.rank([...row.learners, move.node], row.partition);
      break;
    case "promote":
      if (!isLearner) return "node is not a learner";
      learners = without(row.learners);
      replicas = ranker.rank([...row.replicas, move.node], row.partition);
      break;
    case "remove":
      if (!isVoter && !isLearner) return "node is not in the group";
      if (isVoter && row.replicas.length === 1) return "cannot remove the last voter";
      replicas = without(row.replicas);
      learners = without(row.learners);
      break;
  }
  return { partition: row.partition, version: row.version + 1, replicas, learners };
}

function stale(versionExpected: number, versionActual: number): ApplyMoveResult {
  return { kind: "stale", versionExpected, versionActual };
}

/** Describes a move in stable text: `p5 v3 add-learner n4` or `table v7 set-members [n1 n2]`. */
export function describeMove(move: PlacementMove): string {
  if (move.kind === "set-members")
    return `table v${move.tableVersion} set-members [${move.members.join(" ")}]`;
  return `p${move.partition} v${move.partitionVersion} ${move.kind} ${move.node}`;
}
