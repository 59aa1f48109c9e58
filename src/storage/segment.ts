// The byte layout of WAL segments, and the scan that reads one back. Nothing here does I/O.
//
// A segment is a preallocated, zero-filled file: a 32-byte header, then records back to back,
// then zeros. Every record carries a CRC-32 chained from the previous record's (the first record
// of a segment chains from the header's `parentCrc`, which is the last CRC of the segment before).
// The chain means a stale record left behind a torn tail can never pass for a live one, and a
// segment that is missing or out of order is detected at the seam.
//
//   segment header (32 bytes)                 record header (32 bytes), then payload
//   0  magic "SWAL"                           0  payload length (u32)
//   4  version (u8), 3 reserved               4  crc32 over bytes 0..4, 8..32 and the payload,
//   8  sequence (u64)                            seeded with the previous record's crc
//   16 parentCrc (u32)                        8  type (u8), 3 reserved
//   20 segmentBytes (u32)                     12 group (u32)
//   24 reserved (u32)                         16 index (u64)
//   28 crc32 of bytes 0..28                   24 term (u64)
//
// All integers are big-endian; u64 values are below 2^53.

import { assert } from "../lib/assert.js";
import { crc32Range } from "../lib/bytes.js";
import type { GroupId, LogIndex, Term } from "../types.js";

/**
 * CRC-32 (IEEE), continuing from `previous`. lib/bytes.ts's `crc32` is the portable one; the
 * platform passes node:zlib's, which computes the same value some sixty times faster.
 */
export type Checksum = (bytes: Uint8Array, previous?: number) => number;

/** Bytes of a segment header. */
export const segmentHeaderBytes = 32;
/** Bytes of a record header. */
export const recordHeaderBytes = 32;
/** The record type of a Raft log entry. */
export const recordTypeEntry = 1;

const magic = [0x53, 0x57, 0x41, 0x4c]; // "SWAL"
const version = 1;

/** The header of one segment file. */
export interface SegmentHeader {
  readonly sequence: number;
  readonly parentCrc: number;
  readonly segmentBytes: number;
}

/** One decoded record. `payload` is a view into the scanned segment; copy it to keep it. */
export interface SegmentRecord {
  readonly offset: number;
  readonly group: GroupId;
  readonly index: LogIndex;
  readonly term: Term;
  readonly payload: Uint8Array;
  readonly crc: number;
}

/**
 * How a scan ended. "end": zeros where the next record would be (a clean end). "invalid": bytes
 * that are not a valid next record (a torn tail, or corruption; the caller decides which).
 */
export type SegmentScan = {
  readonly records: SegmentRecord[];
  readonly endOffset: number;
  readonly lastCrc: number;
  readonly ending: "end" | "invalid";
  readonly reason: string;
};

