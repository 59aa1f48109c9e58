// A WAL workload with its reference model, for the crash-consistency suite (TESTING.md T11).
//
// `workloadGenerate` draws a legal sequence of WAL calls (appends with Raft-style overwrites of
// the uncommitted suffix, group-commit syncs, hard-state updates after a sync, snapshots that keep
// or discard the log) and, alongside, the model state after every fine-grained step (each entry
// appended, each hard state, each snapshot). `workloadRun` replays it over a SimDisk that crashes
// after the k-th mutating call; `recoveryCheck` then demands that each part of the recovered state
// (hard state, snapshot, log after the snapshot) equals the model at some step between the last
// acknowledged call and the end of the call in flight: nothing acknowledged lost, nothing invented,
// hard state never behind what was acknowledged, the snapshot old or new and never neither.

import type { Disk } from "../../src/env/disk.js";
import { bytesEqual } from "../../src/lib/bytes.js";
import { Prng } from "../../src/lib/prng.js";
import { SimDisk, type SimDiskFaults } from "../../src/sim/sim_disk.js";
import type { HardState, Snapshot } from "../../src/storage/hard_state.js";
import { type SnapshotLogMode, Wal, type WalConfig } from "../../src/storage/wal.js";
import type { WalEntry } from "../../src/storage/wal_recovery.js";
import { type GroupId, groupId, logIndex, nodeId, term } from "../../src/types.js";

/** One call on the WAL. */
export type WalOperation =
  | { readonly kind: "append"; readonly group: GroupId; readonly entries: WalEntry[] }
  | { readonly kind: "sync" }
  | { readonly kind: "hard-state"; readonly group: GroupId; readonly hardState: HardState }
  | {
      readonly kind: "snapshot";
      readonly group: GroupId;
      readonly snapshot: Snapshot;
      readonly mode: SnapshotLogMode;
    };

/** The model after one step: per group, hard state, snapshot and the whole log (never trimmed). */
export interface ModelState {
  readonly hardStates: ReadonlyMap<GroupId, HardState>;
  readonly snapshots: ReadonlyMap<GroupId, Snapshot>;
  readonly logs: ReadonlyMap<GroupId, readonly WalEntry[]>;
}

/** A workload: the calls, the model states, and where each call ends in the state list. */
export interface Workload {
  readonly operations: WalOperation[];
  readonly states: ModelState[];
  /** `stateAfter[i]` is the index in `states` once call i has returned. */
  readonly stateAfter: number[];
}

/** Small segments, so that a short workload rolls and compacts several times. */
export const crashConfig: WalConfig = {
  folder: "m",
  segmentBytes: 2048,
  recordPayloadBytesMax: 256,
  bufferBytesMax: 1024,
  groupsMax: 8,
  hardStateSlotBytes: 4096,
};

interface GroupModel {
  log: WalEntry[];
  termCurrent: number;
  commit: number;
  snapshotIndex: number;
  syncedLastIndex: number;
  hardState: HardState | null;
}

const lastIndexOf = (model: GroupModel) => model.log[model.log.length - 1]?.index ?? model.snapshotIndex;

/** Draws `operationCount` calls over three groups, with the model state after every step. */
export function workloadGenerate(seed: number, operationCount: number): Workload {
  const prng = Prng.fromSeed(seed);
  const groups = new Map<GroupId, GroupModel>();
  for (const group of [1, 2, 3].map(groupId)) {
    groups.set(group, {
      log: [],
      termCurrent: 1,
      commit: 0,
      snapshotIndex: 0,
      syncedLastIndex: 0,
      hardState: null,
    });
  }
  const states: ModelState[] = [snapshotOf(groups, new Map())];
  const snapshots = new Map<GroupId, Snapshot>();
  const operations: WalOperation[] = [];
  const stateAfter: number[] = [];
  const push = (operation: WalOperation) => {
    operations.push(operation);
    stateAfter.push(states.length - 1);
  };
  const syncPush = () => {
    for (const each of groups.values()) each.syncedLastIndex = lastIndexOf(each);
    push({ kind: "sync" });
  };
  while (operations.length < operationCount) {
    const group = groupId(1 + prng.below(3));
    const model = groups.get(group)!;
    const roll = prng.next();
    if (roll < 0.55) {
      const entries = appendDraw(prng, model);
      for (const entry of entries) {
        model.log.length = Math.max(0, entry.index - (model.log[0]?.index ?? model.snapshotIndex + 1));
        model.log.push(entry);
        model.syncedLastIndex = Math.min(model.syncedLastIndex, entry.index - 1);
        states.push(snapshotOf(groups, snapshots));
      }
      push({ kind: "append", group, entries });
    } else if (roll < 0.8) {
      syncPush();
    } else if (roll < 0.96) {
      syncPush(); // The runtime persists entries before a hard state that commits them.
      const hardState = hardStateDraw(prng, model);
      model.hardState = hardState;
      model.commit = hardState.commit;
      states.push(snapshotOf(groups, snapshots));
      push({ kind: "hard-state", group, hardState });
    } else {
      syncPush();
      const operation = snapshotDraw(prng, group, model);
      if (operation === null) continue;
      snapshots.set(group, operation.snapshot);
      states.push(snapshotOf(groups, snapshots));
      push(operation);
    }
  }
  return { operations, states, stateAfter };
}

