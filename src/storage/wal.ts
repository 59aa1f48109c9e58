// One write-ahead log per member, shared by all its Raft groups, over the env Disk (so it runs on
// NodeDisk and on the simulator's SimDisk alike). Appends are buffered and written in large
// positional writes; `sync()` makes everything appended so far durable with one fdatasync: group
// commit, which STACK.md measured at 25–35 times the rate of a sync per record. Nothing appended is
// acknowledged until `sync()` returns. Segments are preallocated with zeros and synced whole before
// the next one is created; snapshots are separate files replaced atomically, and every group's hard
// state lives in one two-slot table (hard_state_table.ts), so any number of term and vote changes
// cost one fdatasync.
// Compaction removes whole segments once every record in them is behind its group's snapshot.
// See wal_recovery.ts for what `open()` accepts, truncates and refuses.

import type { Disk } from "../env/disk.js";
import type { Logger } from "../env/logger.js";
import { silentLogger } from "../env/logger.js";
import { LimitExceededError } from "../errors.js";
import { assert } from "../lib/assert.js";
import type { GroupId, LogIndex } from "../types.js";
import { AtomicFileKind, atomicFileWrite } from "./atomic_file.js";
import { HardStateTable } from "./hard_state_table.js";
import { type HardState, type Snapshot, type SnapshotRecord, snapshotEncode } from "./hard_state.js";
import { crc32 as crc32Portable } from "../lib/bytes.js";
import {
  type Checksum,
  recordBytes,
  recordEncode,
  segmentHeaderBytes,
  segmentHeaderEncode,
} from "./segment.js";
import {
  type GroupRecovery,
  groupFileName,
  groupFilesLoad,
  groupsRecover,
  isBefore,
  type ScannedLog,
  type StorageFolders,
  segmentName,
  segmentsScan,
  type WalEntry,
  type WalTaggedEntry,
} from "./wal_recovery.js";

/** Sizes of a {@link Wal}, units last. */
export interface WalConfig {
  /** The folder holding this member's storage ("" for the disk's root). */
  readonly folder: string;
  /** Size of every segment file, preallocated with zeros. */
  readonly segmentBytes: number;
  /** Largest entry payload. */
  readonly recordPayloadBytesMax: number;
  /** Appended bytes held in memory before they are written (without a sync). */
  readonly bufferBytesMax: number;
  /** Most groups one member's log serves. */
  readonly groupsMax: number;
  /** Size of each of the hard-state table's two slots (every group's term, vote and commit). */
  readonly hardStateSlotBytes: number;
}

/** Production sizes: 64 MiB segments, 1 MiB write buffer. */
export function walConfigDefault(folder: string): WalConfig {
  return {
    folder,
    segmentBytes: 64 * 1024 * 1024,
    recordPayloadBytesMax: 8 * 1024 * 1024,
    bufferBytesMax: 1024 * 1024,
    groupsMax: 4096,
    hardStateSlotBytes: 512 * 1024,
  };
}

/** What {@link Wal.open} takes besides the disk and the sizes. */
export interface WalOptions {
  readonly logger?: Logger;
  /** CRC-32 (IEEE); the platform passes node:zlib's. Defaults to the portable lib/bytes.ts one. */
  readonly checksum?: Checksum;
}

/** Whether a snapshot keeps the log after its index (it matched) or replaces the whole log. */
export type SnapshotLogMode = "keep-log" | "discard-log";

/** Counters for metrics and benchmarks. */
export interface WalStats {
  entriesAppended: number;
  bytesWritten: number;
  writes: number;
  syncs: number;
  segmentsCreated: number;
  segmentsRemoved: number;
}

/** What {@link Wal.open} found. */
export interface WalRecovery {
  /** Per group, sorted by group: hard state, snapshot and the entries after it. */
  readonly groups: GroupRecovery[];
  /** Why the log ended where it did ("zeros" after a clean shutdown). */
  readonly tailReason: string;
  /** Whether a torn or lost tail was cut off. */
  readonly tailTruncated: boolean;
}

interface GroupState {
  lastIndex: number;
  syncedLastIndex: number;
  snapshotIndex: number;
  hardState: HardState | null;
}

interface Segment {
  readonly sequence: number;
  readonly path: string;
  readonly segmentBytes: number;
  readonly maxIndexByGroup: Map<GroupId, number>;
}

/** Zeros written per call while preallocating a segment. */
const zeroChunkBytes = 1024 * 1024;

/**
 * Rebuilds, per segment, each group's highest live index: records a discarding snapshot hid do
 * not count, so they never hold compaction back.
 */
