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
/** Strings up to this many bytes decode by hand when ASCII; longer ones go to TextDecoder. */
const asciiFastBytesMax = 64;
/**
 * Strings up to this many bytes are looked up among the last few decoded: node ids and replica
 * ids repeat in every frame, and one string instance per id spares allocations and lets Map
 * lookups and `===` compare a pointer.
 */
const recentBytesMax = 24;
/** How many recent strings the decoder keeps (bounded: a peer cannot grow it). */
const recentCount = 8;
/** The largest varint: 2^53 - 1 takes 8 bytes of 7 bits. */
const varintBytesMax = 8;

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

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

/**
 * Encodes raft batches into one growing buffer, reused from call to call: one per member. The
 * returned view is valid until the next call; the wire codec copies it into the frame body.
 */
export class RaftBatchEncoder {
  private buffer = new Uint8Array(encodeBufferBytesInitial);
  private position = 0;

  /**
   * Encodes `batch`. Every message must be from `batch.from` and to one and the same member (a
   * batch goes to one peer); a number that is not a non-negative safe integer fails an assertion:
   * both are bugs in this member, not input.
   */
  encode(batch: RaftBatch): Uint8Array {
    this.position = 0;
    const to = batch.messages[0]?.[1].to ?? "";
    this.byte(raftBatchMagic);
    this.byte(raftBatchLayout);
    this.string(batch.from);
    this.string(to);
    this.string(batch.replica);
    if (batch.hello === null) this.varint(0);
    else this.bytes(packr.pack(batch.hello));
    this.varint(batch.messages.length);
    for (const [group, message] of batch.messages) {
      assert(message.from === batch.from && message.to === to, "a raft batch goes from one member to one");
      if (group > groupIdMax) assert(false, `bad group ${group}`);
      this.varint(group);
      this.message(message);
    }
    return this.buffer.subarray(0, this.position);
  }

  private message(message: Message): void {
    this.byte(typeCodes[message.type]);
    this.varint(message.term);
    switch (message.type) {
      case "pre-vote":
      case "vote":
        this.varint(message.lastIndex);
        this.varint(message.lastTerm);
        this.boolean(message.transfer);
        return;
      case "pre-vote-response":
      case "vote-response":
        this.boolean(message.reject);
        return;
      case "append":
        this.varint(message.prevIndex);
        this.varint(message.prevTerm);
        this.varint(message.commit);
        this.varint(message.entries.length);
        for (const entry of message.entries) this.entry(entry);
        return;
      case "append-response":
        this.boolean(message.reject);
        this.varint(message.index);
        this.varint(message.hintIndex);
        this.varint(message.hintTerm);
        return;
      case "heartbeat":
        this.varint(message.commit);
        this.varint(message.context);
        return;
      case "heartbeat-response":
        this.varint(message.context);
        return;
      default:
        this.messageRare(message);
    }
  }

  private messageRare(message: Message): void {
    switch (message.type) {
      case "snapshot":
        this.varint(message.meta.index);
        this.varint(message.meta.term);
        this.strings(message.meta.config.voters);
        this.strings(message.meta.config.learners);
        this.strings(message.meta.config.retired);
        this.varint(message.offset);
        this.bytes(message.chunk);
        this.boolean(message.done);
        return;
      case "snapshot-response":
        this.varint(message.index);
        this.varint(message.offset);
        return;
      case "timeout-now":
        return;
      case "propose":
        this.varint(message.data.length);
        for (const data of message.data) this.bytes(data);
        return;
      case "read-index":
        this.string(message.requestId);
        return;
      case "read-index-response":
        this.string(message.requestId);
        this.varint(message.index);
        return;
      default:
        assert(false, `message type ${message.type} has no binary form`);
    }
  }

