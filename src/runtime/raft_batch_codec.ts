// The binary form of a `raft-batch` payload. Raft messages are a closed set of types with fixed
// fields, so a hand-written layout replaces MessagePack on the member's busiest path: no map keys,
// no interned-string lookups, no walk of the payload to check it is plain data, entry bytes copied
// once into the encoder's buffer, and on decode no copy at all: entry data are views of the payload
// (which the wire codec already copied out of the frame).
//
// Layout (every number a varint: unsigned LEB128, minimal, at most 2^53 - 1; a string a varint
// byte length then UTF-8; bytes a varint length then the bytes; a boolean one byte, 0 or 1):
//
//   u8      0xc1: a byte MessagePack never uses, so a receiver tells this form from the legacy
//           MessagePack payload (codec.ts raftBatchDecode) by the first byte
//   u8      layout version (1)
//   string  from: the sender, and the `from` of every message
//   string  to: the receiver, and the `to` of every message ("" when there are no messages)
//   string  replica: the sender's AP replica id
//   varint  hello length, 0 for none; else that many bytes of MessagePack (formation only, rare)
//   varint  message count, then each message:
//             varint group, u8 type code (messageTypes position + 1), varint term, then by type:
//             pre-vote, vote          lastIndex, lastTerm, bool transfer
//             *-vote-response         bool reject
//             append                  prevIndex, prevTerm, commit, varint count, entries
//             append-response         bool reject, index, hintIndex, hintTerm
//             heartbeat               commit, context
//             heartbeat-response      context
//             snapshot                index, term, voters, learners, retired (each a varint count
//                                     of strings), offset, bytes chunk, bool done
//             snapshot-response       index, offset
//             timeout-now             nothing
//             propose                 varint count of bytes
//             read-index              string requestId
//             read-index-response     string requestId, index
//           entry: u8 type (1 normal, 2 conf-change), term, index, then bytes data, or
//                  u8 change type (1 add-learner, 2 promote, 3 remove) and string node
//
// The decoder validates every field and returns null on anything malformed (truncation, trailing
// bytes, an unknown code, a number out of range, bad UTF-8, `to` not this member): never throws.

import { Packr } from "msgpackr";
import { assert } from "../lib/assert.js";
import { ByteReader, ByteWriter, CodecError, RecentStrings } from "../lib/byte_codec.js";
import type { ConfChange, ConfigState, Entry, Message } from "../protocol/raft/index.js";
import { groupIdMax, isPlainData } from "../protocol/wire/index.js";
import type { GroupId, LogIndex, NodeId, Term } from "../types.js";
import {
  type Hello,
  helloValid,
  type RaftBatch,
  raftBatchValid,
  raftMessageTypes,
  raftMessageValid,
} from "./codec.js";

/** The first byte of a binary raft-batch payload: 0xc1 is "never used" in MessagePack. */
export const raftBatchMagic = 0xc1;
/** The layout version, the payload's second byte. */
export const raftBatchLayout = 1;

/** The encoder's buffer starts this large and doubles as a batch needs. */
const encodeBufferBytesInitial = 64 * 1024;
/** Strings up to this many bytes go through the decoder's string cache (stringRead). */
const recentBytesMax = 24;
/** Slots of that cache, a power of two (bounded: a peer cannot grow it). */
const recentCount = 8;

/** Message type codes: position + 1 in codec.ts's list. Part of the format: append only. */
const messageTypes = raftMessageTypes;

/** The inverse of {@link messageTypes}, as a literal (a fast-properties object for V8). */
const typeCodes: { readonly [T in Message["type"]]: number } = {
  "pre-vote": 1,
  vote: 2,
  "pre-vote-response": 3,
  "vote-response": 4,
  append: 5,
  "append-response": 6,
  heartbeat: 7,
  "heartbeat-response": 8,
  snapshot: 9,
  "snapshot-response": 10,
  "timeout-now": 11,
  propose: 12,
  "read-index": 13,
  "read-index-response": 14,
};
for (const [position, type] of messageTypes.entries()) {
  assert(typeCodes[type] === position + 1, `type code table disagrees at ${type}`);
}