function segmentsIndex(scanned: ScannedLog, snapshots: Map<GroupId, SnapshotRecord>): Segment[] {
  const segments = scanned.segments.map((segment) => ({
    ...segment,
    maxIndexByGroup: new Map<GroupId, number>(),
  }));
  const bySequence = new Map(segments.map((segment) => [segment.sequence, segment]));
  for (const { sequence, record } of scanned.records) {
    if (isBefore(sequence, record.offset, snapshots.get(record.group)?.discard ?? null)) continue;
    const maxIndexByGroup = bySequence.get(sequence)!.maxIndexByGroup;
    maxIndexByGroup.set(record.group, Math.max(maxIndexByGroup.get(record.group) ?? 0, record.index));
  }
  return segments;
}

function foldersOf(folder: string): StorageFolders {
  const prefix = folder === "" ? "" : `${folder}/`;
  return { wal: `${prefix}wal`, hardState: `${prefix}hard_state`, snapshots: `${prefix}snapshots` };
}

/** The write-ahead log of one member. Not safe to share between two processes. */
export class Wal {
  private readonly folders: StorageFolders;
  private readonly groups = new Map<GroupId, GroupState>();
  private readonly dirtyGroups = new Set<GroupId>();
  private readonly buffer: Uint8Array;
  private segments: Segment[] = [];
  private bufferedBytes = 0;
  private writeOffset = 0;
  private flushedOffset = 0;
  private lastCrc = 0;
  private syncedOffset = 0;
  private isClosed = false;
  private syncInFlight = false;
  private hardStateTable: HardStateTable | null = null;
  readonly stats: WalStats = {
    entriesAppended: 0,
    bytesWritten: 0,
    writes: 0,
    syncs: 0,
    segmentsCreated: 0,
    segmentsRemoved: 0,
  };

  private constructor(
    private readonly disk: Disk,
    private readonly config: WalConfig,
    private readonly logger: Logger,
    private readonly crc32: Checksum,
  ) {
    assert(config.segmentBytes >= segmentHeaderBytes + recordBytes(config.recordPayloadBytesMax));
    assert(config.segmentBytes <= 0xffff_ffff, "a segment's size must fit its header");
    assert(config.bufferBytesMax > 0 && config.groupsMax > 0);
    this.folders = foldersOf(config.folder);
    this.buffer = new Uint8Array(config.bufferBytesMax);
  }

  /**
   * Opens (or creates) the storage in `config.folder`, recovering every group. Throws CorruptError
   * when acknowledged data is damaged; cuts off a torn or lost tail silently (that is a crash).
   */
  static open(disk: Disk, config: WalConfig, options: WalOptions = {}): { wal: Wal; recovery: WalRecovery } {
    const logger = options.logger ?? silentLogger;
    const crc32 = options.checksum ?? crc32Portable;
    const wal = new Wal(disk, config, logger, crc32);
    wal.foldersEnsure();
    const { hardStates, snapshots } = groupFilesLoad(disk, wal.folders, crc32);
    // Per-group hard-state files are what versions before the table wrote; the table supersedes them.
    const opened = HardStateTable.open(disk, wal.folders.hardState, config.hardStateSlotBytes, crc32);
    wal.hardStateTable = opened.table;
    for (const [group, state] of opened.states) hardStates.set(group, state);
    const scanned = segmentsScan(disk, wal.folders.wal, config.recordPayloadBytesMax, crc32);
    const groups = groupsRecover(scanned, hardStates, snapshots);
    for (const recovered of groups) {
      const snapshotIndex = recovered.snapshot?.index ?? 0;
      const lastIndex = recovered.entries[recovered.entries.length - 1]?.index ?? snapshotIndex;
      wal.groups.set(recovered.group, {
        lastIndex,
        syncedLastIndex: lastIndex,
        snapshotIndex,
        hardState: recovered.hardState,
      });
    }
    const tail = scanned.tail;
    if (tail === null) {
      wal.segmentCreate(scanned.nextSequence, 0);
    } else {
      wal.segments = segmentsIndex(scanned, snapshots);
      wal.writeOffset = tail.endOffset;
      wal.flushedOffset = tail.endOffset;
      wal.syncedOffset = tail.endOffset;
      wal.lastCrc = tail.lastCrc;
      if (tail.isDirty) wal.tailRepair();
    }
    const tailTruncated = tail?.isDirty ?? false;
    if (tailTruncated) logger.warn("wal.tail_truncated", { offset: tail?.endOffset, reason: tail?.reason });
    return { wal, recovery: { groups, tailReason: tail?.reason ?? "new log", tailTruncated } };
  }

