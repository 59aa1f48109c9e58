// Goal: the WAL returns what was synced, per group, across reopen: entries with Raft's conflict
// truncation, hard state, snapshots (keeping or discarding the log), segment rolls and compaction;
// it refuses bad calls (a term going back, a commit ahead of the durable log, an oversized payload)
// and reports corruption of acknowledged data as CorruptError. Method: drive it over the
// simulator's SimDisk (reopening through a fresh view, as a restarted process would) and flip bytes
// by hand where corruption is the point.

import { describe, expect, it } from "vitest";
import { CorruptError, LimitExceededError } from "../../src/errors.js";
import { AssertionError } from "../../src/lib/assert.js";
import { Prng } from "../../src/lib/prng.js";
import { SimDisk } from "../../src/sim/sim_disk.js";
import { Wal, type WalConfig } from "../../src/storage/wal.js";
import type { WalEntry, WalTaggedEntry } from "../../src/storage/wal_recovery.js";
import { type GroupId, groupId, logIndex, nodeId, term } from "../../src/types.js";

const config: WalConfig = {
  folder: "member",
  segmentBytes: 4096,
  recordPayloadBytesMax: 1024,
  bufferBytesMax: 2048,
  groupsMax: 16,
  hardStateSlotBytes: 4096,
};

function entries(first: number, count: number, termValue: number, tag = 0): WalEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    index: logIndex(first + i),
    term: term(termValue),
    payload: Uint8Array.of(first + i, termValue, tag, ...new Array<number>((first + i) % 50).fill(tag)),
  }));
}

function freshDisk(): SimDisk {
  return new SimDisk(Prng.fromSeed(7));
}

function reopen(disk: SimDisk, walConfig: WalConfig = config) {
  return Wal.open(disk.open(), walConfig);
}

function recovered(recovery: ReturnType<typeof Wal.open>["recovery"], group: GroupId) {
  return recovery.groups.find((candidate) => candidate.group === group);
}

