// A Raft group's hard state (term, vote, commit index) and its snapshot, with their encodings.
// Both are stored as atomically replaced files (atomic_file.ts), one per group.

import { CorruptError } from "../errors.js";
import { assert } from "../lib/assert.js";
import type { LogIndex, NodeId, Term } from "../types.js";

/** What Raft must persist before it answers a vote or an append (Raft §5, Figure 2). */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

/** A state machine snapshot: everything up to and including `index`, taken at `term`. */
export interface Snapshot {
  readonly index: LogIndex;
  readonly term: Term;
  /** Opaque to storage; the runtime encodes the state machine. */
  readonly data: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
/** Most bytes of a vote (a NodeId) in UTF-8. */
const voteBytesMax = 1024;

/** Writes a safe integer as a big-endian u64. */
export function u64Set(view: DataView, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0);
  view.setUint32(offset, Math.floor(value / 0x1_0000_0000), false);
  view.setUint32(offset + 4, value >>> 0, false);
}

/** Reads a big-endian u64 written by {@link u64Set}. */
export function u64Get(view: DataView, offset: number): number {
  return view.getUint32(offset, false) * 0x1_0000_0000 + view.getUint32(offset + 4, false);
}

/** Encodes a hard state: term (u64), commit (u64), vote length (u32, 0xffffffff for none), vote. */
export function hardStateEncode(state: HardState): Uint8Array {
  const vote = state.vote === null ? null : encoder.encode(state.vote);
  assert(vote === null || vote.byteLength <= voteBytesMax, "vote too long");
  const out = new Uint8Array(20 + (vote?.byteLength ?? 0));
  const view = new DataView(out.buffer);
  u64Set(view, 0, state.term);
  u64Set(view, 8, state.commit);
  view.setUint32(16, vote === null ? 0xffff_ffff : vote.byteLength, false);
  if (vote !== null) out.set(vote, 20);
  return out;
}

/** Decodes a hard state; `where` names the file in the error. */
export function hardStateDecode(body: Uint8Array, where: string): HardState {
  if (body.byteLength < 20) throw new CorruptError(`${where}: hard state too short`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const voteBytes = view.getUint32(16, false);
  const term = u64Get(view, 0) as Term;
  const commit = u64Get(view, 8) as LogIndex;
  if (voteBytes === 0xffff_ffff) {
    if (body.byteLength !== 20) throw new CorruptError(`${where}: trailing bytes`);
    return { term, vote: null, commit };
  }
  if (voteBytes > voteBytesMax || 20 + voteBytes !== body.byteLength)
    throw new CorruptError(`${where}: bad vote`);
  try {
    return { term, vote: decoder.decode(body.subarray(20)) as NodeId, commit };
  } catch (error) {
    throw new CorruptError(`${where}: vote is not UTF-8`, { cause: error });
  }
}

/**
 * Where the WAL stood when a snapshot replaced a group's whole log (InstallSnapshot with a log
 * that does not match): recovery ignores that group's records written before this position. It
 * lives in the snapshot file, so the snapshot and the discard become durable in one rename.
 */
export interface LogDiscard {
  readonly segmentSequence: number;
  readonly offset: number;
}

/** A snapshot file's contents. */
export interface SnapshotRecord {
  readonly snapshot: Snapshot;
  readonly discard: LogDiscard | null;
}

const snapshotHeaderBytes = 40;

/** Encodes: index (u64), term (u64), has-discard (u64: 0/1), segment sequence (u64), offset (u64), data. */
export function snapshotEncode(record: SnapshotRecord): Uint8Array {
  const { snapshot, discard } = record;
  const out = new Uint8Array(snapshotHeaderBytes + snapshot.data.byteLength);
  const view = new DataView(out.buffer);
  u64Set(view, 0, snapshot.index);
  u64Set(view, 8, snapshot.term);
  u64Set(view, 16, discard === null ? 0 : 1);
  u64Set(view, 24, discard?.segmentSequence ?? 0);
  u64Set(view, 32, discard?.offset ?? 0);
  out.set(snapshot.data, snapshotHeaderBytes);
  return out;
}

/** Decodes a snapshot file's body (the data is copied, so the caller owns it). */
export function snapshotDecode(body: Uint8Array, where: string): SnapshotRecord {
  if (body.byteLength < snapshotHeaderBytes) throw new CorruptError(`${where}: snapshot too short`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const hasDiscard = u64Get(view, 16);
  if (hasDiscard > 1) throw new CorruptError(`${where}: bad discard flag`);
  const snapshot = {
    index: u64Get(view, 0) as LogIndex,
    term: u64Get(view, 8) as Term,
    data: body.slice(snapshotHeaderBytes),
  };
  const discard = hasDiscard === 1 ? { segmentSequence: u64Get(view, 24), offset: u64Get(view, 32) } : null;
  return { snapshot, discard };
}
