// Goal: the `crdt-batch` payload survives the wire and a peer's bytes never crash a member. Method:
// fast-check properties over arbitrary batches of every replication message type: encode with
// the wire codec, decode, check with replicationBatchParse: the same entries come back and none is
// malformed; arbitrary plain data, arbitrary bytes and every truncation of a real batch frame
// never throw, and what the parser keeps is always well shaped (a count of malformed entries
// plus only valid entries); single corrupted entries are dropped while the rest are kept. Delta
// entries packed into one byte string (as a member sends them) come back in their usual form, and
// arbitrary, truncated or corrupted packings are refused as one malformed entry, never thrown.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  REPLICATION_BATCH_ENTRIES_MAX,
  type ReplicationBatchEntry,
  type ReplicationMessage,
  replicationBatchParse,
  replicationEntriesPack,
  replicationEntriesUnpack,
  replicationMessageValid,
  replicationMessageWire,
} from "../../src/protocol/replication/index.js";
import { ByteWriter } from "../../src/lib/byte_codec.js";
import { WireCodec, type WireMessage, type WireValue, wireVersion } from "../../src/protocol/wire/index.js";
import type { ReplicaId } from "../../src/types.js";
import { wireValue } from "../wire/arbitraries.js";

const codec = new WireCodec({ frameBytesMax: 1 << 22 });
const numRuns = process.env["SHOAL_TIER"] === "extended" ? 5_000 : 300;

/** Records with Object.prototype, as the wire decoder makes them. */
const plain = { noNullPrototype: true } as const;
const replica = fc.string({ minLength: 1, maxLength: 12 }).map((s) => s as ReplicaId);
const count = fc.nat({ max: 2 ** 40 });
const keyed = fc.array(
  fc.record({ key: fc.string({ maxLength: 10 }), bytes: fc.uint8Array({ maxLength: 24 }) }, plain),
  {
    maxLength: 4,
  },
);

const message: fc.Arbitrary<ReplicationMessage> = fc.oneof(
  fc.record(
    { type: fc.constantFrom("ack" as const, "nack" as const), from: replica, to: replica, seq: count },
    plain,
  ),
  fc.record(
    {
      type: fc.constant("delta" as const),
      from: replica,
      to: replica,
      fromSeq: count,
      toSeq: count,
      isFull: fc.boolean(),
      entries: keyed,
    },
    plain,
  ),
  fc.record(
    {
      type: fc.constant("digest" as const),
      from: replica,
      to: replica,
      level: fc.nat({ max: 8 }),
      parents: fc.array(fc.nat({ max: 4_096 }), { maxLength: 6 }),
      hashes: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), { maxLength: 12 }),
    },
    plain,
  ),
  fc.record(
    {
      type: fc.constant("leaf-states" as const),
      from: replica,
      to: replica,
      leaves: fc.array(fc.nat({ max: 4_096 }), { maxLength: 6 }),
      entries: keyed,
      wantsReply: fc.boolean(),
    },
    plain,
  ),
);

const batch = fc.array(
  fc.tuple(fc.nat({ max: 1_023 }), message).map(([p, m]): ReplicationBatchEntry => [p, m]),
  { maxLength: 24 },
);

/** Delta entries packed, as ApService sends a batch. */
function packedOf(entries: readonly ReplicationBatchEntry[]): unknown[] {
  const writer = new ByteWriter();
  return entries.map(([p, m]) => [
    p,
    replicationMessageWire(m, m.type === "delta" ? replicationEntriesPack(m.entries, writer) : null),
  ]);
}

function frameOf(entries: readonly unknown[]): Uint8Array {
  const wire = { version: wireVersion, kind: "crdt-batch", payload: entries } as unknown as WireMessage;
  const encoded = codec.encode(wire);
  if (encoded.kind !== "ok") throw new Error("batch does not encode");
  return encoded.body;
}

/** Decodes a frame body and parses its payload as a batch; the whole path a member runs. */
function receive(body: Uint8Array): ReturnType<typeof replicationBatchParse> | null {
  const decoded = codec.decode(body);
  if (decoded.kind !== "ok") return null;
  return replicationBatchParse(decoded.message.payload);
}

function wellShaped(parsed: ReturnType<typeof replicationBatchParse>): void {
  expect(Number.isSafeInteger(parsed.malformed) && parsed.malformed >= 0).toBe(true);
  for (const [partition, m] of parsed.entries) {
    expect(Number.isSafeInteger(partition) && partition >= 0).toBe(true);
    expect(replicationMessageValid(m)).toBe(true);
  }
}