  /** The last index appended for `group` (durable or not), or its snapshot index. */
  lastIndex(group: GroupId): LogIndex {
    return (this.groups.get(group)?.lastIndex ?? 0) as LogIndex;
  }

  /** The last index of `group` made durable by a sync (or covered by its snapshot). */
  syncedLastIndex(group: GroupId): LogIndex {
    return (this.groups.get(group)?.syncedLastIndex ?? 0) as LogIndex;
  }

  /**
   * Appends contiguous `entries` to `group`'s log; none is durable before `sync()`. An entry at an
   * index the log already has replaces it and everything after it (Raft's conflict truncation).
   * May write, and at a segment boundary sync, but never acknowledges. Throws LimitExceededError
   * for a payload above recordPayloadBytesMax.
   */
  append(group: GroupId, entries: readonly (WalEntry | WalTaggedEntry)[]): void {
    assert(!this.isClosed, "the WAL is closed");
    assert(!this.syncInFlight, "no append while an asynchronous sync is in flight");
    const first = entries[0];
    if (first === undefined) return;
    for (const entry of entries) {
      const payloadBytes = storedPayloadBytes(entry);
      if (payloadBytes > this.config.recordPayloadBytesMax) {
        throw new LimitExceededError(
          "recordPayloadBytesMax",
          payloadBytes,
          this.config.recordPayloadBytesMax,
        );
      }
    }
    const state = this.groupState(group);
    assert(
      first.index > state.snapshotIndex,
      `group ${group}: append at ${first.index} is behind the snapshot`,
    );
    assert(first.index <= state.lastIndex + 1, `group ${group}: append at ${first.index} leaves a gap`);
    for (const [i, entry] of entries.entries()) {
      assert(entry.index === first.index + i, "entries must be contiguous");
      this.recordAppend(group, entry);
    }
    state.lastIndex = first.index + entries.length - 1;
    state.syncedLastIndex = Math.min(state.syncedLastIndex, first.index - 1);
    this.dirtyGroups.add(group);
    this.stats.entriesAppended += entries.length;
  }

  /** Makes everything appended so far durable: one write of the buffer, one fdatasync. */
  sync(): void {
    assert(!this.isClosed, "the WAL is closed");
    this.flush();
    this.disk.sync(this.current().path);
    this.syncedOffset = this.flushedOffset;
    this.stats.syncs += 1;
    for (const group of this.dirtyGroups) {
      const state = this.groups.get(group)!;
      state.syncedLastIndex = state.lastIndex;
    }
    this.dirtyGroups.clear();
  }

  /**
   * Group commit without blocking the event loop: writes the buffer now, then makes everything
   * appended so far durable with one fdatasync on the disk's thread pool and calls `done`. Until
   * `done`, nothing appended is durable for `syncedLastIndex`, and no append, snapshot or second
   * asynchronous sync may start (the caller pipelines: it steps messages and applies committed
   * entries meanwhile). A failed sync is fatal to the WAL's promise, so it is reported, not retried
   * (fsyncgate: after an fsync error the page cache may have dropped the data).
   */
  syncAsync(done: (error: Error | null) => void): void {
    assert(!this.isClosed, "the WAL is closed");
    assert(!this.syncInFlight, "one asynchronous sync at a time");
    this.flush();
    const segment = this.current();
    const offset = this.flushedOffset;
    const covered: [GroupState, number][] = [];
    for (const group of this.dirtyGroups) {
      const state = this.groups.get(group)!;
      covered.push([state, state.lastIndex]);
    }
    this.dirtyGroups.clear();
    this.syncInFlight = true;
    this.disk.syncAsync(segment.path, (error) => {
      this.syncInFlight = false;
      if (this.isClosed) return;
      if (error === null) {
        if (this.current() === segment) this.syncedOffset = Math.max(this.syncedOffset, offset);
        this.stats.syncs += 1;
        for (const [state, lastIndex] of covered)
          state.syncedLastIndex = Math.max(state.syncedLastIndex, Math.min(lastIndex, state.lastIndex));
      }
      done(error);
    });
  }

  /** Whether an asynchronous sync is in flight. */
  get syncing(): boolean {
    return this.syncInFlight;
  }

  /**
   * Replaces `group`'s hard state atomically and durably. Sync the entries first: the commit index
   * must be covered by durable entries (or the snapshot), so a restart never commits what it lost.
   */
  saveHardState(group: GroupId, hardState: HardState): void {
    this.saveHardStates([[group, hardState]]);
  }

