// Goal: TESTING.md T10 for the planner. Its moves, applied one by one through the public
// applyMove, reach its target; the target is exactly the rendezvous placement of the new members;
// every step changes one partition's group by one node (Raft single-server changes); old replicas
// that stay are never removed; a partition never has fewer than a majority of its old replicas
// while the target keeps such a majority (always, for one join or one leave in a group of three
// or more); no row grows past
// R + 1 voters; the number of voter additions and removals is the minimum the target needs. Method:
// fast-check, 1,000 cases per property. The starting table is arbitrary but reachable: bootstrap
// on one member set, then a random prefix of a plan to a second set (an interrupted plan), then a
// plan to a third set drawn from the same pool of names, so sets overlap, grow and shrink. Golden
// text pins describeTable/describeMove; hand-written cases cover stale and rejected moves.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyMove,
  bootstrapTable,
  describeMove,
  describeTable,
  isSettled,
  type PartitionTable,
  type PlacementMove,
  type PlacementPlan,
  placeAll,
  planPlacement,
  sameList,
} from "../../src/protocol/placement/index.js";
import { type NodeId, nodeId, partitionId } from "../../src/types.js";
import { applyAllMoves, deepFreeze, majorityOf, memberSet, placementConfig } from "./arbitraries.js";

const cases = 1000;

/** A reachable table (bootstrap, then an interrupted plan) and a new member set. */
const reachableScenario = fc
  .record({
    pool: memberSet(1, 9),
    config: placementConfig.map((config) => ({
      ...config,
      partitionCount: Math.min(config.partitionCount, 48),
    })),
    picks: fc.tuple(fc.nat(), fc.nat(), fc.nat()),
    cut: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ pool, config, picks, cut }) => {
    const subset = (mask: number): NodeId[] => {
      const chosen = pool.filter((_, i) => ((mask >>> i) & 1) === 1);
      return chosen.length > 0 ? chosen : [pool[mask % pool.length]!];
    };
    const first = planPlacement(bootstrapTable(subset(picks[0]), config), subset(picks[1]));
    const done = Math.floor(first.moves.length * cut);
    const start = applyAllMoves(bootstrapTable(subset(picks[0]), config), first.moves.slice(0, done));
    return { start, members: subset(picks[2]) };
  });

/** Per-step checks of one plan; returns the violations found (empty when all hold). */
function stepViolations(
  start: PartitionTable,
  moves: readonly PlacementMove[],
  target: PartitionTable,
): string[] {
  const violations: string[] = [];
  const targetRows = target.partitions.map((row) => new Set(row.replicas));
  let table = start;
  for (const move of moves) {
    const result = applyMove(table, move);
    if (result.kind !== "applied") return [`${describeMove(move)}: ${result.kind}`];
    const next = result.table;
    if (next.version !== table.version + 1) violations.push(`${describeMove(move)}: table version`);
    if (move.kind !== "set-members") {
      const p = move.partition;
      const before = table.partitions[p]!;
      const after = next.partitions[p]!;
      const old = start.partitions[p]!.replicas;
      const kept = old.filter((node) => after.replicas.includes(node)).length;
      const keptInTarget = old.filter((node) => targetRows[p]!.has(node)).length;
      const changed = symmetricDifference(before.replicas, after.replicas);
      if (changed > 1) violations.push(`${describeMove(move)}: ${changed} voters changed at once`);
      if (kept < Math.min(majorityOf(old.length), keptInTarget))
        violations.push(`${describeMove(move)}: majority`);
      if (move.kind === "remove" && targetRows[p]!.has(move.node))
        violations.push(`${describeMove(move)}: target`);
      if (move.kind === "add-learner" && !next.members.includes(move.node))
        violations.push(`${describeMove(move)}`);
      if (after.replicas.length > start.replicaCountMax + 1)
        violations.push(`${describeMove(move)}: too many`);
      if (after.version !== before.version + 1) violations.push(`${describeMove(move)}: row version`);
    }
    table = next;
  }
  return violations;
}

/**
 * Checks that each partition promotes exactly the target voters it lacks and removes exactly the
 * voters and learners outside its target: the fewest voter changes that reach the target.
 */
