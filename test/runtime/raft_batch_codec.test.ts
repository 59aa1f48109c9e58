// Goal: the binary raft-batch codec carries every Raft message type unchanged, copies entry bytes
// once each way (into the encoder's buffer, out of nothing: decoded bytes are views of the frame),
// and never throws on a peer's bytes. Method: fast-check round trips of batches of arbitrary messages of every type
// (terms and indexes over the whole safe-integer range, entries with random bytes, conf changes,
// snapshots, hello present or absent); every strict prefix, random byte flips, insertions and
// deletions, and random bytes decode to null or to a batch that re-encodes (never a throw); a batch
// for another member is refused; hand-built bytes pin the layout and cover overlong varints, a
// number past 2^53, bad UTF-8, trailing bytes and huge counts; the legacy MessagePack form is
// still read, with the same checks.

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { bytesEqual, toHex } from "../../src/lib/bytes.js";
import type { ConfChange, Entry, Message } from "../../src/protocol/raft/index.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import type { Hello, RaftBatch } from "../../src/runtime/codec.js";
import {
  RaftBatchEncoder,
  raftBatchDecode,
  raftBatchDecodeBinary,
} from "../../src/runtime/raft_batch_codec.js";
import { type GroupId, groupId, type LogIndex, type NodeId, nodeId, type Term } from "../../src/types.js";

const self = nodeId("m1");
const sender = nodeId("m2");
const cases = 300;

const count = fc.oneof(
  fc.nat(200),
  fc.constantFrom(127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.maxSafeNat(),
);
const term = count.map((value) => value as Term);
const index = count.map((value) => value as LogIndex);
const bytes = fc.uint8Array({ maxLength: 300 });
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "grapheme", maxLength: 8 }));
const nodeName = fc.oneof(fc.constantFrom("m1", "m2", "m3"), fc.string({ minLength: 1, maxLength: 12 }));
const node = nodeName.map((name) => name as NodeId);

const change: fc.Arbitrary<ConfChange> = fc.record({
  type: fc.constantFrom("add-learner", "promote", "remove"),
  node,
});
const entry: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ type: fc.constant("normal"), term, index, data: bytes }),
  fc.record({ type: fc.constant("conf-change"), term, index, change }),
);

/** Every message type with arbitrary fields, from `sender` to `self`. */
const message: fc.Arbitrary<Message> = fc
  .oneof(
    fc.record({
      type: fc.constantFrom("pre-vote", "vote"),
      lastIndex: index,
      lastTerm: term,
      transfer: fc.boolean(),
    }),
    fc.record({ type: fc.constantFrom("pre-vote-response", "vote-response"), reject: fc.boolean() }),
    fc.record({
      type: fc.constant("append"),
      prevIndex: index,
      prevTerm: term,
      entries: fc.array(entry, { maxLength: 6 }),
      commit: index,
    }),
    fc.record({
      type: fc.constant("append-response"),
      reject: fc.boolean(),
      index,
      hintIndex: index,
      hintTerm: term,
    }),
    fc.record({ type: fc.constant("heartbeat"), commit: index, context: count }),
    fc.record({ type: fc.constant("heartbeat-response"), context: count }),
    fc.record({
      type: fc.constant("snapshot"),
      meta: fc.record({
        index,
        term,
        config: fc.record({
          voters: fc.array(node, { maxLength: 5 }),
          learners: fc.array(node, { maxLength: 3 }),
          retired: fc.array(node, { maxLength: 3 }),
        }),
      }),
      offset: count,
      chunk: bytes,
      done: fc.boolean(),
    }),
    fc.record({ type: fc.constant("snapshot-response"), index, offset: count }),
    fc.record({ type: fc.constant("timeout-now") }),
    fc.record({ type: fc.constant("propose"), data: fc.array(bytes, { maxLength: 4 }) }),
    fc.record({ type: fc.constant("read-index"), requestId: text }),
    fc.record({ type: fc.constant("read-index-response"), requestId: text, index }),
  )
  .chain((fields) => term.map((t) => ({ ...fields, from: sender, to: self, term: t }) as Message));

const member = fc.record({ nodeId: nodeName, address: text, adminAddress: text });
const hello: fc.Arbitrary<Hello> = fc.record({
  member,
  known: fc.array(member, { maxLength: 3 }),
  expect: fc.nat(9),
  cluster: fc.constant(null),
}) as unknown as fc.Arbitrary<Hello>;

const group = fc.integer({ min: 0, max: 0xffff_ffff }).map((value) => groupId(value));
const batch: fc.Arbitrary<RaftBatch> = fc.record({
  from: fc.constant(sender),
  replica: text,
  hello: fc.option(hello, { nil: null }),
  messages: fc.array(fc.tuple(group, message), { maxLength: 8 }),
});

const encoder = new RaftBatchEncoder();
const wire = new WireCodec({ frameBytesMax: 1 << 20 });
const encode = (value: RaftBatch): Uint8Array => encoder.encode(value).slice();