  /**
   * Replaces the hard states of several groups at once, atomically and durably: one write of the
   * table and one fdatasync, however many groups changed (an election round, a stop).
   */
  saveHardStates(changes: readonly (readonly [GroupId, HardState])[]): void {
    assert(!this.isClosed, "the WAL is closed");
    if (changes.length === 0) return;
    for (const [group, hardState] of changes) this.hardStateCheck(group, hardState);
    for (const [group, hardState] of changes) this.groupState(group).hardState = hardState;
    const all = new Map<GroupId, HardState>();
    for (const [group, state] of this.groups) if (state.hardState !== null) all.set(group, state.hardState);
    this.hardStateTable!.write(all);
  }

  private hardStateCheck(group: GroupId, hardState: HardState): void {
    const state = this.groupState(group);
    const previous = state.hardState;
    if (previous !== null) {
      assert(hardState.term >= previous.term, `group ${group}: term goes back`);
      assert(hardState.commit >= previous.commit, `group ${group}: commit index goes back`);
      const sameTerm = hardState.term === previous.term;
      assert(
        !sameTerm || previous.vote === null || hardState.vote === previous.vote,
        "a vote never changes in a term",
      );
    }
    assert(
      hardState.commit <= Math.max(state.syncedLastIndex, state.snapshotIndex),
      `group ${group}: commit ${hardState.commit} is ahead of the durable log`,
    );
  }

  /**
   * Replaces `group`'s snapshot atomically and durably, then compacts. With "discard-log" every
   * entry of the group appended before this call is gone (a snapshot that did not match the log);
   * with "keep-log" the entries after the snapshot stay.
   */
  saveSnapshot(group: GroupId, snapshot: Snapshot, mode: SnapshotLogMode): void {
    assert(!this.isClosed, "the WAL is closed");
    assert(!this.syncInFlight, "no snapshot while an asynchronous sync is in flight");
    const state = this.groupState(group);
    assert(snapshot.index >= state.snapshotIndex, `group ${group}: snapshot goes back`);
    this.flush(); // The discard position must be past every record already appended.
    const discard =
      mode === "discard-log" ? { segmentSequence: this.current().sequence, offset: this.writeOffset } : null;
    const body = snapshotEncode({ snapshot, discard });
    atomicFileWrite(
      this.disk,
      this.folders.snapshots,
      groupFileName(group),
      AtomicFileKind.Snapshot,
      body,
      this.crc32,
    );
    state.snapshotIndex = snapshot.index;
    if (mode === "discard-log") {
      // Every record of the group so far is hidden now: none of them holds compaction back.
      for (const segment of this.segments) segment.maxIndexByGroup.delete(group);
    }
    state.lastIndex = mode === "discard-log" ? snapshot.index : Math.max(state.lastIndex, snapshot.index);
    state.syncedLastIndex =
      mode === "discard-log" ? snapshot.index : Math.max(state.syncedLastIndex, snapshot.index);
    this.compact();
  }