describe("Wal over SimDisk", () => {
  it("recovers synced entries of several groups, in index order", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    wal.append(groupId(1), entries(1, 10, 1, 1));
    wal.append(groupId(2), entries(1, 5, 3, 2));
    wal.append(groupId(1), entries(11, 3, 2, 1));
    wal.sync();
    const { recovery } = reopen(disk);
    expect(recovered(recovery, groupId(1))?.entries).toEqual([
      ...entries(1, 10, 1, 1),
      ...entries(11, 3, 2, 1),
    ]);
    expect(recovered(recovery, groupId(2))?.entries).toEqual(entries(1, 5, 3, 2));
    expect(recovery.tailTruncated).toBe(false);
  });

  it("applies Raft's conflict truncation: a later append at an index replaces the suffix", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    wal.append(groupId(1), entries(1, 6, 1));
    wal.sync();
    wal.append(groupId(1), entries(4, 2, 2, 9));
    wal.sync();
    expect(wal.lastIndex(groupId(1))).toBe(5);
    const { recovery } = reopen(disk);
    expect(recovered(recovery, groupId(1))?.entries).toEqual([...entries(1, 3, 1), ...entries(4, 2, 2, 9)]);
  });

  it("loses unsynced entries on a crash but never synced ones", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    wal.append(groupId(1), entries(1, 4, 1));
    wal.sync();
    wal.append(groupId(1), entries(5, 40, 1));
    disk.crash();
    const { recovery } = reopen(disk);
    const got = recovered(recovery, groupId(1))?.entries ?? [];
    expect(got.slice(0, 4)).toEqual(entries(1, 4, 1));
    expect(got).toEqual(entries(1, got.length, 1));
  });

  it("rolls segments and compacts those wholly behind every group's snapshot", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    for (let i = 0; i < 60; i++) {
      wal.append(groupId(1), entries(1 + i * 5, 5, 1));
      wal.append(groupId(2), entries(1 + i * 2, 2, 1));
      wal.sync();
    }
    const segmentsBefore = wal.segmentCount;
    expect(segmentsBefore).toBeGreaterThan(3);
    wal.saveSnapshot(groupId(1), { index: logIndex(290), term: term(1), data: Uint8Array.of(1) }, "keep-log");
    expect(wal.segmentCount).toBe(segmentsBefore); // Group 2 still needs every segment.
    wal.saveSnapshot(groupId(2), { index: logIndex(116), term: term(1), data: Uint8Array.of(2) }, "keep-log");
    expect(wal.segmentCount).toBeLessThan(segmentsBefore);
    expect(wal.stats.segmentsRemoved).toBe(segmentsBefore - wal.segmentCount);
    const { recovery } = reopen(disk);
    const one = recovered(recovery, groupId(1))!;
    expect(one.snapshot).toEqual({ index: 290, term: 1, data: Uint8Array.of(1) });
    expect(one.entries).toEqual(entries(291, 10, 1));
    expect(recovered(recovery, groupId(2))?.entries).toEqual(entries(117, 4, 1));
  });

  it("a snapshot that discards the log hides every earlier entry of its group only", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    wal.append(groupId(1), entries(1, 8, 1));
    wal.append(groupId(2), entries(1, 2, 1));
    wal.sync();
    wal.saveSnapshot(
      groupId(1),
      { index: logIndex(5), term: term(3), data: new Uint8Array(0) },
      "discard-log",
    );
    expect(wal.lastIndex(groupId(1))).toBe(5);
    wal.append(groupId(1), entries(6, 2, 3, 4));
    wal.sync();
    const { recovery } = reopen(disk);
    expect(recovered(recovery, groupId(1))?.entries).toEqual(entries(6, 2, 3, 4));
    expect(recovered(recovery, groupId(2))?.entries).toEqual(entries(1, 2, 1));
  });

  it("never lets records hidden by a discarding snapshot hold compaction back, before or after reopen", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    for (let i = 0; i < 60; i++) {
      wal.append(groupId(1), entries(1 + i * 5, 5, 1));
      wal.append(groupId(2), entries(1 + i, 1, 1));
      wal.sync();
    }
    const segmentsBefore = wal.segmentCount;
    expect(segmentsBefore).toBeGreaterThan(3);
    // Group 1's log conflicts with a leader's snapshot at 10: its 300 entries are all discarded.
    wal.saveSnapshot(
      groupId(1),
      { index: logIndex(10), term: term(5), data: new Uint8Array(0) },
      "discard-log",
    );
    expect(wal.segmentCount).toBe(segmentsBefore); // Group 2 still pins every segment.
    const second = reopen(disk);
    expect(recovered(second.recovery, groupId(1))?.entries).toEqual([]);
    second.wal.saveSnapshot(
      groupId(2),
      { index: logIndex(60), term: term(1), data: new Uint8Array(0) },
      "keep-log",
    );
    expect(second.wal.segmentCount).toBe(1);
    expect(recovered(reopen(disk).recovery, groupId(1))?.snapshot?.index).toBe(10);
  });

  it("stores hard state atomically and refuses one that goes back or outruns the durable log", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    wal.append(groupId(1), entries(1, 3, 2));
    expect(() => wal.saveHardState(groupId(1), { term: term(2), vote: null, commit: logIndex(1) })).toThrow(
      AssertionError,
    );
    wal.sync();
    wal.saveHardState(groupId(1), { term: term(2), vote: nodeId("n1"), commit: logIndex(3) });
    expect(() => wal.saveHardState(groupId(1), { term: term(1), vote: null, commit: logIndex(3) })).toThrow(
      AssertionError,
    );
    expect(() =>
      wal.saveHardState(groupId(1), { term: term(2), vote: nodeId("n2"), commit: logIndex(3) }),
    ).toThrow(AssertionError);
    const { recovery } = reopen(disk);
    expect(recovered(recovery, groupId(1))?.hardState).toEqual({ term: 2, vote: "n1", commit: 3 });
  });

  it("throws LimitExceededError for a payload above recordPayloadBytesMax", () => {
    const { wal } = reopen(freshDisk());
    const big: WalEntry = { index: logIndex(1), term: term(1), payload: new Uint8Array(1025) };
    expect(() => wal.append(groupId(1), [big])).toThrow(LimitExceededError);
    // A tag counts: 1024 bytes of payload behind a tag are 1025 stored bytes.
    const tagged: WalTaggedEntry = { ...big, tag: 1, payload: new Uint8Array(1024) };
    expect(() => wal.append(groupId(1), [tagged])).toThrow(LimitExceededError);
  });

  it("stores a tagged entry as its tag then its payload, with untagged ones, across segment rolls", () => {
    const disk = freshDisk();
    const { wal } = reopen(disk);
    const plain = entries(1, 40, 1, 3);
    const tagged: WalTaggedEntry[] = entries(41, 40, 1, 4).map((entry, i) => ({ ...entry, tag: i % 256 }));
    wal.append(groupId(1), plain);
    wal.append(groupId(1), tagged);
    wal.sync();
    const stored = tagged.map(({ index, term: t, tag, payload }) => ({
      index,
      term: t,
      payload: Uint8Array.of(tag, ...payload),
    }));
    const { recovery } = reopen(disk);
    expect(recovered(recovery, groupId(1))?.entries).toEqual([...plain, ...stored]);
  });
});

