// Reading a member's storage back after a restart or a crash: the segments of the WAL, the hard
// state and the snapshot of every group. Pure decisions over what the Disk returns; the only
// writes it makes are the removal of leftovers that can hold nothing acknowledged.
//
// The policy, which the crash-consistency tests (T11) hold it to:
// - Every segment but the last was synced whole before its successor was created, so anything
//   wrong inside one (a bad record, a non-zero byte after its last record, a broken chain or
//   sequence) is corruption: CorruptError, never a silent truncation.
// - In the last segment the first record that does not verify ends the log: a torn or lost
//   unsynced write looks exactly like that. What follows it was never acknowledged.
// - A bit flip in a synced record of the last segment looks the same, so recovery cross-checks
//   every group's durable commit index against the log it recovered: a log that ends before it
//   lost acknowledged entries, and that is CorruptError too.
// - A last segment whose header does not verify was never synced past its creation (its header
//   is synced before any record), so it holds nothing acknowledged and is removed.

import type { Disk } from "../env/disk.js";
import { CorruptError } from "../errors.js";
import type { GroupId, LogIndex, Term } from "../types.js";
import { atomicFileRead, AtomicFileKind, atomicFilesTidy } from "./atomic_file.js";
import {
  type HardState,
  hardStateDecode,
  type LogDiscard,
  type Snapshot,
  type SnapshotRecord,
  snapshotDecode,
} from "./hard_state.js";
import {
  type Checksum,
  type SegmentHeader,
  type SegmentRecord,
  type SegmentScan,
  segmentHeaderDecode,
  segmentScan,
} from "./segment.js";

/** One entry of a group's log, as appended and as recovered. */
export interface WalEntry {
  readonly index: LogIndex;
  readonly term: Term;
  /** Opaque to storage; the caller owns it once recovered. */
  readonly payload: Uint8Array;
}

/**
 * An entry to append whose stored payload is one byte, `tag`, then `payload`: the caller need not
 * copy its bytes into a new array only to put a byte in front. Recovery returns the stored payload
 * whole (tag first), as a {@link WalEntry}.
 */
export interface WalTaggedEntry extends WalEntry {
  readonly tag: number;
}

/** What recovery returns for one group. */
export interface GroupRecovery {
  readonly group: GroupId;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  /** Contiguous entries after the snapshot (or from index 1), in index order. */
  readonly entries: WalEntry[];
}

/** The folders of one member's storage. */
export interface StorageFolders {
  readonly wal: string;
  readonly hardState: string;
  readonly snapshots: string;
}

/** One segment found on open. */
export interface ScannedSegment {
  readonly sequence: number;
  readonly path: string;
  readonly segmentBytes: number;
}

/** The end of the log, where appends continue. */
export interface ScannedTail {
  readonly endOffset: number;
  readonly lastCrc: number;
  /** Whether bytes after the end must be zeroed before appending (a torn or lost tail). */
  readonly isDirty: boolean;
  readonly reason: string;
}

/** Everything read from the segments. */
export interface ScannedLog {
  readonly segments: ScannedSegment[];
  readonly records: Array<{ readonly sequence: number; readonly record: SegmentRecord }>;
  readonly tail: ScannedTail | null;
  /** The sequence a new segment should take when `segments` is empty. */
  readonly nextSequence: number;
}

const segmentNamePattern = /^[0-9a-f]{16}\.wal$/;

/** The file name of segment `sequence`: fixed-width hex, so names sort in sequence order. */
export function segmentName(sequence: number): string {
  return `${sequence.toString(16).padStart(16, "0")}.wal`;
}

/** The file name of a group's hard state or snapshot. */
export function groupFileName(group: GroupId): string {
  return `${String(group).padStart(10, "0")}.bin`;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

type SegmentLink = { readonly sequence: number; readonly lastCrc: number; readonly endOffset: number };

/**
 * Reads and verifies one segment against the one before it. Returns null for a last segment
 * whose header does not verify (removed: nothing acknowledged can be in it).
 */
function segmentVerify(
  disk: Disk,
  path: string,
  sequence: number,
  isLast: boolean,
  previous: SegmentLink | null,
  payloadBytesMax: number,
  crc32: Checksum,
): { header: SegmentHeader; scan: SegmentScan; isDirty: boolean } | null {
  const bytes = disk.read(path, 0, disk.size(path));
  const header = segmentHeaderDecode(bytes, crc32);
  if (header === null) {
    if (!isLast) throw new CorruptError(`${path}: segment header does not verify`);
    disk.remove(path);
    disk.syncDirectory(folderOf(path));
    return null;
  }
  if (header.sequence !== sequence)
    throw new CorruptError(`${path}: header names segment ${header.sequence}`);
  if (previous !== null && sequence !== previous.sequence + 1) {
    throw new CorruptError(`${path}: segment ${previous.sequence + 1} is missing`);
  }
  if (previous !== null && header.parentCrc !== previous.lastCrc) {
    throw new CorruptError(`${path}: does not chain from segment ${previous.sequence}`);
  }
  const image = bytes.subarray(0, header.segmentBytes);
  const scan = segmentScan(image, header.parentCrc, payloadBytesMax, crc32);
  const restIsZero = isZero(bytes.subarray(scan.endOffset));
  if (!isLast && (scan.ending === "invalid" || !restIsZero)) {
    const what = scan.ending === "invalid" ? scan.reason : "bytes after the last record";
    throw new CorruptError(`${path}: ${what} at offset ${scan.endOffset}`);
  }
  return { header, scan, isDirty: !restIsZero || bytes.byteLength !== header.segmentBytes };
}

function folderOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf("/")));
}