  private entry(entry: Entry): void {
    if (entry.type === "normal") {
      this.byte(entryNormal);
      this.varint(entry.term);
      this.varint(entry.index);
      this.bytes(entry.data);
      return;
    }
    this.byte(entryConfChange);
    this.varint(entry.term);
    this.varint(entry.index);
    this.byte(changeTypes.indexOf(entry.change.type) + 1);
    this.string(entry.change.node);
  }

  private reserve(bytes: number): void {
    const needed = this.position + bytes;
    if (needed <= this.buffer.byteLength) return;
    let size = this.buffer.byteLength * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.position));
    this.buffer = grown;
  }

  private byte(value: number): void {
    this.reserve(1);
    this.buffer[this.position++] = value;
  }

  private boolean(value: boolean): void {
    this.byte(value ? 1 : 0);
  }

  private varint(value: number): void {
    // The message is built only on failure: this runs for every number of every message.
    if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `not a count: ${value}`);
    this.reserve(varintBytesMax);
    const buffer = this.buffer;
    let rest = value;
    // Above 2^31 bit operators would truncate: divide instead.
    while (rest > 0x7fff_ffff) {
      buffer[this.position++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    while (rest > 0x7f) {
      buffer[this.position++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[this.position++] = rest;
  }

  private bytes(value: Uint8Array): void {
    this.varint(value.byteLength);
    this.reserve(value.byteLength);
    this.buffer.set(value, this.position);
    this.position += value.byteLength;
  }

  private strings(values: readonly string[]): void {
    this.varint(values.length);
    for (const value of values) this.string(value);
  }

  /** ASCII by hand (node ids, request ids); anything else through TextEncoder. */
  private string(value: string): void {
    const length = value.length;
    if (length < 0x80) {
      this.reserve(1 + length);
      const buffer = this.buffer;
      const start = this.position + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + i] = code;
      }
      if (i === length) {
        buffer[this.position] = length;
        this.position = start + length;
        return;
      }
    }
    const encoded = textEncoder.encode(value);
    this.bytes(encoded);
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
  const reader = new Reader(payload);
  if (reader.byte() !== raftBatchMagic || reader.byte() !== raftBatchLayout) return null;
  const from = reader.string();
  const to = reader.string();
  const replica = reader.string();
  if (from === null || to === null || replica === null || from.length === 0) return null;
  const hello = helloDecode(reader);
  if (hello === undefined) return null;
  const count = reader.varint();
  // Every message takes at least three bytes: a bound on the count before anything is allocated.
  if (!reader.ok || count * 3 > reader.remaining()) return null;
  if (count > 0 && to !== self) return null;
  const messages: [GroupId, Message][] = [];
  for (let i = 0; i < count; i++) {
    const group = reader.varint();
    const message = messageDecode(reader, from as NodeId, self);
    if (message === null || !reader.ok || group > groupIdMax) return null;
    messages.push([group as GroupId, message]);
  }
  if (!reader.ok || reader.remaining() !== 0) return null;
  return { from: from as NodeId, replica, hello, messages };
}

/** The hello, null when absent, undefined when malformed. */
function helloDecode(reader: Reader): Hello | null | undefined {
  const length = reader.varint();
  if (!reader.ok) return undefined;
  if (length === 0) return null;
  const bytes = reader.view(length);
  if (bytes === null) return undefined;
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return undefined; // msgpackr throws on truncation and bad data: the peer's fault.
  }
  return isPlainData(value, "decode") && helloValid(value) ? value : undefined;
}

