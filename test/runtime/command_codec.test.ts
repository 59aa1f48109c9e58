// Goal: the CP command codec (the bytes of every normal Raft entry) round-trips every command a
// client can propose, pins its binary layout byte for byte, still reads the legacy MessagePack
// entries that old WALs and logs hold, and never throws on damaged bytes. Method: golden bytes for
// one command of each kind of field, fast-check round trips over generated operations, legacy
// entries built the way the previous encoder built them, and truncated / mutated / random inputs.

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/lib/bytes.js";
import type { Operation } from "../../src/protocol/client/operations.js";
import {
  type Command,
  commandDecode,
  commandEncode,
  commandMagic,
  isCommandMalformed,
} from "../../src/runtime/command_codec.js";
import type { ClientId } from "../../src/types.js";

const text = fc.string({ maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 300 });
const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const int = count.chain((n) => fc.constantFrom(n, -n, 0, 1, -1)).filter((n) => !Object.is(n, -0));

/** Every CP operation, with the fields a client request check admits. */
const cpOperation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    structure: fc.constant("map" as const),
    op: fc.constant("put" as const),
    name: text,
    key: text,
    value: bytes,
  }),
  fc.record({
    structure: fc.constant("map" as const),
    op: fc.constant("delete" as const),
    name: text,
    key: text,
  }),
  fc.record({
    structure: fc.constant("map" as const),
    op: fc.constant("get" as const),
    name: text,
    key: text,
  }),
  fc.record({
    structure: fc.constant("map" as const),
    op: fc.constant("cas" as const),
    name: text,
    key: text,
    expected: fc.option(bytes, { nil: null }),
    value: fc.option(bytes, { nil: null }),
  }),
  fc.record({ structure: fc.constant("atomic-long" as const), op: fc.constant("get" as const), name: text }),
  fc.record({
    structure: fc.constant("atomic-long" as const),
    op: fc.constant("add" as const),
    name: text,
    delta: int,
  }),
  fc.record({
    structure: fc.constant("atomic-long" as const),
    op: fc.constant("set" as const),
    name: text,
    value: int,
  }),
  fc.record({
    structure: fc.constant("atomic-long" as const),
    op: fc.constant("cas" as const),
    name: text,
    expected: int,
    value: int,
  }),
  fc.record({
    structure: fc.constant("lock" as const),
    op: fc.constant("acquire" as const),
    name: text,
    owner: text,
    ttlMs: int,
  }),
  fc.record({
    structure: fc.constant("lock" as const),
    op: fc.constant("renew" as const),
    name: text,
    owner: text,
    fence: int,
    ttlMs: int,
  }),
  fc.record({
    structure: fc.constant("lock" as const),
    op: fc.constant("release" as const),
    name: text,
    owner: text,
    fence: int,
  }),
  fc.record({ structure: fc.constant("lock" as const), op: fc.constant("status" as const), name: text }),
);

const command: fc.Arbitrary<Command> = fc.record({
  clientId: text.map((id) => id as ClientId),
  sequence: count,
  logTimeMs: count,
  operation: cpOperation,
});

/**
 * A value as the log carries it: strings as UTF-8 (lone surrogates become U+FFFD, as TextEncoder
 * writes them) and byte fields as plain byte lists (MessagePack decodes them as Buffers).
 */
function carried(value: unknown): unknown {
  if (typeof value === "string") return new TextDecoder().decode(new TextEncoder().encode(value));
  if (value instanceof Uint8Array) return [...value];
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, carried(v)]));
}

const legacyPackr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

/** The entry bytes the previous encoder (MessagePack) wrote. */
function legacyEncode(c: Command): Uint8Array {
  return legacyPackr.pack({ c: c.clientId, s: c.sequence, t: c.logTimeMs, o: c.operation });
}