function appendDraw(prng: Prng, model: GroupModel): WalEntry[] {
  const lastIndex = lastIndexOf(model);
  const floor = Math.max(model.commit, model.snapshotIndex);
  let first = lastIndex + 1;
  if (lastIndex > floor && prng.chance(0.2)) {
    // A new leader overwrites part of the uncommitted suffix, in a newer term (Raft §5.3).
    first = floor + 1 + prng.below(lastIndex - floor);
    model.termCurrent += 1;
  }
  const count = 1 + prng.below(4);
  return Array.from({ length: count }, (_, i) => ({
    index: logIndex(first + i),
    term: term(model.termCurrent),
    payload: Uint8Array.from({ length: prng.below(120) }, () => prng.below(256)),
  }));
}

function hardStateDraw(prng: Prng, model: GroupModel): HardState {
  const previous = model.hardState;
  const termNext = Math.max(
    previous?.term ?? 0,
    prng.chance(0.3) ? model.termCurrent + 1 : model.termCurrent,
  );
  model.termCurrent = termNext;
  const sameTerm = previous !== null && previous.term === termNext;
  const vote =
    sameTerm && previous.vote !== null
      ? previous.vote
      : prng.chance(0.5)
        ? nodeId(`n${prng.below(3)}`)
        : null;
  const durable = Math.max(model.syncedLastIndex, model.snapshotIndex);
  const commitFloor = previous?.commit ?? 0;
  const commit = commitFloor + prng.below(Math.max(0, durable - commitFloor) + 1);
  return { term: term(termNext), vote, commit: logIndex(commit) };
}

function snapshotDraw(
  prng: Prng,
  group: GroupId,
  model: GroupModel,
): Extract<WalOperation, { kind: "snapshot" }> | null {
  const data = Uint8Array.from({ length: prng.below(300) }, () => prng.below(256));
  if (prng.chance(0.25)) {
    // InstallSnapshot beyond the local log: the whole log is replaced.
    const index = lastIndexOf(model) + 1 + prng.below(3);
    model.termCurrent += 1;
    model.log = [];
    model.snapshotIndex = index;
    model.syncedLastIndex = index;
    return {
      kind: "snapshot",
      group,
      snapshot: { index: logIndex(index), term: term(model.termCurrent), data },
      mode: "discard-log",
    };
  }
  if (model.commit <= model.snapshotIndex) return null;
  const index = model.snapshotIndex + 1 + prng.below(model.commit - model.snapshotIndex);
  const entry = model.log.find((candidate) => candidate.index === index)!;
  model.snapshotIndex = index;
  model.syncedLastIndex = Math.max(model.syncedLastIndex, index);
  return {
    kind: "snapshot",
    group,
    snapshot: { index: logIndex(index), term: entry.term, data },
    mode: "keep-log",
  };
}

function snapshotOf(groups: Map<GroupId, GroupModel>, snapshots: Map<GroupId, Snapshot>): ModelState {
  const hardStates = new Map<GroupId, HardState>();
  const logs = new Map<GroupId, readonly WalEntry[]>();
  for (const [group, model] of groups) {
    if (model.hardState !== null) hardStates.set(group, model.hardState);
    logs.set(group, [...model.log]);
  }
  return { hardStates, snapshots: new Map(snapshots), logs };
}