function u64Read(view: DataView, offset: number): number {
  return view.getUint32(offset, false) * 0x1_0000_0000 + view.getUint32(offset + 4, false);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes a segment header. */
export function segmentHeaderEncode(header: SegmentHeader, crc32: Checksum): Uint8Array {
  assert(header.sequence >= 1);
  const out = new Uint8Array(segmentHeaderBytes);
  const view = viewOf(out);
  out.set(magic, 0);
  out[4] = version;
  u64Store(out, 8, header.sequence);
  view.setUint32(16, header.parentCrc >>> 0, false);
  view.setUint32(20, header.segmentBytes, false);
  view.setUint32(28, crc32(out.subarray(0, 28)), false);
  return out;
}

/** Decodes a segment header, or null when the bytes are not a valid one (zeros, torn, rotten). */
export function segmentHeaderDecode(bytes: Uint8Array, crc32: Checksum): SegmentHeader | null {
  if (bytes.byteLength < segmentHeaderBytes) return null;
  const view = viewOf(bytes);
  if (view.getUint32(28, false) !== crc32(bytes.subarray(0, 28))) return null;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return null;
  if (bytes[4] !== version) return null;
  return {
    sequence: u64Read(view, 8),
    parentCrc: view.getUint32(16, false),
    segmentBytes: view.getUint32(20, false),
  };
}

/** Bytes a record with `payloadBytes` of payload takes. */
export function recordBytes(payloadBytes: number): number {
  return recordHeaderBytes + payloadBytes;
}

/**
 * Encodes one entry record into `target` at `offset`, chained from `parentCrc`; returns its crc.
 * The record's payload is `tag` (one byte, when not null) followed by `payload`.
 */
export function recordEncode(
  target: Uint8Array,
  offset: number,
  parentCrc: number,
  record: {
    readonly group: GroupId;
    readonly index: LogIndex;
    readonly term: Term;
    readonly tag: number | null;
    readonly payload: Uint8Array;
  },
  crc32: Checksum,
): number {
  const payloadBytes = (record.tag === null ? 0 : 1) + record.payload.byteLength;
  assert(offset + recordBytes(payloadBytes) <= target.byteLength);
  assert(record.group >= 0 && record.group <= 0xffff_ffff);
  assert(record.tag === null || (Number.isInteger(record.tag) && record.tag >= 0 && record.tag <= 0xff));
  // Byte stores, not a DataView and a subarray per record: this runs for every entry on every
  // replica. The header is big-endian, as segmentHeaderEncode's.
  target.fill(0, offset, offset + recordHeaderBytes);
  u32Store(target, offset, payloadBytes);
  target[offset + 8] = recordTypeEntry;
  u32Store(target, offset + 12, record.group);
  u64Store(target, offset + 16, record.index);
  u64Store(target, offset + 24, record.term);
  const payloadStart = offset + recordHeaderBytes;
  if (record.tag === null) target.set(record.payload, payloadStart);
  else {
    target[payloadStart] = record.tag;
    target.set(record.payload, payloadStart + 1);
  }
  const crc = recordCrc(target, offset, payloadBytes, parentCrc, crc32);
  u32Store(target, offset + 4, crc);
  return crc;
}

/** Stores `value` (below 2^32) big-endian at `offset`. */
function u32Store(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

/** Stores a safe integer as 8 bytes big-endian at `offset` (read back by u64Read). */
function u64Store(target: Uint8Array, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0);
  u32Store(target, offset, Math.floor(value / 0x1_0000_0000));
  u32Store(target, offset + 4, value >>> 0);
}

/**
 * The checksum of the record at `offset` of `bytes`, chained from `parentCrc`: its length field,
 * then the rest of its header after the crc field and its payload, which are adjacent (one call).
 */
function recordCrc(
  bytes: Uint8Array,
  offset: number,
  payloadBytes: number,
  parentCrc: number,
  crc32: Checksum,
): number {
  // The 4-byte length field by table here (a native call and a view cost more than 4 lookups).
  const crc = crc32Range(bytes, offset, offset + 4, parentCrc);
  return crc32(bytes.subarray(offset + 8, offset + recordHeaderBytes + payloadBytes), crc);
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Reads the records of one segment image (`bytes` is the whole file, possibly short), starting
 * after the header and chaining from `parentCrc`. Stops at the first zero header or invalid record.
 */
export function segmentScan(
  bytes: Uint8Array,
  parentCrc: number,
  payloadBytesMax: number,
  crc32: Checksum,
): SegmentScan {
  const records: SegmentRecord[] = [];
  let offset = segmentHeaderBytes;
  let lastCrc = parentCrc;
  const stop = (ending: "end" | "invalid", reason: string): SegmentScan => ({
    records,
    endOffset: offset,
    lastCrc,
    ending,
    reason,
  });
  while (true) {
    if (offset + recordHeaderBytes > bytes.byteLength) {
      const rest = bytes.subarray(offset);
      return isZero(rest) ? stop("end", "end of segment") : stop("invalid", "partial header at the end");
    }
    const header = bytes.subarray(offset, offset + recordHeaderBytes);
    if (isZero(header)) return stop("end", "zeros");
    const view = viewOf(header);
    const payloadBytes = view.getUint32(0, false);
    if (payloadBytes > payloadBytesMax) return stop("invalid", `length ${payloadBytes} above the maximum`);
    const end = offset + recordBytes(payloadBytes);
    if (end > bytes.byteLength) return stop("invalid", "record runs past the end of the segment");
    const payload = bytes.subarray(offset + recordHeaderBytes, end);
    const crc = recordCrc(bytes, offset, payloadBytes, lastCrc, crc32);
    if (crc !== view.getUint32(4, false)) return stop("invalid", "checksum mismatch");
    if (header[8] !== recordTypeEntry) return stop("invalid", `unknown record type ${header[8]}`);
    records.push({
      offset,
      group: view.getUint32(12, false) as GroupId,
      index: u64Read(view, 16) as LogIndex,
      term: u64Read(view, 24) as Term,
      payload,
      crc,
    });
    lastCrc = crc;
    offset = end;
  }
}
