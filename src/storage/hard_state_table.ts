// Every group's hard state in one file of two slots, written alternately (the idea of
// TigerBeetle's superblock copies, in small). A term or vote change must be durable before the
// message that depends on it leaves (H9); with one file per group that cost a write, an fsync of
// the file and an fsync of its folder per group, so an election that moved ten groups cost twenty
// fsyncs. Here one write of the whole table into the slot not holding the newest valid copy, and
// one fdatasync, make any number of groups' changes durable together.
//
// Slot layout (big-endian): magic u32, CRC-32 u32 of everything after it, sequence u64, body
// length u32, then the body: count u32, then per group: group u32, hard state length u32, the
// hard state (hard_state.ts's encoding). Recovery reads both slots and keeps the valid one with the
// higher sequence. A torn or lost write damages only the slot it was writing, and that slot never
// holds the newest valid copy, so the previous table survives: it is what was durable before. Two
// damaged copies are CorruptError. One damaged copy cannot be told from a torn write, so bit rot
// in the newest copy would bring back the previous table: the price of two copies, not three.
// Opening syncs the file first, so nothing read from a dead process's page cache is acted on
// before it is durable.

import type { Disk } from "../env/disk.js";
import { CorruptError, LimitExceededError } from "../errors.js";
import { assert } from "../lib/assert.js";
import type { GroupId } from "../types.js";
import { type HardState, hardStateDecode, hardStateEncode, u64Get, u64Set } from "./hard_state.js";
import type { Checksum } from "./segment.js";

/** The table's file name inside the hard-state folder. */
export const hardStateTableFileName = "table.bin";

const magic = 0x5348_5354; // "SHST"
const headerBytes = 4 + 8 + 4 + 4;

/** The hard states found on disk, and where the next write goes. */
interface SlotRead {
  readonly slot: 0 | 1;
  readonly sequence: number;
  readonly states: Map<GroupId, HardState>;
}

/** The two-slot hard-state file of one member. */
export class HardStateTable {
  private readonly path: string;
  /** The slot holding the newest valid copy, or null when neither is valid (a new table). */
  private newestSlot: 0 | 1 | null;
  private sequence: number;

  private constructor(
    private readonly disk: Disk,
    folder: string,
    private readonly slotBytes: number,
    private readonly crc32: Checksum,
    newest: SlotRead | null,
  ) {
    this.path = `${folder}/${hardStateTableFileName}`;
    this.newestSlot = newest?.slot ?? null;
    this.sequence = newest?.sequence ?? 0;
  }

  /**
   * Opens the table in `folder` (creating the file, and making its folder entry durable, if it is
   * missing) and returns the hard states of its newest valid slot.
   */
  static open(
    disk: Disk,
    folder: string,
    slotBytes: number,
    crc32: Checksum,
  ): { table: HardStateTable; states: Map<GroupId, HardState> } {
    assert(slotBytes > headerBytes + 4, "a slot holds at least its header");
    const path = `${folder}/${hardStateTableFileName}`;
    if (!disk.exists(path)) {
      disk.write(path, 0, new Uint8Array(0));
      disk.sync(path);
      disk.syncDirectory(folder);
    } else {
      // After a process crash the page cache may still hold a write that never reached the disk.
      // Acting on it (a vote, a term) and then losing it to a power cut could mean two votes in
      // one term: make what is about to be read durable first.
      disk.sync(path);
    }
    const reads = ([0, 1] as const)
      .map((slot) => slotRead(disk, path, slot, slotBytes, crc32))
      .filter((read): read is SlotRead => read !== null);
    // Slot 1 is first written only after slot 0's first write was durable, and a crash tears only
    // the slot being written: two written slots that are both invalid are damage, not a crash.
    if (reads.length === 0 && slotWritten(disk, path, 0, slotBytes) && slotWritten(disk, path, 1, slotBytes))
      throw new CorruptError(`${path}: both copies of the hard-state table are damaged`);
    reads.sort((a, b) => b.sequence - a.sequence);
    const newest = reads[0] ?? null;
    const table = new HardStateTable(disk, folder, slotBytes, crc32, newest);
    return { table, states: newest?.states ?? new Map() };
  }