/** A decoded batch is whole: every message from its sender to this member, and it re-encodes. */
function expectSound(decoded: RaftBatch | null): void {
  if (decoded === null) return;
  for (const [, m] of decoded.messages) {
    expect(m.to).toBe(self);
    expect(m.from).toBe(decoded.from);
  }
  expect(raftBatchDecode(encode(decoded), self)).toEqual(decoded);
}

function decodeSafely(payload: Uint8Array): RaftBatch | null {
  try {
    return raftBatchDecode(payload, self);
  } catch (error) {
    throw new Error(`decode threw on ${toHex(payload)}: ${String(error)}`);
  }
}

describe("raft-batch binary codec: round trips", () => {
  it("decodes what it encodes, for batches of every message type", () => {
    fc.assert(
      fc.property(batch, (value) => {
        const encoded = encode(value);
        expect(encoded[0]).toBe(0xc1);
        expect(raftBatchDecode(encoded, self)).toEqual(value);
        // Canonical: the decoded batch encodes to the same bytes.
        expect(toHex(encode(raftBatchDecodeBinary(encoded, self)!))).toBe(toHex(encoded));
      }),
      { numRuns: cases },
    );
  });

  it("shares no bytes with the encoder's buffer; entry data are copies of their own", () => {
    const data = Uint8Array.of(1, 2, 3);
    const append: Message = {
      type: "append",
      from: sender,
      to: self,
      term: 2 as Term,
      prevIndex: 4 as LogIndex,
      prevTerm: 1 as Term,
      commit: 4 as LogIndex,
      entries: [{ type: "normal", term: 2 as Term, index: 5 as LogIndex, data }],
    };
    const value: RaftBatch = { from: sender, replica: "r", hello: null, messages: [[groupId(3), append]] };
    const encoded = wire.encode({ version: 1, kind: "raft-batch", payload: encoder.encode(value) });
    if (encoded.kind !== "ok") throw new Error("encode failed");
    const frame = wire.decode(encoded.body);
    if (frame.kind !== "ok") throw new Error("decode failed");
    const decoded = raftBatchDecode(frame.message.payload, self);
    // The encoder writes its next batch over its buffer: the frame had its own copy.
    encoder.encode({ ...value, messages: [[groupId(9), { ...append, entries: [] }]] });
    expect(decoded).toEqual(value);
    const first = decoded?.messages[0]?.[1];
    if (first?.type !== "append" || first.entries[0]?.type !== "normal") throw new Error("not an append");
    const entryData = first.entries[0].data;
    expect(Object.getPrototypeOf(entryData)).toBe(Uint8Array.prototype);
    // A copy of its own: a log entry, and the map values that are views of it, must not pin the
    // frame and the socket read it arrived in.
    expect(entryData.buffer).not.toBe(encoded.body.buffer);
    expect(entryData.buffer.byteLength).toBe(data.byteLength);
  });

  it("reuses one buffer and grows it for a large batch", () => {
    const big = new Uint8Array(200_000).fill(7);
    const propose: Message = { type: "propose", from: sender, to: self, term: 1 as Term, data: [big, big] };
    const value: RaftBatch = { from: sender, replica: "r", hello: null, messages: [[groupId(1), propose]] };
    const encoded = encode(value);
    expect(encoded.byteLength).toBeGreaterThan(400_000);
    const decoded = raftBatchDecode(encoded, self)?.messages[0]?.[1];
    if (decoded?.type !== "propose") throw new Error("not a propose");
    expect(decoded.data.length).toBe(2);
    for (const data of decoded.data) expect(bytesEqual(data, big)).toBe(true);
    const small = encode({ from: sender, replica: "r", hello: null, messages: [] });
    expect(raftBatchDecode(small, self)).toEqual({ from: sender, replica: "r", hello: null, messages: [] });
  });

  it("pins the layout of a small batch", () => {
    const heartbeat: Message = {
      type: "heartbeat",
      from: sender,
      to: self,
      term: 300 as Term,
      commit: 9 as LogIndex,
      context: 1,
    };
    const encoded = encode({ from: sender, replica: "r", hello: null, messages: [[groupId(5), heartbeat]] });
    // magic, layout, "m2", "m1", "r", no hello, 1 message: group 5, type 7, term 300, commit 9, context 1
    expect(toHex(encoded)).toBe("c101026d32026d3101720001050" + "7ac02" + "0901");
  });
});