  /** Removes the oldest segments while every record in them is behind its group's snapshot. */
  compact(): number {
    let removed = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      for (const [group, maxIndex] of oldest.maxIndexByGroup) {
        if (maxIndex > (this.groups.get(group)?.snapshotIndex ?? 0)) return removed;
      }
      // One removal per directory sync: whatever order the file system persists them in, the
      // segments left are always a contiguous run.
      this.disk.remove(oldest.path);
      this.disk.syncDirectory(this.folders.wal);
      this.segments.shift();
      removed += 1;
      this.stats.segmentsRemoved += 1;
    }
    return removed;
  }

  /** Where the next record goes, how far the current segment is written, and how far it is durable. */
  get position(): {
    readonly segmentSequence: number;
    readonly offset: number;
    readonly flushedOffset: number;
    readonly syncedOffset: number;
  } {
    return {
      segmentSequence: this.current().sequence,
      offset: this.writeOffset,
      flushedOffset: this.flushedOffset,
      syncedOffset: this.syncedOffset,
    };
  }

  /** Number of segment files. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Stops accepting calls. Unsynced appends are abandoned, exactly as in a crash. */
  close(): void {
    this.isClosed = true;
  }

  private groupState(group: GroupId): GroupState {
    let state = this.groups.get(group);
    if (state === undefined) {
      if (this.groups.size >= this.config.groupsMax)
        throw new LimitExceededError("groupsMax", this.groups.size + 1, this.config.groupsMax);
      state = { lastIndex: 0, syncedLastIndex: 0, snapshotIndex: 0, hardState: null };
      this.groups.set(group, state);
    }
    return state;
  }

  private current(): Segment {
    const segment = this.segments[this.segments.length - 1];
    assert(segment !== undefined, "the WAL always has a current segment");
    return segment;
  }

  private recordAppend(group: GroupId, entry: WalEntry | WalTaggedEntry): void {
    const bytes = recordBytes(storedPayloadBytes(entry));
    if (this.writeOffset + bytes > this.current().segmentBytes) this.roll();
    const tag = "tag" in entry ? entry.tag : null;
    const record = { group, index: entry.index, term: entry.term, tag, payload: entry.payload };
    if (bytes > this.buffer.byteLength) {
      this.flush();
      const own = new Uint8Array(bytes);
      this.lastCrc = recordEncode(own, 0, this.lastCrc, record, this.crc32);
      this.write(own);
    } else {
      if (this.bufferedBytes + bytes > this.buffer.byteLength) this.flush();
      this.lastCrc = recordEncode(this.buffer, this.bufferedBytes, this.lastCrc, record, this.crc32);
      this.bufferedBytes += bytes;
    }
    this.writeOffset += bytes;
    const segment = this.current();
    segment.maxIndexByGroup.set(group, Math.max(segment.maxIndexByGroup.get(group) ?? 0, entry.index));
    assert(this.flushedOffset + this.bufferedBytes === this.writeOffset);
  }

  private flush(): void {
    if (this.bufferedBytes === 0) return;
    const bytes = this.buffer.subarray(0, this.bufferedBytes);
    this.bufferedBytes = 0;
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    assert(this.bufferedBytes === 0, "buffered records go first");
    this.disk.write(this.current().path, this.flushedOffset, bytes);
    this.flushedOffset += bytes.byteLength;
    this.stats.writes += 1;
    this.stats.bytesWritten += bytes.byteLength;
  }

  /** Syncs the current segment whole, then starts the next: only the last segment is ever torn. */
  private roll(): void {
    this.flush();
    const current = this.current();
    this.disk.sync(current.path);
    this.syncedOffset = this.flushedOffset;
    this.stats.syncs += 1;
    this.segmentCreate(current.sequence + 1, this.lastCrc);
  }

  /** Creates, zero-fills and syncs a segment (and its folder entry) before any record goes in. */
  private segmentCreate(sequence: number, parentCrc: number): void {
    const path = `${this.folders.wal}/${segmentName(sequence)}`;
    const segmentBytes = this.config.segmentBytes;
    const zeros = new Uint8Array(Math.min(zeroChunkBytes, segmentBytes));
    for (let offset = segmentHeaderBytes; offset < segmentBytes; offset += zeros.byteLength) {
      this.disk.write(path, offset, zeros.subarray(0, Math.min(zeros.byteLength, segmentBytes - offset)));
    }
    this.disk.write(path, 0, segmentHeaderEncode({ sequence, parentCrc, segmentBytes }, this.crc32));
    this.disk.sync(path);
    this.disk.syncDirectory(this.folders.wal);
    this.segments.push({ sequence, path, segmentBytes, maxIndexByGroup: new Map() });
    this.writeOffset = segmentHeaderBytes;
    this.flushedOffset = segmentHeaderBytes;
    this.syncedOffset = segmentHeaderBytes;
    this.lastCrc = parentCrc;
    this.stats.segmentsCreated += 1;
    this.logger.debug("wal.segment_created", { sequence });
  }

  /**
   * Makes the storage folders' own entries durable (fsync of each folder and of its parents), so
   * a power loss right after the first start cannot take the whole log folder with it.
   */
  private foldersEnsure(): void {
    for (const folder of [this.folders.wal, this.folders.hardState, this.folders.snapshots]) {
      this.disk.syncDirectory(folder);
    }
    const parts = this.config.folder === "" ? [] : this.config.folder.split("/");
    for (let count = parts.length; count >= 0; count--)
      this.disk.syncDirectory(parts.slice(0, count).join("/"));
  }

  /** Zeroes everything after the recovered end, so no stale byte can follow new records. */
  private tailRepair(): void {
    const { path, segmentBytes } = this.current();
    this.disk.truncate(path, this.writeOffset);
    this.disk.truncate(path, segmentBytes);
    this.disk.sync(path);
  }
}

/** The bytes an entry's record stores as its payload: the tag, if any, then the payload. */
function storedPayloadBytes(entry: WalEntry | WalTaggedEntry): number {
  return ("tag" in entry ? 1 : 0) + entry.payload.byteLength;
}