/** Reads every segment; throws CorruptError per the policy above. */
export function segmentsScan(
  disk: Disk,
  folder: string,
  payloadBytesMax: number,
  crc32: Checksum,
): ScannedLog {
  const names = disk.list(folder).filter((name) => segmentNamePattern.test(name));
  const segments: ScannedSegment[] = [];
  const records: ScannedLog["records"] = [];
  let tail: ScannedTail | null = null;
  let previous: SegmentLink | null = null;
  for (const [i, name] of names.entries()) {
    const path = `${folder}/${name}`;
    const sequence = Number.parseInt(name.slice(0, 16), 16);
    const isLast = i === names.length - 1;
    const verified = segmentVerify(disk, path, sequence, isLast, previous, payloadBytesMax, crc32);
    if (verified === null) break;
    const { header, scan, isDirty } = verified;
    for (const record of scan.records) records.push({ sequence, record });
    segments.push({ sequence, path, segmentBytes: header.segmentBytes });
    previous = { sequence, lastCrc: scan.lastCrc, endOffset: scan.endOffset };
    if (isLast) tail = { endOffset: scan.endOffset, lastCrc: scan.lastCrc, isDirty, reason: scan.reason };
  }
  if (tail === null && previous !== null) {
    // The last segment was removed: appends continue after the previous one's records.
    tail = {
      endOffset: previous.endOffset,
      lastCrc: previous.lastCrc,
      isDirty: false,
      reason: "last segment removed",
    };
  }
  const lastSequence = names.length === 0 ? 0 : Number.parseInt(names[names.length - 1]!.slice(0, 16), 16);
  return { segments, records, tail, nextSequence: (previous?.sequence ?? lastSequence) + 1 };
}

/** Loads every group's hard state and snapshot, removing temporary files a crash left. */
export function groupFilesLoad(
  disk: Disk,
  folders: StorageFolders,
  crc32: Checksum,
): { hardStates: Map<GroupId, HardState>; snapshots: Map<GroupId, SnapshotRecord> } {
  atomicFilesTidy(disk, folders.hardState);
  atomicFilesTidy(disk, folders.snapshots);
  const hardStates = new Map<GroupId, HardState>();
  for (const name of disk.list(folders.hardState).filter((n) => /^\d{10}\.bin$/.test(n))) {
    const body = atomicFileRead(disk, folders.hardState, name, AtomicFileKind.HardState, crc32);
    if (body !== null) hardStates.set(Number(name.slice(0, 10)) as GroupId, hardStateDecode(body, name));
  }
  const snapshots = new Map<GroupId, SnapshotRecord>();
  for (const name of disk.list(folders.snapshots).filter((n) => /^\d{10}\.bin$/.test(n))) {
    const body = atomicFileRead(disk, folders.snapshots, name, AtomicFileKind.Snapshot, crc32);
    if (body !== null) snapshots.set(Number(name.slice(0, 10)) as GroupId, snapshotDecode(body, name));
  }
  return { hardStates, snapshots };
}

/** Whether a record at (`sequence`, `offset`) was written before a snapshot discarded its group's log. */
export function isBefore(sequence: number, offset: number, discard: LogDiscard | null): boolean {
  if (discard === null) return false;
  return (
    sequence < discard.segmentSequence || (sequence === discard.segmentSequence && offset < discard.offset)
  );
}

/**
 * Replays the records into per-group logs: a later record at an index replaces that index and
 * everything after it (Raft's log truncation), records at or below the snapshot are skipped, and a
 * snapshot that discarded the log hides every earlier record of its group.
 */
export function groupsRecover(
  scanned: ScannedLog,
  hardStates: Map<GroupId, HardState>,
  snapshots: Map<GroupId, SnapshotRecord>,
): GroupRecovery[] {
  const logs = new Map<GroupId, WalEntry[]>();
  for (const { sequence, record } of scanned.records) {
    const snapshotRecord = snapshots.get(record.group);
    const snapshotIndex = snapshotRecord?.snapshot.index ?? 0;
    if (record.index <= snapshotIndex) continue;
    if (isBefore(sequence, record.offset, snapshotRecord?.discard ?? null)) continue;
    const log = logs.get(record.group) ?? [];
    logs.set(record.group, log);
    const firstIndex = log[0]?.index ?? snapshotIndex + 1;
    if (record.index > firstIndex + log.length) {
      throw new CorruptError(
        `group ${record.group}: entry ${record.index} follows ${firstIndex + log.length - 1}`,
      );
    }
    log.length = Math.max(0, record.index - firstIndex);
    if (log.length === 0 && record.index !== snapshotIndex + 1) {
      throw new CorruptError(
        `group ${record.group}: log starts at ${record.index} after snapshot ${snapshotIndex}`,
      );
    }
    log.push({ index: record.index, term: record.term, payload: record.payload.slice() });
  }
  const groups = new Set<GroupId>([...hardStates.keys(), ...snapshots.keys(), ...logs.keys()]);
  return [...groups]
    .sort((a, b) => a - b)
    .map((group) =>
      groupRecoveryCheck(group, hardStates.get(group) ?? null, snapshots.get(group), logs.get(group)),
    );
}

function groupRecoveryCheck(
  group: GroupId,
  hardState: HardState | null,
  snapshotRecord: SnapshotRecord | undefined,
  log: WalEntry[] | undefined,
): GroupRecovery {
  const snapshot = snapshotRecord?.snapshot ?? null;
  const entries = log ?? [];
  const lastIndex = entries[entries.length - 1]?.index ?? snapshot?.index ?? 0;
  if (hardState !== null && hardState.commit > lastIndex) {
    throw new CorruptError(
      `group ${group}: commit index ${hardState.commit} but the log ends at ${lastIndex}: acknowledged entries were lost`,
    );
  }
  return { group, hardState, snapshot, entries };
}