/** Where a run stopped: the state range recovery must fall in. */
export interface RunOutcome {
  readonly disk: SimDisk;
  /** The last state acknowledged before the crash. */
  readonly ackedState: number;
  /** The last state the call in flight could have reached. */
  readonly reachableState: number;
  readonly crashed: boolean;
  /** The current segment and its synced extent at the crash, for tail corruption. */
  readonly tail: {
    readonly path: string;
    readonly syncedOffset: number;
    readonly flushedOffset: number;
  } | null;
}

const crashSignal = new Error("crash point reached");

/**
 * Runs the first `count` calls of `workload` on `disk` and stops, as a process killed between two
 * calls would; returns the state range and where the tail stood.
 */
export function workloadRunPrefix(workload: Workload, disk: Disk, count: number) {
  const { wal } = Wal.open(disk, crashConfig);
  let ackedState = 0;
  let reachableState = 0;
  for (const [i, operation] of workload.operations.slice(0, count).entries()) {
    reachableState = workload.stateAfter[i]!;
    operationApply(wal, operation);
    if (operation.kind !== "append") ackedState = reachableState;
  }
  const position = wal.position;
  const path = `${crashConfig.folder}/wal/${position.segmentSequence.toString(16).padStart(16, "0")}.wal`;
  return {
    ackedState,
    reachableState,
    path,
    syncedOffset: position.syncedOffset,
    flushedOffset: position.flushedOffset,
  };
}

function operationApply(wal: Wal, operation: WalOperation): void {
  switch (operation.kind) {
    case "append":
      wal.append(operation.group, operation.entries);
      return;
    case "sync":
      wal.sync();
      return;
    case "hard-state":
      wal.saveHardState(operation.group, operation.hardState);
      return;
    case "snapshot":
      wal.saveSnapshot(operation.group, operation.snapshot, operation.mode);
      return;
  }
}

/** Runs `workload` over a fresh SimDisk that crashes after mutation `crashAt` (never when null). */
export function workloadRun(
  workload: Workload,
  diskSeed: number,
  faults: SimDiskFaults,
  crashAt: number | null,
): RunOutcome {
  const disk = new SimDisk(Prng.fromSeed(diskSeed), faults);
  if (crashAt !== null)
    disk.crashAfterMutations(crashAt, () => {
      throw crashSignal;
    });
  let ackedState = 0;
  let reachableState = 0;
  let wal: Wal | null = null;
  try {
    wal = Wal.open(disk.open(), crashConfig).wal;
    for (const [i, operation] of workload.operations.entries()) {
      reachableState = workload.stateAfter[i]!;
      operationApply(wal, operation);
      if (operation.kind !== "append") ackedState = reachableState;
    }
    return { disk, ackedState, reachableState, crashed: false, tail: null };
  } catch (error) {
    if (error !== crashSignal) throw error;
  }
  const position = wal === null ? null : wal.position;
  const tail =
    position === null
      ? null
      : {
          path: `${crashConfig.folder}/wal/${position.segmentSequence.toString(16).padStart(16, "0")}.wal`,
          syncedOffset: position.syncedOffset,
          flushedOffset: position.flushedOffset,
        };
  return { disk, ackedState, reachableState, crashed: true, tail };
}

function entriesEqual(a: readonly WalEntry[], b: readonly WalEntry[]): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (entry, i) =>
      entry.index === b[i]!.index && entry.term === b[i]!.term && bytesEqual(entry.payload, b[i]!.payload),
  );
}

function snapshotEqual(a: Snapshot | null | undefined, b: Snapshot | null | undefined): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  return a.index === b.index && a.term === b.term && bytesEqual(a.data, b.data);
}

function hardStateEqual(a: HardState | null | undefined, b: HardState | null | undefined): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** Reopens the crashed disk and returns null when recovery is acceptable, else why not. */
export function recoveryCheck(workload: Workload, outcome: RunOutcome): string | null {
  return recoveryCheckOn(workload, outcome.disk.open(), outcome);
}

