// The CP command inside a normal Raft entry: who sent it (session and sequence, H10), the leader's
// clock when it was proposed (log time, H11) and the operation. Every replica decodes every
// committed command, so the layout is hand-written fields instead of MessagePack: no map keys, no
// walk of a generic value, one copy of the user's bytes.
//
// This is a LOG FORMAT: entries written by earlier versions (a MessagePack map {c, s, t, o}) stay in
// WALs and in followers' logs, so the decoder reads both; the first byte tells them apart (0xc1 is
// the one byte MessagePack never emits, as in the raft-batch frame). The empty entry is the no-op a
// new leader appends.
//
// Layout (numbers are minimal unsigned LEB128 varints up to 2^53 - 1; a string a varint UTF-8 byte
// length then the bytes; bytes a varint length then the bytes; an int a sign byte, 0 or 1 for
// negative, then the magnitude as a varint, never a negative zero; an optional bytes field a byte,
// 0 absent or 1 present, then bytes):
//
//   u8      0xc1 magic
//   u8      layout version (1)
//   string  client id
//   varint  sequence
//   varint  log time in ms
//   u8      operation code, then its fields, `name` (a string) first:
//             1 map.put      key, bytes value           7 atomic-long.set   int value
//             2 map.delete   key                        8 atomic-long.cas   int expected, int value
//             3 map.cas      key, optional expected,    9 lock.acquire      string owner, int ttlMs
//                            optional value            10 lock.renew        owner, int fence, int ttlMs
//             4 map.get      key                       11 lock.release      owner, int fence
//             5 atomic-long.get                        12 lock.status
//             6 atomic-long.add  int delta
//
// A command the layout cannot carry (a log time or sequence that is not a non-negative safe integer,
// an AP operation, which never goes through Raft) is written in the legacy MessagePack form, so the
// encoder is total. The decoder never throws: it returns the command, null for the no-op, or a
// {@link CommandMalformed} naming the problem.

import { Packr } from "msgpackr";
import { ByteReader, ByteWriter, CodecError, RecentStrings } from "../lib/byte_codec.js";
import type {
  AtomicLongOperation,
  LockOperation,
  MapOperation,
  Operation,
} from "../protocol/client/operations.js";
import { isCount, isRecord } from "../protocol/wire/index.js";
import type { ClientId } from "../types.js";

/** A CP write as it travels in a normal entry: the session, the leader's clock (H11), the operation. */
export interface Command {
  readonly clientId: ClientId;
  readonly sequence: number;
  readonly logTimeMs: number;
  readonly operation: Operation;
}

/** What {@link commandDecode} returns for bytes that are not a command. */
export interface CommandMalformed {
  readonly malformed: string;
}

/** The first byte of a binary command: MessagePack never emits 0xc1. */
export const commandMagic = 0xc1;
/** The layout version, the second byte. */
export const commandLayout = 1;

/** Operation codes: part of the log format, never renumbered. */
const code = {
  mapPut: 1,
  mapDelete: 2,
  mapCas: 3,
  mapGet: 4,
  longGet: 5,
  longAdd: 6,
  longSet: 7,
  longCas: 8,
  lockAcquire: 9,
  lockRenew: 10,
  lockRelease: 11,
  lockStatus: 12,
} as const;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });
/** Reused by every encoding (the member is single-threaded); {@link ByteWriter.finish} copies out. */
const writer = new ByteWriter(256);

/** Encodes a command for a proposal; the result is the caller's. */
export function commandEncode(command: Command): Uint8Array {
  if (!binaryCarries(command)) return legacyEncode(command);
  const w = writer;
  w.reset();
  w.byte(commandMagic);
  w.byte(commandLayout);
  w.string(command.clientId);
  w.uint(command.sequence);
  w.uint(command.logTimeMs);
  const operation = command.operation;
  switch (operation.structure) {
    case "map":
      mapWrite(w, operation);
      break;
    case "atomic-long":
      longWrite(w, operation);
      break;
    case "lock":
      lockWrite(w, operation);
      break;
    default:
      return legacyEncode(command);
  }
  return w.finish();
}

/** The legacy form: a MessagePack map. Kept for what the binary layout cannot carry. */
function legacyEncode(command: Command): Uint8Array {
  return packr.pack({ c: command.clientId, s: command.sequence, t: command.logTimeMs, o: command.operation });
}