const entryNormal = 1;
const entryConfChange = 2;
const changeTypes = ["add-learner", "promote", "remove"] as const satisfies readonly ConfChange["type"][];

const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

/**
 * Encodes raft batches into one growing buffer, reused from call to call: one per member. The
 * returned view is valid until the next call; the wire codec copies it into the frame body.
 */
export class RaftBatchEncoder {
  private readonly writer = new ByteWriter(encodeBufferBytesInitial);

  /**
   * Encodes `batch`. Every message must be from `batch.from` and to one and the same member (a
   * batch goes to one peer); a number that is not a non-negative safe integer fails an assertion:
   * both are bugs in this member, not input.
   */
  encode(batch: RaftBatch): Uint8Array {
    const w = this.writer;
    w.reset();
    const to = batch.messages[0]?.[1].to ?? "";
    w.byte(raftBatchMagic);
    w.byte(raftBatchLayout);
    w.string(batch.from);
    w.string(to);
    w.string(batch.replica);
    if (batch.hello === null) w.uint(0);
    else w.bytes(packr.pack(batch.hello));
    w.uint(batch.messages.length);
    for (const [group, message] of batch.messages) {
      assert(message.from === batch.from && message.to === to, "a raft batch goes from one member to one");
      if (group > groupIdMax) assert(false, `bad group ${group}`);
      w.uint(group);
      this.message(message);
    }
    return w.view();
  }

  private message(message: Message): void {
    this.writer.byte(typeCodes[message.type]);
    this.writer.uint(message.term);
    switch (message.type) {
      case "pre-vote":
      case "vote":
        this.writer.uint(message.lastIndex);
        this.writer.uint(message.lastTerm);
        this.writer.boolean(message.transfer);
        return;
      case "pre-vote-response":
      case "vote-response":
        this.writer.boolean(message.reject);
        return;
      case "append":
        this.writer.uint(message.prevIndex);
        this.writer.uint(message.prevTerm);
        this.writer.uint(message.commit);
        this.writer.uint(message.entries.length);
        for (const entry of message.entries) this.entry(entry);
        return;
      case "append-response":
        this.writer.boolean(message.reject);
        this.writer.uint(message.index);
        this.writer.uint(message.hintIndex);
        this.writer.uint(message.hintTerm);
        return;
      case "heartbeat":
        this.writer.uint(message.commit);
        this.writer.uint(message.context);
        return;
      case "heartbeat-response":
        this.writer.uint(message.context);
        return;
      default:
        this.messageRare(message);
    }
  }

  private messageRare(message: Message): void {
    switch (message.type) {
      case "snapshot":
        this.writer.uint(message.meta.index);
        this.writer.uint(message.meta.term);
        this.strings(message.meta.config.voters);
        this.strings(message.meta.config.learners);
        this.strings(message.meta.config.retired);
        this.writer.uint(message.offset);
        this.writer.bytes(message.chunk);
        this.writer.boolean(message.done);
        return;
      case "snapshot-response":
        this.writer.uint(message.index);
        this.writer.uint(message.offset);
        return;
      case "timeout-now":
        return;
      case "propose":
        this.writer.uint(message.data.length);
        for (const data of message.data) this.writer.bytes(data);
        return;
      case "read-index":
        this.writer.string(message.requestId);
        return;
      case "read-index-response":
        this.writer.string(message.requestId);
        this.writer.uint(message.index);
        return;
      default:
        assert(false, `message type ${message.type} has no binary form`);
    }
  }

  private entry(entry: Entry): void {
    if (entry.type === "normal") {
      this.writer.byte(entryNormal);
      this.writer.uint(entry.term);
      this.writer.uint(entry.index);
      this.writer.bytes(entry.data);
      return;
    }
    this.writer.byte(entryConfChange);
    this.writer.uint(entry.term);
    this.writer.uint(entry.index);
    this.writer.byte(changeTypes.indexOf(entry.change.type) + 1);
    this.writer.string(entry.change.node);
  }

  private strings(values: readonly string[]): void {
    this.writer.uint(values.length);
    for (const value of values) this.writer.string(value);
  }
}