describe("commandEncode / commandDecode", () => {
  it("pins the binary layout (golden bytes): a map put, an atomic-long cas and a lock renew", () => {
    const put: Command = {
      clientId: "c1" as ClientId,
      sequence: 300,
      logTimeMs: 1_700_000_000_000,
      operation: { structure: "map", op: "put", name: "m", key: "k", value: new Uint8Array([7, 8]) },
    };
    // magic, layout 1, "c1", 300, the time, op 1, "m", "k", 2 bytes.
    expect(toHex(commandEncode(put))).toBe("c101026331ac0280d095ffbc3101016d016b020708");
    const cas: Command = {
      clientId: "c" as ClientId,
      sequence: 1,
      logTimeMs: 5,
      operation: { structure: "atomic-long", op: "cas", name: "n", expected: -2, value: 130 },
    };
    // ... op 8, "n", expected: sign 1 then 2, value: sign 0 then 130 as a two-byte varint.
    expect(toHex(commandEncode(cas))).toBe("c101016301050801 6e 0102 008201".replaceAll(" ", ""));
    const renew: Command = {
      clientId: "c" as ClientId,
      sequence: 2,
      logTimeMs: 0,
      operation: { structure: "lock", op: "renew", name: "l", owner: "o", fence: 9, ttlMs: 1000 },
    };
    expect(toHex(commandEncode(renew))).toBe("c10101630200" + "0a016c016f" + "0009" + "00e807");
    const casNulls: Command = {
      ...put,
      operation: {
        structure: "map",
        op: "cas",
        name: "m",
        key: "k",
        expected: null,
        value: new Uint8Array([1]),
      },
    };
    expect(toHex(commandEncode(casNulls))).toBe("c101026331ac0280d095ffbc3103016d016b00010101");
  });

  it("round-trips every CP command", () => {
    fc.assert(
      fc.property(command, (c) => {
        const encoded = commandEncode(c);
        expect(encoded[0]).toBe(commandMagic);
        expect(carried(commandDecode(encoded))).toEqual(carried(c));
      }),
      { numRuns: 3000 },
    );
  });

  it("reads byte fields as views of the entry's own buffer, with no copy per replica", () => {
    const value = new Uint8Array([1, 2, 3]);
    const encoded = commandEncode({
      clientId: "c" as ClientId,
      sequence: 1,
      logTimeMs: 1,
      operation: { structure: "map", op: "put", name: "m", key: "k", value },
    });
    const decoded = commandDecode(encoded);
    if (decoded === null || isCommandMalformed(decoded) || decoded.operation.structure !== "map")
      throw new Error("a put decodes");
    const op = decoded.operation;
    if (op.op !== "put") throw new Error("a put decodes as a put");
    expect([...op.value]).toEqual([1, 2, 3]);
    expect(op.value.buffer).toBe(encoded.buffer);
  });

  it("reads the legacy MessagePack entries earlier versions wrote", () => {
    fc.assert(
      fc.property(command, (c) => {
        expect(carried(commandDecode(legacyEncode(c)))).toEqual(carried(c));
      }),
      { numRuns: 1000 },
    );
  });

  it("writes the legacy form for what the layout cannot carry, and reads it back", () => {
    const fractional: Command = {
      clientId: "c" as ClientId,
      sequence: 4,
      logTimeMs: 12.5,
      operation: { structure: "atomic-long", op: "add", name: "n", delta: 1.5 },
    };
    const encoded = commandEncode(fractional);
    expect(encoded[0]).not.toBe(commandMagic);
    expect(commandDecode(encoded)).toEqual(fractional);
  });

  it("decodes the empty entry (a new leader's no-op) as null", () => {
    expect(commandDecode(new Uint8Array(0))).toBeNull();
  });

  it("never throws on truncated, mutated or random bytes, and refuses trailing bytes", () => {
    fc.assert(
      fc.property(command, fc.nat(), fc.integer({ min: 0, max: 255 }), (c, at, byte) => {
        const encoded = commandEncode(c);
        const cut = encoded.subarray(0, at % encoded.byteLength);
        const truncated = commandDecode(cut);
        if (cut.byteLength > 0) expect(isCommandMalformed(truncated)).toBe(true);
        const mutated = encoded.slice();
        mutated[at % mutated.byteLength] = byte;
        commandDecode(mutated);
        const longer = new Uint8Array(encoded.byteLength + 1);
        longer.set(encoded);
        expect(isCommandMalformed(commandDecode(longer))).toBe(true);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        commandDecode(garbage);
        const binary = new Uint8Array([commandMagic, ...garbage]);
        const decoded = commandDecode(binary);
        expect(decoded).not.toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses an unknown layout version, operation code or a negative zero", () => {
    const base = commandEncode({
      clientId: "c" as ClientId,
      sequence: 1,
      logTimeMs: 1,
      operation: { structure: "atomic-long", op: "add", name: "n", delta: 0 },
    });
    expect(toHex(base)).toBe("c1010163010106016e0000");
    const version = base.slice();
    version[1] = 2;
    expect(isCommandMalformed(commandDecode(version))).toBe(true);
    const op = base.slice();
    op[6] = 13;
    expect(isCommandMalformed(commandDecode(op))).toBe(true);
    const negativeZero = base.slice();
    negativeZero[9] = 1;
    expect(isCommandMalformed(commandDecode(negativeZero))).toBe(true);
    expect(isCommandMalformed(commandDecode(new Uint8Array([0x81, 0xa1, 0x63, 0x01])))).toBe(true);
  });
});