function messageDecode(reader: Reader, from: NodeId, to: NodeId): Message | null {
  const code = reader.byte();
  const term = reader.varint() as Term;
  const type = messageTypes[code - 1];
  if (type === undefined || !reader.ok) return null;
  switch (type) {
    case "pre-vote":
    case "vote": {
      const lastIndex = reader.varint() as LogIndex;
      const lastTerm = reader.varint() as Term;
      const transfer = reader.boolean();
      return transfer === null ? null : { type, from, to, term, lastIndex, lastTerm, transfer };
    }
    case "pre-vote-response":
    case "vote-response": {
      const reject = reader.boolean();
      return reject === null ? null : { type, from, to, term, reject };
    }
    case "append":
      return appendDecode(reader, from, to, term);
    case "append-response": {
      const reject = reader.boolean();
      const index = reader.varint() as LogIndex;
      const hintIndex = reader.varint() as LogIndex;
      const hintTerm = reader.varint() as Term;
      if (reject === null) return null;
      return { type, from, to, term, reject, index, hintIndex, hintTerm };
    }
    case "heartbeat": {
      const commit = reader.varint() as LogIndex;
      return { type, from, to, term, commit, context: reader.varint() };
    }
    case "heartbeat-response":
      return { type, from, to, term, context: reader.varint() };
    default:
      return messageRareDecode(type, reader, from, to, term);
  }
}

function messageRareDecode(
  type: Message["type"],
  reader: Reader,
  from: NodeId,
  to: NodeId,
  term: Term,
): Message | null {
  switch (type) {
    case "snapshot":
      return snapshotDecode(reader, from, to, term);
    case "snapshot-response": {
      const index = reader.varint() as LogIndex;
      return { type, from, to, term, index, offset: reader.varint() };
    }
    case "timeout-now":
      return { type, from, to, term };
    case "propose": {
      const count = reader.varint();
      if (!reader.ok || count > reader.remaining()) return null;
      const data: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const bytes = reader.lengthPrefixed();
        if (bytes === null) return null;
        data.push(bytes);
      }
      return { type, from, to, term, data };
    }
    case "read-index": {
      const requestId = reader.string();
      return requestId === null ? null : { type, from, to, term, requestId };
    }
    case "read-index-response": {
      const requestId = reader.string();
      const index = reader.varint() as LogIndex;
      return requestId === null ? null : { type, from, to, term, requestId, index };
    }
    default:
      return null;
  }
}

function appendDecode(reader: Reader, from: NodeId, to: NodeId, term: Term): Message | null {
  const prevIndex = reader.varint() as LogIndex;
  const prevTerm = reader.varint() as Term;
  const commit = reader.varint() as LogIndex;
  const count = reader.varint();
  // An entry takes at least four bytes.
  if (!reader.ok || count * 4 > reader.remaining()) return null;
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const entry = entryDecode(reader);
    if (entry === null) return null;
    entries.push(entry);
  }
  return { type: "append", from, to, term, prevIndex, prevTerm, entries, commit };
}

function entryDecode(reader: Reader): Entry | null {
  const type = reader.byte();
  const term = reader.varint() as Term;
  const index = reader.varint() as LogIndex;
  if (type === entryNormal) {
    const data = reader.lengthPrefixed();
    return data === null ? null : { type: "normal", term, index, data };
  }
  if (type !== entryConfChange) return null;
  const changeType = changeTypes[reader.byte() - 1];
  const node = reader.string();
  if (changeType === undefined || node === null || node.length === 0) return null;
  return { type: "conf-change", term, index, change: { type: changeType, node: node as NodeId } };
}

function snapshotDecode(reader: Reader, from: NodeId, to: NodeId, term: Term): Message | null {
  const index = reader.varint() as LogIndex;
  const metaTerm = reader.varint() as Term;
  const voters = nodeIdsDecode(reader);
  const learners = nodeIdsDecode(reader);
  const retired = nodeIdsDecode(reader);
  const offset = reader.varint();
  const chunk = reader.lengthPrefixed();
  const done = reader.boolean();
  if (voters === null || learners === null || retired === null || chunk === null || done === null)
    return null;
  const config: ConfigState = { voters, learners, retired };
  return { type: "snapshot", from, to, term, meta: { index, term: metaTerm, config }, offset, chunk, done };
}