/**
 * Decodes a `raft-batch` payload for member `self`: the binary form, or the legacy MessagePack form
 * (a peer of the previous version, or a test) told apart by the first byte. Returns null when the
 * payload is malformed, a message is not from the batch's sender, or one is for another member.
 * The bytes of a binary batch (entry data, snapshot chunks, proposals) are views of `payload`, not
 * copies: pass bytes that no one writes to afterwards, as the wire codec's decoded payload is.
 * An entry kept in a log therefore keeps its whole frame's payload alive; frames are bounded
 * (frameBytesMax) and mostly entries, so that costs little next to one allocation per entry.
 */
export function raftBatchDecode(payload: unknown, self: NodeId): RaftBatch | null {
  if (!(payload instanceof Uint8Array) || payload.byteLength === 0) return null;
  if (payload[0] === raftBatchMagic) return raftBatchDecodeBinary(payload, self);
  let value: unknown;
  try {
    value = packr.unpack(payload);
  } catch {
    return null; // msgpackr throws on truncation and bad data: the peer's fault.
  }
  if (!isPlainData(value, "decode") || !raftBatchValid(value)) return null;
  const batch = value;
  const valid = batch.messages.every(
    ([, message]) => raftMessageValid(message, self) && message.from === batch.from,
  );
  return valid ? batch : null;
}

/**
 * Decodes a binary raft-batch payload for member `self`. Returns null when anything is malformed
 * or the batch is addressed to another member. Every message's `from` is the batch's sender and its
 * `to` is `self`. Its bytes are views of `payload` (see {@link raftBatchDecode}).
 */
export function raftBatchDecodeBinary(payload: Uint8Array, self: NodeId): RaftBatch | null {
  try {
    return batchRead(new ByteReader(payload), self);
  } catch (error) {
    if (error instanceof CodecError) return null; // Truncated or malformed: the peer's fault.
    throw error;
  }
}

/** Reads a binary batch; null (or a CodecError from the reader) when it is malformed. */
function batchRead(reader: ByteReader, self: NodeId): RaftBatch | null {
  if (reader.byte() !== raftBatchMagic || reader.byte() !== raftBatchLayout) return null;
  const from = stringRead(reader);
  const to = stringRead(reader);
  const replica = stringRead(reader);
  if (from.length === 0) return null;
  const hello = helloDecode(reader);
  if (hello === undefined) return null;
  const count = reader.uint();
  // Every message takes at least three bytes: a bound on the count before anything is allocated.
  if (count * 3 > reader.remaining) return null;
  if (count > 0 && to !== self) return null;
  const messages: [GroupId, Message][] = [];
  for (let i = 0; i < count; i++) {
    const group = reader.uint();
    const message = messageDecode(reader, from as NodeId, self);
    if (message === null || group > groupIdMax) return null;
    messages.push([group as GroupId, message]);
  }
  reader.expectDone();
  return { from: from as NodeId, replica, hello, messages };
}

/** The hello, null when absent, undefined when malformed. */
function helloDecode(reader: ByteReader): Hello | null | undefined {
  const length = reader.uint();
  if (length === 0) return null;
  const bytes = reader.view(length);
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return undefined; // msgpackr throws on truncation and bad data: the peer's fault.
  }
  return isPlainData(value, "decode") && helloValid(value) ? value : undefined;
}

function messageDecode(reader: ByteReader, from: NodeId, to: NodeId): Message | null {
  const code = reader.byte();
  const term = reader.uint() as Term;
  const type = messageTypes[code - 1];
  if (type === undefined) return null;
  switch (type) {
    case "pre-vote":
    case "vote": {
      const lastIndex = reader.uint() as LogIndex;
      const lastTerm = reader.uint() as Term;
      return { type, from, to, term, lastIndex, lastTerm, transfer: reader.boolean() };
    }
    case "pre-vote-response":
    case "vote-response": {
      return { type, from, to, term, reject: reader.boolean() };
    }
    case "append":
      return appendDecode(reader, from, to, term);
    case "append-response": {
      const reject = reader.boolean();
      const index = reader.uint() as LogIndex;
      const hintIndex = reader.uint() as LogIndex;
      const hintTerm = reader.uint() as Term;
      return { type, from, to, term, reject, index, hintIndex, hintTerm };
    }
    case "heartbeat": {
      const commit = reader.uint() as LogIndex;
      return { type, from, to, term, commit, context: reader.uint() };
    }
    case "heartbeat-response":
      return { type, from, to, term, context: reader.uint() };
    default:
      return messageRareDecode(type, reader, from, to, term);
  }
}