function countViolations(start: PartitionTable, plan: PlacementPlan): string[] {
  const violations: string[] = [];
  const movesOf = new Map<number, PlacementMove[]>();
  for (const move of plan.moves) {
    if (move.kind === "set-members") continue;
    movesOf.set(move.partition, [...(movesOf.get(move.partition) ?? []), move]);
  }
  for (const row of start.partitions) {
    const target = plan.target.partitions[row.partition]!.replicas;
    const rowMoves = movesOf.get(row.partition) ?? [];
    const promotes = rowMoves.filter((move) => move.kind === "promote").length;
    const removes = rowMoves.filter((move) => move.kind === "remove").length;
    const promotesNeeded = target.filter((node) => !row.replicas.includes(node)).length;
    const removesNeeded = [...row.replicas, ...row.learners].filter((node) => !target.includes(node)).length;
    if (promotes !== promotesNeeded)
      violations.push(`p${row.partition}: ${promotes} promotes, ${promotesNeeded} needed`);
    if (removes !== removesNeeded)
      violations.push(`p${row.partition}: ${removes} removes, ${removesNeeded} needed`);
  }
  return violations;
}

function symmetricDifference(a: readonly NodeId[], b: readonly NodeId[]): number {
  return a.filter((node) => !b.includes(node)).length + b.filter((node) => !a.includes(node)).length;
}

describe("T10 planner", () => {
  it("reaches the rendezvous target in the fewest safe single-node steps from any reachable table", () => {
    fc.assert(
      fc.property(reachableScenario, ({ start, members }) => {
        const plan = planPlacement(start, members);
        const reached = applyAllMoves(start, plan.moves);
        expect(JSON.stringify(reached)).toBe(JSON.stringify(plan.target));
        expect(isSettled(plan.target)).toBe(true);
        const wanted = placeAll([...members].sort(), start);
        expect(plan.target.partitions.every((row, p) => sameList(row.replicas, wanted[p]!))).toBe(true);
        expect(stepViolations(start, plan.moves, plan.target)).toEqual([]);
        expect(countViolations(start, plan)).toEqual([]);
        expect(planPlacement(plan.target, [...members].reverse()).moves).toEqual([]);
      }),
      { numRuns: cases },
    );
  });

  it("keeps a majority of the old replicas at every step of one join or one leave", () => {
    fc.assert(
      fc.property(memberSet(2, 10), placementConfig, fc.boolean(), (names, config, join) => {
        const members = join ? names.slice(1) : names;
        const next = join ? names : names.slice(1);
        const start = bootstrapTable(members, config);
        const plan = planPlacement(start, next);
        let table = start;
        const violations: string[] = [];
        for (const move of plan.moves) {
          const result = applyMove(table, move);
          if (result.kind !== "applied") {
            violations.push(`${describeMove(move)}: ${result.kind}`);
            break;
          }
          table = result.table;
          if (move.kind === "set-members") continue;
          const old = start.partitions[move.partition]!.replicas;
          const kept = old.filter((node) => table.partitions[move.partition]!.replicas.includes(node)).length;
          // A group of one or two that replaces a replica cannot keep a majority (one of two is
          // not one): the only exception, and the reason R defaults to 3.
          const keptMin = old.length >= 3 ? majorityOf(old.length) : old.length - 1;
          if (kept < keptMin) violations.push(`${describeMove(move)}: kept ${kept} of ${old.length}`);
        }
        expect(violations).toEqual([]);
      }),
      { numRuns: cases },
    );
  });

  it("neither mutates its input nor depends on anything but the table and the members", () => {
    fc.assert(
      fc.property(reachableScenario, ({ start, members }) => {
        const text = JSON.stringify(start);
        const frozen = deepFreeze(structuredClone(start));
        const plan = planPlacement(frozen, members);
        for (const move of plan.moves.slice(0, 5)) applyMove(frozen, move);
        expect(JSON.stringify(frozen)).toBe(text);
        expect(JSON.stringify(planPlacement(start, members))).toBe(JSON.stringify(plan));
      }),
      { numRuns: 200 },
    );
  });
});