  /** Writes `states` (every group's, not only the changed ones) and makes them durable. */
  write(states: ReadonlyMap<GroupId, HardState>): void {
    const encoded = [...states]
      .sort(([a], [b]) => a - b)
      .map(([group, state]) => [group, hardStateEncode(state)] as const);
    let bodyBytes = 4;
    for (const [, bytes] of encoded) bodyBytes += 8 + bytes.byteLength;
    if (headerBytes + bodyBytes > this.slotBytes)
      throw new LimitExceededError("hardStateSlotBytes", headerBytes + bodyBytes, this.slotBytes);
    const out = new Uint8Array(headerBytes + bodyBytes);
    const view = new DataView(out.buffer);
    const sequence = this.sequence + 1;
    view.setUint32(0, magic, false);
    u64Set(view, 8, sequence);
    view.setUint32(16, bodyBytes, false);
    view.setUint32(headerBytes, encoded.length, false);
    let offset = headerBytes + 4;
    for (const [group, bytes] of encoded) {
      view.setUint32(offset, group, false);
      view.setUint32(offset + 4, bytes.byteLength, false);
      out.set(bytes, offset + 8);
      offset += 8 + bytes.byteLength;
    }
    assert(offset === out.byteLength, "the table fills its buffer exactly");
    view.setUint32(4, this.crc32(out.subarray(8)), false);
    const slot: 0 | 1 = this.newestSlot === 0 ? 1 : 0;
    this.disk.write(this.path, slot * this.slotBytes, out);
    this.disk.sync(this.path);
    this.newestSlot = slot;
    this.sequence = sequence;
  }
}

/** Whether a slot was ever written (its magic is there; a torn first write may not even have that). */
function slotWritten(disk: Disk, path: string, slot: 0 | 1, slotBytes: number): boolean {
  const head = disk.read(path, slot * slotBytes, 4);
  return head.byteLength === 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false) === magic;
}

function slotRead(
  disk: Disk,
  path: string,
  slot: 0 | 1,
  slotBytes: number,
  crc32: Checksum,
): SlotRead | null {
  const start = slot * slotBytes;
  const header = disk.read(path, start, headerBytes);
  if (header.byteLength < headerBytes) return null;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getUint32(0, false) !== magic) return null;
  const bodyBytes = view.getUint32(16, false);
  if (bodyBytes < 4 || headerBytes + bodyBytes > slotBytes) return null;
  const whole = disk.read(path, start, headerBytes + bodyBytes);
  if (whole.byteLength !== headerBytes + bodyBytes) return null;
  if (crc32(whole.subarray(8)) >>> 0 !== view.getUint32(4, false)) return null;
  const body = whole.subarray(headerBytes);
  // The checksum holds: damage past this point is a bug or a lying disk, not a torn write.
  const where = `${path} slot ${slot}`;
  const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = bodyView.getUint32(0, false);
  const states = new Map<GroupId, HardState>();
  let offset = 4;
  for (let i = 0; i < count; i++) {
    if (offset + 8 > bodyBytes) throw new CorruptError(`${where}: table cut short`);
    const group = bodyView.getUint32(offset, false) as GroupId;
    const length = bodyView.getUint32(offset + 4, false);
    if (offset + 8 + length > bodyBytes) throw new CorruptError(`${where}: hard state cut short`);
    states.set(group, hardStateDecode(body.subarray(offset + 8, offset + 8 + length), where));
    offset += 8 + length;
  }
  if (offset !== bodyBytes) throw new CorruptError(`${where}: trailing bytes`);
  return { slot, sequence: u64Get(view, 8), states };
}