/**
 * Opens the WAL on `disk` and returns null when every group's recovered state falls within
 * `[ackedState, reachableState]` of the model, else why not.
 */
export function recoveryCheckOn(
  workload: Workload,
  disk: Disk,
  outcome: { readonly ackedState: number; readonly reachableState: number },
): string | null {
  const { recovery } = Wal.open(disk, crashConfig);
  const range = workload.states.slice(outcome.ackedState, outcome.reachableState + 1);
  for (const group of [1, 2, 3].map(groupId)) {
    const got = recovery.groups.find((candidate) => candidate.group === group);
    if (!range.some((state) => hardStateEqual(state.hardStates.get(group), got?.hardState))) {
      return `group ${group}: hard state ${JSON.stringify(got?.hardState)} matches no state in [${outcome.ackedState}, ${outcome.reachableState}]`;
    }
    if (!range.some((state) => snapshotEqual(state.snapshots.get(group), got?.snapshot))) {
      return `group ${group}: snapshot at ${got?.snapshot?.index} is neither the old nor the new one`;
    }
    const snapshotIndex = got?.snapshot?.index ?? 0;
    const entries = got?.entries ?? [];
    const matches = range.some((state) =>
      entriesEqual(
        (state.logs.get(group) ?? []).filter((entry) => entry.index > snapshotIndex),
        entries,
      ),
    );
    if (!matches) {
      const indexes = entries.map((entry) => `${entry.index}/${entry.term}`).join(",");
      return `group ${group}: recovered log [${indexes}] after snapshot ${snapshotIndex} matches no state in [${outcome.ackedState}, ${outcome.reachableState}]`;
    }
  }
  return null;
}

/**
 * A second life after a crash: reopens the recovered disk, appends to every group in synced
 * batches (enough to roll segments over the cut tail), crashes again at a random mutation, and
 * checks that the second recovery holds the first one's state plus every batch acknowledged since.
 */
export function secondLifeCheck(disk: SimDisk, prng: Prng): string | null {
  const first = Wal.open(disk.open(), crashConfig);
  const logs = new Map(first.recovery.groups.map((group) => [group.group, [...group.entries]]));
  const baseline = new Map(first.recovery.groups.map((group) => [group.group, group]));
  const states: Array<Map<GroupId, WalEntry[]>> = [cloneLogs(logs)];
  let ackedState = 0;
  disk.crashAfterMutations(disk.stats.mutations + 1 + prng.below(300), () => {
    throw crashSignal;
  });
  try {
    for (let round = 0; round < 30; round++) {
      for (const group of [1, 2, 3].map(groupId)) {
        const log = logs.get(group) ?? [];
        logs.set(group, log);
        const lastIndex = first.wal.lastIndex(group);
        const entries = Array.from({ length: 1 + prng.below(3) }, (_, i) => ({
          index: logIndex(lastIndex + 1 + i),
          term: term(1_000),
          payload: Uint8Array.from({ length: prng.below(100) }, () => prng.below(256)),
        }));
        // Every entry of the call may land before a crash inside it: each prefix is reachable.
        for (const entry of entries) {
          log.push(entry);
          states.push(cloneLogs(logs));
        }
        first.wal.append(group, entries);
      }
      first.wal.sync();
      ackedState = states.length - 1;
    }
  } catch (error) {
    if (error !== crashSignal) throw error;
  }
  disk.crash();
  const second = Wal.open(disk.open(), crashConfig);
  for (const group of second.recovery.groups) {
    const before = baseline.get(group.group);
    if (!hardStateEqual(before?.hardState, group.hardState))
      return `group ${group.group}: hard state changed ${JSON.stringify(before?.hardState)} -> ${JSON.stringify(group.hardState)}`;
    if (!snapshotEqual(before?.snapshot, group.snapshot)) return `group ${group.group}: snapshot changed`;
    const range = states.slice(ackedState);
    if (!range.some((state) => entriesEqual(state.get(group.group) ?? [], group.entries))) {
      return `group ${group.group}: second recovery lost an acknowledged batch or invented one`;
    }
  }
  return null;
}

function cloneLogs(logs: Map<GroupId, WalEntry[]>): Map<GroupId, WalEntry[]> {
  return new Map([...logs].map(([group, log]) => [group, [...log]]));
}