function messageRareDecode(
  type: Message["type"],
  reader: ByteReader,
  from: NodeId,
  to: NodeId,
  term: Term,
): Message | null {
  switch (type) {
    case "snapshot":
      return snapshotDecode(reader, from, to, term);
    case "snapshot-response": {
      const index = reader.uint() as LogIndex;
      return { type, from, to, term, index, offset: reader.uint() };
    }
    case "timeout-now":
      return { type, from, to, term };
    case "propose": {
      const count = reader.uint();
      if (count > reader.remaining) return null;
      const data: Uint8Array[] = [];
      // Copies, as entries' data below: they become log entries, kept until compaction.
      for (let i = 0; i < count; i++) data.push(reader.bytes());
      return { type, from, to, term, data };
    }
    case "read-index": {
      return { type, from, to, term, requestId: stringRead(reader) };
    }
    case "read-index-response": {
      const requestId = stringRead(reader);
      const index = reader.uint() as LogIndex;
      return { type, from, to, term, requestId, index };
    }
    default:
      return null;
  }
}

function appendDecode(reader: ByteReader, from: NodeId, to: NodeId, term: Term): Message | null {
  const prevIndex = reader.uint() as LogIndex;
  const prevTerm = reader.uint() as Term;
  const commit = reader.uint() as LogIndex;
  const count = reader.uint();
  // An entry takes at least four bytes.
  if (count * 4 > reader.remaining) return null;
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const entry = entryDecode(reader);
    if (entry === null) return null;
    entries.push(entry);
  }
  return { type: "append", from, to, term, prevIndex, prevTerm, entries, commit };
}

function entryDecode(reader: ByteReader): Entry | null {
  const type = reader.byte();
  const term = reader.uint() as Term;
  const index = reader.uint() as LogIndex;
  if (type === entryNormal) {
    // A copy of its own: the entry stays in the log until compaction and its data is what the
    // state machine keeps views of (command_codec.ts), so it must not hold the whole frame (and
    // the socket read it came in) alive.
    return { type: "normal", term, index, data: reader.bytes() };
  }
  if (type !== entryConfChange) return null;
  const changeType = changeTypes[reader.byte() - 1];
  const node = stringRead(reader);
  if (changeType === undefined || node.length === 0) return null;
  return { type: "conf-change", term, index, change: { type: changeType, node: node as NodeId } };
}

function snapshotDecode(reader: ByteReader, from: NodeId, to: NodeId, term: Term): Message | null {
  const index = reader.uint() as LogIndex;
  const metaTerm = reader.uint() as Term;
  const voters = nodeIdsDecode(reader);
  const learners = nodeIdsDecode(reader);
  const retired = nodeIdsDecode(reader);
  const offset = reader.uint();
  const chunk = reader.lengthPrefixedView();
  const done = reader.boolean();
  if (voters === null || learners === null || retired === null) return null;
  const config: ConfigState = { voters, learners, retired };
  return { type: "snapshot", from, to, term, meta: { index, term: metaTerm, config }, offset, chunk, done };
}

function nodeIdsDecode(reader: ByteReader): NodeId[] | null {
  const count = reader.uint();
  if (count > reader.remaining) return null;
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) {
    const id = stringRead(reader);
    if (id.length === 0) return null;
    ids.push(id as NodeId);
  }
  return ids;
}

/** A string field, through the string cache: node ids and replica ids repeat in every frame. */
const recentStrings = new RecentStrings(recentCount, recentBytesMax);

function stringRead(reader: ByteReader): string {
  return recentStrings.read(reader);
}