describe("crdt-batch codec", () => {
  it("decodes what it encodes: every entry back, in order, none malformed", () => {
    fc.assert(
      fc.property(batch, (entries) => {
        expect(receive(frameOf(entries))).toStrictEqual({ entries, malformed: 0 });
      }),
      { numRuns },
    );
  });

  it("decodes packed delta entries back to their usual form, in order, none malformed", () => {
    fc.assert(
      fc.property(batch, (entries) => {
        expect(receive(frameOf(packedOf(entries)))).toStrictEqual({ entries, malformed: 0 });
      }),
      { numRuns },
    );
  });

  it("refuses a malformed packing as one malformed entry, never throwing", () => {
    const delta = (entries: Uint8Array) => [
      3,
      { type: "delta", from: "a", to: "b", fromSeq: 0, toSeq: 1, isFull: false, entries },
    ];
    const ack = [1, { type: "ack", from: "a", to: "b", seq: 1 }];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const unpacked = replicationEntriesUnpack(bytes);
        if (unpacked !== null) for (const e of unpacked) expect(typeof e.key).toBe("string");
        const parsed = replicationBatchParse([ack, delta(bytes)]);
        wellShaped(parsed);
        expect(parsed.entries.length + parsed.malformed).toBe(2);
      }),
      { numRuns },
    );
    fc.assert(
      fc.property(
        keyed.filter((k) => k.length > 0),
        fc.nat(),
        (entries, cut) => {
          const packed = replicationEntriesPack(entries, new ByteWriter());
          const truncated = packed.subarray(0, cut % packed.byteLength); // Always short of the whole.
          const unpacked = replicationEntriesUnpack(truncated);
          // A cut between pairs is a shorter valid packing; anywhere else it is refused.
          if (unpacked !== null) expect(unpacked.length).toBeLessThan(entries.length);
          const parsed = replicationBatchParse([ack, delta(truncated)]);
          expect(parsed.malformed).toBe(unpacked === null ? 1 : 0);
        },
      ),
      { numRuns },
    );
    // Keys of every kind: short ASCII, non-ASCII, longer than the one-call ASCII path.
    const kinds = [{ key: "counter/c-1" }, { key: "ключ/é" }, { key: "k".repeat(100) }, { key: "" }];
    const all = kinds.map(({ key }, i) => ({ key, bytes: Uint8Array.of(i, 7) }));
    expect(replicationEntriesUnpack(replicationEntriesPack(all, new ByteWriter()))).toStrictEqual(all);
    // A length running past the end, and invalid UTF-8 in a key.
    expect(replicationEntriesUnpack(Uint8Array.of(1, 0x61, 5, 1))).toBeNull();
    expect(replicationEntriesUnpack(Uint8Array.of(1, 0xff, 0))).toBeNull();
    expect(replicationBatchParse([delta(Uint8Array.of(1, 0xff, 0))]).malformed).toBe(1);
  });

  it("never throws on arbitrary plain data, and keeps only valid entries", () => {
    fc.assert(
      fc.property(fc.oneof(wireValue, fc.array(wireValue, { maxLength: 8 })), (payload: WireValue) => {
        const parsed = replicationBatchParse(payload);
        wellShaped(parsed);
        if (!Array.isArray(payload)) expect(parsed).toStrictEqual({ entries: [], malformed: 1 });
        else expect(parsed.entries.length + parsed.malformed).toBe(payload.length);
      }),
      { numRuns },
    );
  });

  it("never throws on arbitrary bytes or on any truncation or bit flip of a real batch", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const parsed = receive(bytes);
        if (parsed !== null) wellShaped(parsed);
      }),
      { numRuns },
    );
    fc.assert(
      fc.property(batch, fc.nat(), fc.nat(), (entries, cut, flip) => {
        const body = frameOf(entries);
        const truncated = body.subarray(0, cut % (body.byteLength + 1));
        const parsedCut = receive(truncated);
        if (parsedCut !== null) wellShaped(parsedCut);
        const flipped = Uint8Array.from(body);
        flipped[flip % flipped.byteLength]! ^= 1 << (flip % 8);
        const parsedFlip = receive(flipped);
        if (parsedFlip !== null) wellShaped(parsedFlip);
      }),
      { numRuns },
    );
  });

  it("drops a corrupted entry and keeps the others", () => {
    fc.assert(
      fc.property(
        batch.filter((b) => b.length > 0),
        fc.nat(),
        fc.nat({ max: 5 }),
        (entries, at, how) => {
          const index = at % entries.length;
          const [partition, m] = entries[index]!;
          const corrupt: unknown[] = [
            [-1, m],
            [partition + 0.5, m],
            [partition, { ...m, from: 7 }],
            [partition, { ...m, type: "gossip" }],
            [partition, m, 1],
            "entry",
          ];
          const payload: unknown[] = [...entries];
          payload[index] = corrupt[how];
          const parsed = replicationBatchParse(payload);
          expect(parsed.malformed).toBe(1);
          expect(parsed.entries).toStrictEqual(entries.filter((_, i) => i !== index));
        },
      ),
      { numRuns },
    );
  });

  it("refuses a batch over the entry limit as a whole, without walking it", () => {
    const ack = [0, { type: "ack", from: "a", to: "b", seq: 1 }];
    const over = new Array(REPLICATION_BATCH_ENTRIES_MAX + 1).fill(ack);
    expect(replicationBatchParse(over)).toStrictEqual({ entries: [], malformed: 1 });
    expect(replicationBatchParse(over.slice(1)).entries).toHaveLength(REPLICATION_BATCH_ENTRIES_MAX);
  });
});