describe("applyMove", () => {
  const config = { partitionCount: 4, replicaCountMax: 3 };
  const n = (name: string) => nodeId(name);
  const table = bootstrapTable([n("n1"), n("n2"), n("n3")], config);

  it("refuses a replayed or out-of-date move as stale", () => {
    const plan = planPlacement(table, [n("n1"), n("n2"), n("n3"), n("n4")]);
    const first = plan.moves[0]!;
    const once = applyMove(table, first);
    expect(once.kind).toBe("applied");
    if (once.kind !== "applied") return;
    expect(applyMove(once.table, first)).toEqual({ kind: "stale", versionExpected: 1, versionActual: 2 });
    const partitionMove = plan.moves.find((move) => move.kind !== "set-members")!;
    const stale = { ...partitionMove, partitionVersion: 7 };
    expect(applyMove(once.table, stale).kind).toBe("stale");
  });

  it("rejects moves whose precondition fails, with a reason", () => {
    const p0 = partitionId(0);
    const row = table.partitions[0]!;
    const outsider = n("n9");
    const cases: [PlacementMove, RegExp][] = [
      [{ kind: "add-learner", partition: p0, partitionVersion: 1, node: row.replicas[0]! }, /already/],
      [{ kind: "add-learner", partition: p0, partitionVersion: 1, node: outsider }, /not a member/],
      [{ kind: "promote", partition: p0, partitionVersion: 1, node: row.replicas[0]! }, /not a learner/],
      [{ kind: "remove", partition: p0, partitionVersion: 1, node: outsider }, /not in the group/],
      [{ kind: "remove", partition: partitionId(9), partitionVersion: 1, node: outsider }, /no partition/],
    ];
    for (const [move, reason] of cases) {
      const result = applyMove(table, move);
      expect(result.kind).toBe("rejected");
      if (result.kind === "rejected") expect(result.reason).toMatch(reason);
    }
    for (const members of [[], [n("n1"), n("n1")]]) {
      const result = applyMove(table, { kind: "set-members", tableVersion: 1, members });
      expect(result.kind === "rejected" && result.reason).toMatch(/at least one|duplicate/);
    }
    const single = bootstrapTable([n("solo")], config);
    const last: PlacementMove = { kind: "remove", partition: p0, partitionVersion: 1, node: n("solo") };
    const result = applyMove(single, last);
    expect(result.kind === "rejected" && result.reason).toMatch(/last voter/);
  });

  it("describes tables and moves in stable text (golden)", () => {
    const plan = planPlacement(table, [n("n1"), n("n2"), n("n4")]);
    const midway = applyAllMoves(table, plan.moves.slice(0, 2));
    expect(describeTable(table)).toBe(
      [
        "table v1 partitions=4 replicas<=3 members=[n1 n2 n3]",
        "p0 v1 [n3 n2 n1]",
        "p1 v1 [n2 n1 n3]",
        "p2 v1 [n1 n3 n2]",
        "p3 v1 [n1 n2 n3]",
      ].join("\n"),
    );
    expect(plan.moves.map(describeMove)).toEqual(GOLDEN_MOVES);
    expect(describeTable(midway)).toBe(GOLDEN_MIDWAY);
  });
});

const GOLDEN_MOVES: string[] = [
  "table v1 set-members [n1 n2 n4]",
  "p0 v1 add-learner n4",
  "p0 v2 promote n4",
  "p0 v3 remove n3",
  "p1 v1 add-learner n4",
  "p1 v2 promote n4",
  "p1 v3 remove n3",
  "p2 v1 add-learner n4",
  "p2 v2 promote n4",
  "p2 v3 remove n3",
  "p3 v1 add-learner n4",
  "p3 v2 promote n4",
  "p3 v3 remove n3",
];

const GOLDEN_MIDWAY = [
  "table v3 partitions=4 replicas<=3 members=[n1 n2 n4]",
  "p0 v2 [n3 n2 n1] learners=[n4]",
  "p1 v1 [n2 n1 n3]",
  "p2 v1 [n1 n3 n2]",
  "p3 v1 [n1 n2 n3]",
].join("\n");