/** Whether the binary layout carries `command` exactly: its numbers are (safe) integers. */
function binaryCarries(command: Command): boolean {
  if (!isCount(command.sequence) || !isCount(command.logTimeMs)) return false;
  const operation = command.operation;
  switch (operation.structure) {
    case "map":
      return true;
    case "atomic-long":
      return longCarried(operation);
    case "lock":
      return lockCarried(operation);
    default:
      return false;
  }
}

const safe = Number.isSafeInteger;

function longCarried(operation: AtomicLongOperation): boolean {
  switch (operation.op) {
    case "get":
      return true;
    case "add":
      return safe(operation.delta);
    case "set":
      return safe(operation.value);
    case "cas":
      return safe(operation.expected) && safe(operation.value);
  }
}

function lockCarried(operation: LockOperation): boolean {
  switch (operation.op) {
    case "acquire":
      return safe(operation.ttlMs);
    case "renew":
      return safe(operation.fence) && safe(operation.ttlMs);
    case "release":
      return safe(operation.fence);
    case "status":
      return true;
  }
}

function mapWrite(w: ByteWriter, operation: MapOperation): void {
  switch (operation.op) {
    case "put":
      w.byte(code.mapPut);
      w.string(operation.name);
      w.string(operation.key);
      w.bytes(operation.value);
      return;
    case "delete":
      w.byte(code.mapDelete);
      w.string(operation.name);
      w.string(operation.key);
      return;
    case "cas":
      w.byte(code.mapCas);
      w.string(operation.name);
      w.string(operation.key);
      optionalBytesWrite(w, operation.expected);
      optionalBytesWrite(w, operation.value);
      return;
    case "get":
      w.byte(code.mapGet);
      w.string(operation.name);
      w.string(operation.key);
      return;
  }
}

function longWrite(w: ByteWriter, operation: AtomicLongOperation): void {
  switch (operation.op) {
    case "get":
      w.byte(code.longGet);
      w.string(operation.name);
      return;
    case "add":
      w.byte(code.longAdd);
      w.string(operation.name);
      intWrite(w, operation.delta);
      return;
    case "set":
      w.byte(code.longSet);
      w.string(operation.name);
      intWrite(w, operation.value);
      return;
    case "cas":
      w.byte(code.longCas);
      w.string(operation.name);
      intWrite(w, operation.expected);
      intWrite(w, operation.value);
      return;
  }
}

function lockWrite(w: ByteWriter, operation: LockOperation): void {
  switch (operation.op) {
    case "acquire":
      w.byte(code.lockAcquire);
      w.string(operation.name);
      w.string(operation.owner);
      intWrite(w, operation.ttlMs);
      return;
    case "renew":
      w.byte(code.lockRenew);
      w.string(operation.name);
      w.string(operation.owner);
      intWrite(w, operation.fence);
      intWrite(w, operation.ttlMs);
      return;
    case "release":
      w.byte(code.lockRelease);
      w.string(operation.name);
      w.string(operation.owner);
      intWrite(w, operation.fence);
      return;
    case "status":
      w.byte(code.lockStatus);
      w.string(operation.name);
      return;
  }
}

function optionalBytesWrite(w: ByteWriter, value: Uint8Array | null): void {
  if (value === null) {
    w.byte(0);
    return;
  }
  w.byte(1);
  w.bytes(value);
}

/**
 * A signed safe integer: a sign byte, then the magnitude ({@link binaryCarries} sent anything else
 * to the legacy form). Negative zero is written as zero.
 */
function intWrite(w: ByteWriter, value: number): void {
  w.byte(value < 0 ? 1 : 0);
  w.uint(Math.abs(value));
}

/**
 * Decodes a committed command: the command, null for the empty no-op entry a new leader appends,
 * or a {@link CommandMalformed} for anything else. Never throws. The command's byte fields are
 * views of `data`, not copies: a state machine keeps them, so `data` must be a buffer of the
 * entry's own (as every entry's is: the leader encodes it, raft_batch_codec.ts and the WAL's
 * recovery copy it out), which a kept value then pins, and no one may write to it.
 */