describe("Wal corruption", () => {
  function synced(disk: SimDisk, count: number, commit: number): void {
    const { wal } = reopen(disk);
    for (let i = 0; i < count; i++) {
      wal.append(groupId(1), entries(1 + i * 4, 4, 1));
      wal.sync();
    }
    wal.saveHardState(groupId(1), { term: term(1), vote: null, commit: logIndex(commit) });
  }

  function flip(disk: SimDisk, path: string, offset: number): void {
    const byte = disk.read(path, offset, 1);
    disk.write(path, offset, Uint8Array.of(byte[0]! ^ 0x10));
    disk.sync(path);
  }

  it("refuses a damaged record in a segment that is not the last", () => {
    const disk = freshDisk();
    synced(disk, 80, 4);
    const segments = disk.list("member/wal");
    expect(segments.length).toBeGreaterThan(2);
    flip(disk, `member/wal/${segments[0]}`, 32 + 40);
    expect(() => reopen(disk)).toThrow(CorruptError);
  });

  it("refuses a missing segment in the middle", () => {
    const disk = freshDisk();
    synced(disk, 80, 4);
    const segments = disk.list("member/wal");
    disk.remove(`member/wal/${segments[1]}`);
    expect(() => reopen(disk)).toThrow(/missing/);
  });

  it("refuses a damaged committed record in the last segment (the log would end before commit)", () => {
    const disk = freshDisk();
    synced(disk, 2, 8);
    flip(disk, "member/wal/0000000000000001.wal", 32 + 40);
    expect(() => reopen(disk)).toThrow(/acknowledged entries were lost/);
  });

  it("truncates a damaged uncommitted tail and appends cleanly after it", () => {
    const disk = freshDisk();
    synced(disk, 2, 4);
    const path = "member/wal/0000000000000001.wal";
    const { wal } = reopen(disk);
    expect(wal.lastIndex(groupId(1))).toBe(8);
    const tailOffset = wal.position.offset;
    wal.append(groupId(1), entries(9, 1, 1));
    wal.sync();
    flip(disk, path, tailOffset + 40);
    const second = reopen(disk);
    expect(second.recovery.tailTruncated).toBe(true);
    expect(recovered(second.recovery, groupId(1))?.entries).toEqual(entries(1, 8, 1));
    second.wal.append(groupId(1), entries(9, 2, 2, 5));
    second.wal.sync();
    const third = reopen(disk);
    expect(third.recovery.tailTruncated).toBe(false);
    expect(recovered(third.recovery, groupId(1))?.entries).toEqual([
      ...entries(1, 8, 1),
      ...entries(9, 2, 2, 5),
    ]);
  });

  it("zeroes a cut tail, so its leftovers never become mid-log corruption after a roll", () => {
    const disk = freshDisk();
    synced(disk, 2, 4);
    const path = "member/wal/0000000000000001.wal";
    const tailOffset = reopen(disk).wal.position.offset;
    // A crash left garbage after the last good record, some of it where no record will reach
    // before the segment rolls (its last bytes), made durable here by hand.
    disk.write(path, tailOffset + 8, new Uint8Array(300).fill(0x5a));
    disk.write(path, config.segmentBytes - 12, new Uint8Array(12).fill(0x5a));
    disk.sync(path);
    const second = reopen(disk);
    expect(second.recovery.tailTruncated).toBe(true);
    second.wal.append(groupId(1), entries(9, 1, 1)); // Shorter than the garbage behind it.
    for (let i = 0; i < 20; i++) second.wal.append(groupId(1), entries(10 + i * 4, 4, 1));
    second.wal.sync();
    expect(second.wal.segmentCount).toBeGreaterThan(1);
    expect(recovered(reopen(disk).recovery, groupId(1))?.entries).toEqual(entries(1, 89, 1));
  });

  it("refuses a hard-state table whose two copies are both damaged", () => {
    const disk = freshDisk();
    synced(disk, 1, 2);
    const { wal } = reopen(disk);
    wal.saveHardState(groupId(1), { term: term(2), vote: null, commit: logIndex(3) });
    // Rot in the newest copy (slot 1) looks like a torn write: the previous table comes back.
    flip(disk, "member/hard_state/table.bin", config.hardStateSlotBytes + 30);
    expect(recovered(reopen(disk).recovery, groupId(1))?.hardState).toEqual({
      term: 1,
      vote: null,
      commit: 2,
    });
    flip(disk, "member/hard_state/table.bin", 30);
    expect(() => reopen(disk)).toThrow(CorruptError);
  });

  it("keeps the previous hard states when the newest table write is torn, and writes around it", () => {
    const disk = freshDisk();
    synced(disk, 1, 2);
    const { wal } = reopen(disk);
    wal.saveHardStates([
      [groupId(1), { term: term(2), vote: nodeId("n2"), commit: logIndex(3) }],
      [groupId(2), { term: term(5), vote: null, commit: logIndex(0) }],
    ]);
    // The newest copy is slot 1: cut its last bytes as a torn write would.
    const slot1 = config.hardStateSlotBytes;
    disk.truncate("member/hard_state/table.bin", disk.size("member/hard_state/table.bin") - 3);
    disk.sync("member/hard_state/table.bin");
    const again = reopen(disk);
    expect(recovered(again.recovery, groupId(1))?.hardState).toEqual({ term: 1, vote: null, commit: 2 });
    expect(recovered(again.recovery, groupId(2))).toBeUndefined();
    // The next write goes to the damaged slot, never over the only valid copy.
    again.wal.saveHardState(groupId(1), { term: term(3), vote: null, commit: logIndex(4) });
    expect(disk.size("member/hard_state/table.bin")).toBeGreaterThan(slot1);
    expect(recovered(reopen(disk).recovery, groupId(1))?.hardState).toEqual({
      term: 3,
      vote: null,
      commit: 4,
    });
  });

  it("removes a last segment whose header never became durable", () => {
    const disk = freshDisk();
    synced(disk, 1, 2);
    disk.write("member/wal/0000000000000002.wal", 0, new Uint8Array(100).fill(0xab));
    disk.sync("member/wal/0000000000000002.wal");
    disk.syncDirectory("member/wal");
    const { wal, recovery } = reopen(disk);
    expect(recovered(recovery, groupId(1))?.entries).toEqual(entries(1, 4, 1));
    expect(disk.list("member/wal")).toEqual(["0000000000000001.wal"]);
    wal.append(groupId(1), entries(5, 1, 1));
    wal.sync();
    expect(recovered(reopen(disk).recovery, groupId(1))?.entries).toEqual(entries(1, 5, 1));
  });
});