describe("raft-batch binary codec: refusals", () => {
  it("refuses a batch for another member, and accepts an empty one for anyone", () => {
    fc.assert(
      fc.property(batch, (value) => {
        const encoded = encode(value);
        const other = raftBatchDecode(encoded, nodeId("m3"));
        expect(other).toEqual(value.messages.length === 0 ? value : null);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses every strict prefix", () => {
    fc.assert(
      fc.property(batch, (value) => {
        const encoded = encode(value);
        for (let length = 0; length < encoded.byteLength; length++) {
          expect(decodeSafely(encoded.subarray(0, length))).toBeNull();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("returns null or a sound batch for flipped, inserted and deleted bytes, never throws", () => {
    const mutation = fc.record({ index: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.nat(2) });
    fc.assert(
      fc.property(batch, fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, mutations) => {
        const mutated = [...encode(value)];
        for (const { index: at0, byte, op } of mutations) {
          const at = at0 % (mutated.length + 1);
          if (op === 0) mutated[Math.min(at, mutated.length - 1)] = byte;
          else if (op === 1) mutated.splice(at, 0, byte);
          else mutated.splice(at, 1);
        }
        expectSound(decodeSafely(Uint8Array.from(mutated)));
      }),
      { numRuns: cases },
    );
  });

  it("returns null or a sound batch for random bytes, with or without the magic", () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((rest) => Uint8Array.from([0xc1, 1, ...rest])),
    );
    fc.assert(
      fc.property(payload, (value) => expectSound(decodeSafely(value))),
      { numRuns: cases * 3 },
    );
    expect(raftBatchDecode("not bytes", self)).toBeNull();
    expect(raftBatchDecode(new Uint8Array(0), self)).toBeNull();
  });

  it("refuses overlong varints, numbers past 2^53, bad booleans, bad UTF-8, huge counts, trailing bytes", () => {
    const head = [0xc1, 1, 2, 0x6d, 0x32, 2, 0x6d, 0x31, 1, 0x72, 0];
    const good = [...head, 1, 5, 7, 0xac, 0x02, 9, 1]; // one heartbeat, as pinned above
    expect(raftBatchDecode(Uint8Array.from(good), self)).not.toBeNull();
    const refused = [
      [...head, 1, 5, 7, 0xac, 0x82, 0x00, 9, 1], // term 300 in an overlong form
      [...head, 1, 5, 7, ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10], 9, 1], // term 2^53
      [...head, 1, 5, 7, ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 9, 1], // 9 bytes
      [...head, 1, 5, 3, 1, 2], // vote-response with reject = 2
      [...head, 1, 5, 0, 1], // type code 0
      [...head, 1, 5, 15, 1], // type code past the list
      [...head, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 7, 1, 9, 1], // group 2^32
      [...head, 0xff, 0xff, 0xff, 0x7f], // a message count far past the bytes left
      [...head, 1, 5, 5, 1, 0, 0, 0, 0xff, 0xff, 0x03], // an append claiming 65,535 entries
      [...good, 0], // a trailing byte
      [0xc1, 2, ...good.slice(2)], // an unknown layout
      [0xc1, 1, 0, ...good.slice(5)], // an empty sender
      [0xc1, 1, 2, 0xc3, 0x28, ...good.slice(5)], // a sender in bad UTF-8
      [...head.slice(0, 10), 2, 0x92, 0xc0, 0], // a hello of bad MessagePack
    ];
    for (const bytesOf of refused)
      expect(decodeSafely(Uint8Array.from(bytesOf)), toHex(Uint8Array.from(bytesOf))).toBeNull();
  });

  it("refuses a message from someone else or to two members at encode: a bug in the sender", () => {
    const heartbeat: Message = {
      type: "heartbeat",
      from: sender,
      to: self,
      term: 1 as Term,
      commit: 0 as LogIndex,
      context: 0,
    };
    const messages = (...list: Message[]): [GroupId, Message][] => list.map((m) => [groupId(1), m]);
    const of = (list: [GroupId, Message][]): RaftBatch => ({
      from: sender,
      replica: "r",
      hello: null,
      messages: list,
    });
    expect(() => encoder.encode(of(messages({ ...heartbeat, from: nodeId("m3") })))).toThrow();
    expect(() => encoder.encode(of(messages(heartbeat, { ...heartbeat, to: nodeId("m3") })))).toThrow();
    expect(() => encoder.encode(of(messages({ ...heartbeat, term: -1 as Term })))).toThrow();
    expect(() => encoder.encode(of(messages({ ...heartbeat, context: 1.5 })))).toThrow();
  });
});

describe("raft-batch legacy MessagePack form", () => {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true });

  it("reads a legacy batch, and refuses one with a message for someone else or from a third member", () => {
    const heartbeat = { type: "heartbeat", from: "m2", to: "m1", term: 3, commit: 1, context: 0 };
    const legacy = { from: "m2", replica: "m2@1", hello: null, messages: [[1, heartbeat]] };
    expect(raftBatchDecode(Uint8Array.from(packr.pack(legacy)), self)).toEqual(legacy);
    const elsewhere = { ...legacy, messages: [[1, { ...heartbeat, to: "m3" }]] };
    expect(raftBatchDecode(Uint8Array.from(packr.pack(elsewhere)), self)).toBeNull();
    const relayed = { ...legacy, messages: [[1, { ...heartbeat, from: "m3" }]] };
    expect(raftBatchDecode(Uint8Array.from(packr.pack(relayed)), self)).toBeNull();
    expect(raftBatchDecode(Uint8Array.from(packr.pack({ from: 7, messages: "x" })), self)).toBeNull();
    expect(raftBatchDecode(Uint8Array.of(0x92, 0x01), self)).toBeNull(); // truncated
  });
});