export function commandDecode(data: Uint8Array): Command | null | CommandMalformed {
  if (data.byteLength === 0) return null;
  if (data[0] !== commandMagic) return legacyDecode(data);
  try {
    return binaryRead(new ByteReader(data));
  } catch (error) {
    if (error instanceof CodecError) return { malformed: error.message };
    throw error;
  }
}

/** Whether a {@link commandDecode} result is a refusal. */
export function isCommandMalformed(value: Command | null | CommandMalformed): value is CommandMalformed {
  return value !== null && "malformed" in value;
}

function binaryRead(r: ByteReader): Command | CommandMalformed {
  r.byte(); // The magic, checked by the caller.
  const layout = r.byte();
  if (layout !== commandLayout) return { malformed: `unknown command layout ${layout}` };
  const clientId = clientIds.read(r) as ClientId;
  const sequence = r.uint();
  const logTimeMs = r.uint();
  const operation = operationRead(r);
  if (operation === null) return { malformed: "unknown operation code" };
  r.expectDone();
  return { clientId, sequence, logTimeMs, operation };
}

function operationRead(r: ByteReader): Operation | null {
  const op = r.byte();
  const name = names.read(r);
  switch (op) {
    case code.mapPut:
      return { structure: "map", op: "put", name, key: r.string(), value: r.lengthPrefixedView() };
    case code.mapDelete:
      return { structure: "map", op: "delete", name, key: r.string() };
    case code.mapCas: {
      const key = r.string();
      const expected = optionalBytesRead(r);
      return { structure: "map", op: "cas", name, key, expected, value: optionalBytesRead(r) };
    }
    case code.mapGet:
      return { structure: "map", op: "get", name, key: r.string() };
    case code.longGet:
      return { structure: "atomic-long", op: "get", name };
    case code.longAdd:
      return { structure: "atomic-long", op: "add", name, delta: intRead(r) };
    case code.longSet:
      return { structure: "atomic-long", op: "set", name, value: intRead(r) };
    case code.longCas: {
      const expected = intRead(r);
      return { structure: "atomic-long", op: "cas", name, expected, value: intRead(r) };
    }
    default:
      return lockRead(r, op, name);
  }
}

function lockRead(r: ByteReader, op: number, name: string): LockOperation | null {
  switch (op) {
    case code.lockAcquire: {
      const owner = r.string();
      return { structure: "lock", op: "acquire", name, owner, ttlMs: intRead(r) };
    }
    case code.lockRenew: {
      const owner = r.string();
      const fence = intRead(r);
      return { structure: "lock", op: "renew", name, owner, fence, ttlMs: intRead(r) };
    }
    case code.lockRelease: {
      const owner = r.string();
      return { structure: "lock", op: "release", name, owner, fence: intRead(r) };
    }
    case code.lockStatus:
      return { structure: "lock", op: "status", name };
    default:
      return null;
  }
}

/**
 * Client ids and structure names already decoded: both repeat from command to command (a client
 * interleaves one session per request in flight), and one string instance per client id lets the
 * session table's Map reuse the string's hash and compare a pointer.
 */
const clientIds = new RecentStrings(1_024, 64);
const names = new RecentStrings(16, 64);

function optionalBytesRead(r: ByteReader): Uint8Array | null {
  return r.boolean() ? r.lengthPrefixedView() : null;
}

function intRead(r: ByteReader): number {
  const negative = r.boolean();
  const magnitude = r.uint();
  if (negative && magnitude === 0) throw new CodecError("negative zero");
  return negative ? -magnitude : magnitude;
}

/** The legacy MessagePack form, as earlier versions wrote it into the log. */
function legacyDecode(data: Uint8Array): Command | CommandMalformed {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch {
    return { malformed: "not MessagePack" };
  }
  if (!isRecord(raw) || typeof raw.c !== "string" || !Number.isSafeInteger(raw.s))
    return { malformed: "legacy command without a session" };
  if (typeof raw.t !== "number" || !Number.isFinite(raw.t))
    return { malformed: "legacy command without a log time" };
  const operation = raw.o;
  if (
    !isRecord(operation) ||
    typeof operation.structure !== "string" ||
    typeof operation.op !== "string" ||
    typeof operation.name !== "string"
  )
    return { malformed: "legacy command without an operation" };
  return {
    clientId: raw.c as ClientId,
    sequence: raw.s as number,
    logTimeMs: raw.t,
    operation: operation as unknown as Operation,
  };
}