function nodeIdsDecode(reader: Reader): NodeId[] | null {
  const count = reader.varint();
  if (!reader.ok || count > reader.remaining()) return null;
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) {
    const id = reader.string();
    if (id === null || id.length === 0) return null;
    ids.push(id as NodeId);
  }
  return ids;
}

/**
 * Reads a payload front to back. A failed read clears `ok` and returns 0 (numbers) or null (strings
 * and bytes); callers check `ok` or the null before trusting what they read.
 */
class Reader {
  private readonly source: Uint8Array;
  private position = 0;
  ok = true;

  constructor(source: Uint8Array) {
    // A plain Uint8Array view, so that the bytes handed out are plain Uint8Arrays, not Buffers.
    this.source =
      Object.getPrototypeOf(source) === Uint8Array.prototype
        ? source
        : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }

  remaining(): number {
    return this.source.byteLength - this.position;
  }

  private fail(): 0 {
    this.ok = false;
    this.position = this.source.byteLength;
    return 0;
  }

  byte(): number {
    if (this.position >= this.source.byteLength) return this.fail();
    return this.source[this.position++]!;
  }

  boolean(): boolean | null {
    const value = this.byte();
    if (value > 1) this.fail();
    return this.ok ? value === 1 : null;
  }

  /** A minimal LEB128 varint up to 2^53 - 1. */
  varint(): number {
    const source = this.source;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < varintBytesMax; i++) {
      if (this.position >= source.byteLength) return this.fail();
      const byte = source[this.position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        // A zero last byte after the first is an overlong form: one value, one encoding.
        if (byte === 0 && i > 0) return this.fail();
        return value <= Number.MAX_SAFE_INTEGER ? value : this.fail();
      }
      scale *= 0x80;
    }
    return this.fail();
  }

  /** `length` bytes as a view of the source, or null past the end. */
  view(length: number): Uint8Array | null {
    if (!this.ok || length > this.remaining()) {
      this.fail();
      return null;
    }
    const start = this.position;
    this.position += length;
    return this.source.subarray(start, start + length);
  }

  /** Length-prefixed bytes, as a view of the source. */
  lengthPrefixed(): Uint8Array | null {
    return this.view(this.varint());
  }

  /** A length-prefixed UTF-8 string; null on bad UTF-8 or past the end. */
  string(): string | null {
    const bytes = this.view(this.varint());
    if (bytes === null) return null;
    if (bytes.byteLength <= recentBytesMax) {
      const known = recentStrings.find(bytes);
      if (known !== null) return known;
      const text = this.text(bytes);
      if (text !== null) recentStrings.add(bytes, text);
      return text;
    }
    return this.text(bytes);
  }

  private text(bytes: Uint8Array): string | null {
    if (bytes.byteLength <= asciiFastBytesMax) {
      let out = "";
      let i = 0;
      for (; i < bytes.byteLength; i++) {
        const code = bytes[i]!;
        if (code >= 0x80) break;
        out += String.fromCharCode(code);
      }
      if (i === bytes.byteLength) return out;
    }
    try {
      return textDecoder.decode(bytes);
    } catch {
      this.fail();
      return null;
    }
  }
}

/** The last few short strings decoded, with their bytes: a round-robin cache of fixed size. */
class RecentStrings {
  private readonly bytes: Uint8Array[] = [];
  private readonly texts: string[] = [];
  private next = 0;

  find(bytes: Uint8Array): string | null {
    const length = bytes.byteLength;
    for (let i = 0; i < this.bytes.length; i++) {
      const candidate = this.bytes[i]!;
      if (candidate.byteLength !== length) continue;
      let j = 0;
      while (j < length && candidate[j] === bytes[j]) j++;
      if (j === length) return this.texts[i]!;
    }
    return null;
  }

  add(bytes: Uint8Array, text: string): void {
    this.bytes[this.next] = bytes.slice();
    this.texts[this.next] = text;
    this.next = (this.next + 1) % recentCount;
  }
}

const recentStrings = new RecentStrings();
