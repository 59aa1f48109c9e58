// Goal: the wire codec carries every plain-data message unchanged, and never throws on a peer's
// bytes. Method: fast-check, 1,000 cases per property: decode(encode(m)) = m for arbitrary
// messages of every kind (also from a view at an offset in a larger buffer, and with the body
// overwritten after decoding, which proves decoded bytes are copies); random bytes, random bytes
// behind a valid header, mutated and truncated valid bodies all return a value and never throw,
// and whatever the decoder accepts the encoder accepts too (a member can forward what it
// received). Hand-built bodies cover every header check (each unknown version and kind byte, bad
// flags, group rules), the frame size limit at its boundary, and every msgpack extension that
// would smuggle a non-plain value (Date, bigint, NaN, typed arrays, undefined, deep nesting).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../src/lib/assert.js";
import {
  binaryPayloadMagic,
  type DecodeResult,
  headerBytesWithGroup,
  headerBytesWithoutGroup,
  isPlainData,
  messageKindCode,
  messageKindGroupRules,
  messageKindPayloadForms,
  messageKinds,
  payloadDepthMax,
  peekEnvelope,
  WireCodec,
  type WireMessage,
  wireVersion,
} from "../../src/protocol/wire/index.js";
import { groupId } from "../../src/types.js";
import { wireMessage, wireValue } from "./arbitraries.js";

const cases = 1000;
const codec = new WireCodec({ frameBytesMax: 1 << 20 });

function encodeOk(message: WireMessage<unknown>, using: WireCodec = codec): Uint8Array {
  const result = using.encode(message);
  if (result.kind !== "ok") throw new Error(`encode: ${JSON.stringify(result)}`);
  return result.body;
}

/** Decodes, failing the test on a throw (the decoder must never throw). */
function decodeSafely(body: Uint8Array): DecodeResult {
  try {
    return codec.decode(body);
  } catch (error) {
    throw new Error(`decode threw on ${Buffer.from(body).toString("hex")}: ${error}`);
  }
}

/** A body from a header and raw payload bytes. */
function body(version: number, code: number, flags: number, rest: readonly number[]): Uint8Array {
  return Uint8Array.from([version, code, flags, ...rest]);
}

const swimCode = messageKindCode("swim");
const raftCode = messageKindCode("raft");

/** The decoder accepted it, or said why not; anything it accepts must be encodable again. */
function expectTotal(result: DecodeResult): void {
  expect(["ok", "bad-frame"]).toContain(result.kind);
  if (result.kind === "ok") {
    expect(isPlainData(result.message.payload, "decode")).toBe(true);
    expect(codec.encode(result.message).kind).toBe("ok");
  }
}

describe("wire codec: round trips", () => {
  it("decodes what it encodes, for arbitrary messages of every kind", () => {
    fc.assert(
      fc.property(wireMessage, (message) => {
        const encoded = encodeOk(message);
        const decoded = codec.decode(encoded);
        expect(decoded).toStrictEqual({ kind: "ok", message });
      }),
      { numRuns: cases },
    );
  });

  it("decodes from a view inside a larger buffer, and copies bytes out of it", () => {
    // Bytes-form payloads are views of the body by design (next test): MessagePack kinds only.
    const msgpackMessage = wireMessage.filter(
      (message) => messageKindPayloadForms[message.kind] === "msgpack",
    );
    fc.assert(
      fc.property(msgpackMessage, fc.nat(64), fc.nat(64), (message, before, after) => {
        const encoded = encodeOk(message);
        const buffer = new Uint8Array(before + encoded.byteLength + after).fill(0xc1);
        buffer.set(encoded, before);
        const view = buffer.subarray(before, before + encoded.byteLength);
        const decoded = codec.decode(view);
        buffer.fill(0xff); // The receive buffer is reused: the message must not change with it.
        expect(decoded).toStrictEqual({ kind: "ok", message });
      }),
      { numRuns: cases },
    );
  });

  it("hands a bytes-form payload back as a plain view of the body, without a copy", () => {
    const payload = Uint8Array.of(0xc1, 1, 2, 3);
    const body = Buffer.from(encodeOk({ version: wireVersion, kind: "raft-batch", payload }));
    const decoded = codec.decode(body);
    if (decoded.kind !== "ok" || !(decoded.message.payload instanceof Uint8Array)) throw new Error("decode");
    const view = decoded.message.payload;
    expect(Object.getPrototypeOf(view)).toBe(Uint8Array.prototype);
    expect([...view]).toEqual([...payload]);
    body[headerBytesWithoutGroup] = 0x77; // The same memory: the caller hands the body over.
    expect(view[0]).toBe(0x77);
  });

  it("decodes a Buffer body into plain Uint8Array bytes", () => {
    const message: WireMessage = {
      version: wireVersion,
      kind: "swim",
      payload: { data: Uint8Array.of(1, 2, 3) },
    };
    const decoded = codec.decode(Buffer.from(encodeOk(message)));
    expect(decoded).toStrictEqual({ kind: "ok", message });
    if (decoded.kind === "ok") {
      const data = (decoded.message.payload as { data: Uint8Array }).data;
      expect(Object.getPrototypeOf(data)).toBe(Uint8Array.prototype);
    }
  });

  it("sends a Buffer as bytes, and -0 as 0", () => {
    const sent = {
      version: wireVersion,
      kind: "swim",
      payload: { data: Buffer.from([7, 8]), zero: -0 },
    } as const;
    const decoded = codec.decode(encodeOk(sent));
    expect(decoded).toStrictEqual({
      kind: "ok",
      message: { version: wireVersion, kind: "swim", payload: { data: Uint8Array.of(7, 8), zero: 0 } },
    });
  });

  it("encodes equal messages to equal bytes", () => {
    fc.assert(
      fc.property(wireMessage, (message) => {
        const copy = structuredClone(message);
        expect(Buffer.from(encodeOk(copy)).equals(encodeOk(message))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("wire codec: bad frames never throw", () => {
  it("returns a value for random bytes, with or without a valid header", () => {
    const header = fc.tuple(fc.constantFrom(...messageKinds), fc.boolean()).map(([kind, hasGroup]) => {
      const code = messageKindCode(kind);
      return hasGroup ? [wireVersion, code, 1, 0, 0, 0, 9] : [wireVersion, code, 0];
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(header), (bytes, prefix) => {
        const input = prefix === null ? bytes : Uint8Array.from([...prefix, ...bytes]);
        expectTotal(decodeSafely(input));
      }),
      { numRuns: cases * 3 },
    );
  });

  it("returns a value for mutated bodies, and keeps decoding good ones afterwards", () => {
    const mutation = fc.record({ index: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.nat(2) });
    fc.assert(
      fc.property(wireMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (message, mutations) => {
        const bytes = [...encodeOk(message)];
        for (const { index, byte, op } of mutations) {
          const at = index % (bytes.length + 1);
          if (op === 0) bytes[Math.min(at, bytes.length - 1)] = byte;
          else if (op === 1) bytes.splice(at, 0, byte);
          else bytes.splice(at, 1);
        }
        expectTotal(decodeSafely(Uint8Array.from(bytes)));
        // A failed decode must leave no state behind in msgpackr that spoils the next one.
        expect(codec.decode(encodeOk(message))).toStrictEqual({ kind: "ok", message });
      }),
      { numRuns: cases },
    );
  });

  it("refuses strict prefixes of a valid body (every header length, then sampled cuts)", () => {
    // Every prefix of a long body would cost thousands of thrown errors per case; the header
    // lengths plus 24 random cuts per body cover the same ground in 1,000 cases. A payload of
    // "bytes" form has no length of its own: its core's decoder refuses a cut one
    // (test/runtime/raft_batch_codec.test.ts), so only MessagePack kinds are cut here.
    const msgpackMessage = wireMessage.filter(
      (message) => messageKindPayloadForms[message.kind] === "msgpack",
    );
    fc.assert(
      fc.property(msgpackMessage, fc.array(fc.nat(), { maxLength: 24 }), (message, cuts) => {
        const encoded = encodeOk(message);
        const lengths = [
          0,
          1,
          2,
          3,
          4,
          5,
          6,
          7,
          8,
          encoded.byteLength - 1,
          ...cuts.map((cut) => cut % encoded.byteLength),
        ];
        const accepted = lengths
          .filter((length) => length < encoded.byteLength)
          .filter((length) => decodeSafely(encoded.subarray(0, length)).kind !== "bad-frame");
        expect(accepted).toEqual([]);
      }),
      { numRuns: cases },
    );
  });

  it("refuses length fields that claim more than the body holds, without allocating them", () => {
    // bin8 of 5 with 3 bytes, str of 5 with 3, array16 of 5 with 2, map16 of 2 with 1, a short
    // bin inside an array, and 32-bit counts of 4 billion for an array, a map and a bin.
    for (const hex of [
      "c405010203",
      "a5616263",
      "dc0005c0c0",
      "de0002a161c0",
      "92c405010203",
      "ddffffffff",
      "dfffffffff",
      "c6ffffffff00",
    ]) {
      const result = codec.decode(body(wireVersion, swimCode, 0, [...Buffer.from(hex, "hex")]));
      expect(result, hex).toMatchObject({ kind: "bad-frame", reason: "bad-payload" });
    }
  });

  it("refuses trailing bytes after the payload", () => {
    const encoded = encodeOk({ version: wireVersion, kind: "swim", payload: [1, 2] });
    const result = codec.decode(Uint8Array.from([...encoded, 0x01]));
    expect(result).toMatchObject({ kind: "bad-frame", reason: "bad-payload" });
  });
});

describe("wire codec: header checks", () => {
  it("refuses every version byte but the current one", () => {
    for (let version = 0; version < 256; version++) {
      if (version === wireVersion) continue;
      expect(codec.decode(body(version, swimCode, 0, [0xc0]))).toMatchObject({ reason: "unknown-version" });
    }
    expect(codec.decode(body(wireVersion, swimCode, 0, [0xc0]))).toMatchObject({ kind: "ok" });
  });

  it("refuses every kind byte outside the list, and maps the list both ways", () => {
    const known = new Set(messageKinds.map(messageKindCode));
    expect([...known].sort((a, b) => a - b)).toEqual(messageKinds.map((_, i) => i + 1));
    for (let code = 0; code < 256; code++) {
      if (known.has(code)) continue;
      expect(codec.decode(body(wireVersion, code, 0, [0xc0]))).toMatchObject({ reason: "unknown-kind" });
    }
  });

  it("refuses unknown flag bits, a missing group and an unexpected group", () => {
    for (let flags = 2; flags < 256; flags++) {
      expect(codec.decode(body(wireVersion, swimCode, flags, [0xc0]))).toMatchObject({ reason: "bad-flags" });
    }
    for (const kind of messageKinds) {
      const code = messageKindCode(kind);
      const rule = messageKindGroupRules[kind];
      const without = codec.decode(body(wireVersion, code, 0, [0xc0]));
      const withGroup = codec.decode(body(wireVersion, code, 1, [0, 0, 1, 2, 0xc0]));
      expect(without.kind === "ok" ? "ok" : without.reason).toBe(
        rule === "required" ? "group-missing" : "ok",
      );
      expect(withGroup.kind === "ok" ? "ok" : withGroup.reason).toBe(
        rule === "forbidden" ? "group-unexpected" : "ok",
      );
      if (withGroup.kind === "ok") expect(withGroup.message.group).toBe(258);
    }
  });

  it("peeks at kind and group without decoding the payload", () => {
    fc.assert(
      fc.property(wireMessage, (message) => {
        const peeked = peekEnvelope(encodeOk(message));
        expect(peeked).toMatchObject({ kind: "ok", messageKind: message.kind, group: message.group ?? null });
      }),
      { numRuns: 200 },
    );
    expect(peekEnvelope(body(wireVersion, raftCode, 1, [0, 0, 0, 7, 0xc1]))).toMatchObject({
      kind: "ok",
      group: 7,
    });
    expect(peekEnvelope(body(9, raftCode, 1, []))).toMatchObject({
      kind: "bad-frame",
      reason: "unknown-version",
    });
  });

  it("refuses bodies too short for their header or without a payload", () => {
    for (const bytes of [[], [wireVersion], [wireVersion, swimCode], [wireVersion, swimCode, 0]]) {
      expect(codec.decode(Uint8Array.from(bytes))).toMatchObject({ kind: "bad-frame", reason: "too-short" });
    }
    expect(codec.decode(body(wireVersion, raftCode, 1, [0, 0, 1]))).toMatchObject({ reason: "too-short" });
    expect(codec.decode(body(wireVersion, raftCode, 1, [0, 0, 0, 1]))).toMatchObject({ reason: "too-short" });
    expect(headerBytesWithoutGroup).toBe(3);
    expect(headerBytesWithGroup).toBe(7);
  });
});

describe("wire codec: the frame size limit", () => {
  // frameBytesMax counts the transport's 4-byte length prefix: bodies may hold 60 bytes here.
  const small = new WireCodec({ frameBytesMax: 64 });
  const fill = (length: number): WireMessage => ({
    version: wireVersion,
    kind: "swim",
    payload: "x".repeat(length),
  });

  it("encodes a body of exactly bodyBytesMax and refuses one byte more", () => {
    expect(small.bodyBytesMax).toBe(60);
    // Header 3 bytes, then a str8 of n characters costs n + 2: 3 + 55 + 2 = 60.
    const fits = small.encode(fill(55));
    expect(fits.kind === "ok" && fits.body.byteLength).toBe(60);
    expect(small.encode(fill(56))).toEqual({ kind: "too-large", bodyBytes: 61, bodyBytesMax: 60 });
    if (fits.kind === "ok") expect(small.decode(fits.body)).toStrictEqual({ kind: "ok", message: fill(55) });
  });

  it("refuses an oversized body before parsing it", () => {
    const big = encodeOk(fill(1000));
    expect(small.decode(big)).toMatchObject({ kind: "bad-frame", reason: "too-large" });
    expect(small.decode(new Uint8Array(61))).toMatchObject({ kind: "bad-frame", reason: "too-large" });
  });

  it("refuses a limit too small for any frame", () => {
    expect(() => new WireCodec({ frameBytesMax: 11 })).toThrow(AssertionError);
  });
});

describe("wire codec: plain data only", () => {
  const decodeHex = (hex: string) =>
    codec.decode(body(wireVersion, swimCode, 0, [...Buffer.from(hex, "hex")]));

  it("refuses msgpack values that are not plain data", () => {
    const smuggled: [string, string][] = [
      ["d6ff00000001", "timestamp extension (Date)"],
      ["cfffffffffffffffff", "uint64 beyond 2^53 (bigint)"],
      ["cb7ff8000000000000", "NaN"],
      ["cb7ff0000000000000", "Infinity"],
      ["d40000", "undefined"],
      ["81a161d40000", "undefined field"],
      ["c70374030100", "Int16Array extension"],
      ["c7097408000000000000f83f", "Float64Array extension"],
      ["d473009101", "Set extension"],
      ["d4650093a54572726f72a178d40000", "Error extension"],
      ["d4780092a27265a167", "RegExp extension"],
    ];
    for (const [hex, what] of smuggled) {
      const result = decodeHex(hex);
      expect(result.kind, what).toBe("bad-frame");
      expect(["not-plain", "bad-payload"], what).toContain(
        result.kind === "bad-frame" ? result.reason : "ok",
      );
    }
  });

  it("decodes invalid UTF-8 (CESU-8 surrogates) to replacement characters, never to lone surrogates", () => {
    for (const hex of ["a3eda080", "a3edb080", "a6eda080edb080", "a2c0af"]) {
      const result = decodeHex(hex);
      expect(result.kind).toBe("ok");
      if (result.kind === "ok") expect(/\p{Cs}/u.test(result.message.payload as string)).toBe(false);
    }
  });

  it("refuses nesting deeper than payloadDepthMax, and survives nesting that overflows the stack", () => {
    const nested = (depth: number) => "91".repeat(depth) + "c0";
    expect(decodeHex(nested(payloadDepthMax - 1)).kind).toBe("ok");
    expect(decodeHex(nested(payloadDepthMax + 1))).toMatchObject({ kind: "bad-frame", reason: "not-plain" });
    const deep = codec.decode(body(wireVersion, swimCode, 0, new Array(500_000).fill(0x91)));
    expect(deep).toMatchObject({ kind: "bad-frame", reason: "bad-payload" });
    expect(codec.decode(encodeOk({ version: wireVersion, kind: "swim", payload: 1 })).kind).toBe("ok");
  });

  it("cannot be made to pollute a prototype with a __proto__ key", () => {
    // {"__proto__": {"polluted": true}}
    const result = decodeHex("81a95f5f70726f746f5f5f81a8706f6c6c75746564c3");
    expect(result.kind).toBe("ok");
    if (result.kind === "ok") expect(Object.getPrototypeOf(result.message.payload)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("asserts on a caller that encodes anything but plain data, or breaks the envelope", () => {
    class Point {
      x = 1;
    }
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const payloads: unknown[] = [
      { a: undefined },
      new Map([[1, 2]]),
      new Date(0),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      10n,
      JSON.parse('{"__proto__": 1}'),
      sparse,
      new Point(),
      new Uint16Array(2),
      "\ud800",
      { "\udc00": 1 },
      () => 1,
      Symbol("s"),
    ];
    for (const payload of payloads) {
      expect(() => codec.encode({ version: wireVersion, kind: "swim", payload })).toThrow(AssertionError);
    }
    const envelopes: WireMessage<unknown>[] = [
      { version: wireVersion, kind: "raft", payload: null },
      { version: wireVersion, kind: "swim", group: groupId(1), payload: null },
      { version: wireVersion, kind: "raft", group: groupId(-1), payload: null },
      { version: wireVersion, kind: "raft", group: groupId(2 ** 32), payload: null },
      { version: 2 as typeof wireVersion, kind: "swim", payload: null },
      { version: wireVersion, kind: "gossip" as "swim", payload: null },
    ];
    for (const envelope of envelopes) expect(() => codec.encode(envelope)).toThrow(AssertionError);
    // The plain-data walk is a check on our own code: a codec may turn it off (production does).
    const unchecked = new WireCodec({ frameBytesMax: 1 << 20, verify: false });
    expect(unchecked.encode({ version: wireVersion, kind: "swim", payload: [1, 2] }).kind).toBe("ok");
    expect(() => unchecked.encode({ version: wireVersion, kind: "swim", payload: 10n })).not.toThrow();
    // A bytes payload is never empty: the decoder would refuse the body.
    const empty = { version: wireVersion, kind: "raft-batch", payload: new Uint8Array(0) } as const;
    expect(() => codec.encode(empty)).toThrow(AssertionError);
  });

  it("gives every body bytes of its own, though MessagePack bodies share msgpackr's buffer", () => {
    fc.assert(
      fc.property(fc.array(wireMessage, { minLength: 2, maxLength: 8 }), (messages) => {
        const bodies = messages.map((message) => encodeOk(message));
        const last = bodies.pop() as Uint8Array;
        for (const body of bodies) body.fill(0xff);
        expect(codec.decode(last)).toStrictEqual({ kind: "ok", message: messages[messages.length - 1] });
      }),
      { numRuns: 200 },
    );
  });

  it("carries a bytes-form payload as it is, and packs any other value as MessagePack", () => {
    const kinds = messageKinds.filter((kind) => messageKindPayloadForms[kind] === "bytes");
    expect(kinds).toEqual(["raft-batch"]);
    const payload = Uint8Array.of(0xc1, 1, 2, 3);
    const body = encodeOk({ version: wireVersion, kind: "raft-batch", payload });
    expect([...body]).toEqual([wireVersion, messageKindCode("raft-batch"), 0, 0xc1, 1, 2, 3]);
    // The legacy form: a plain value is packed, and comes back as its MessagePack bytes.
    const legacy = encodeOk({ version: wireVersion, kind: "raft-batch", payload: [7] });
    expect(codec.decode(legacy)).toStrictEqual({
      kind: "ok",
      message: { version: wireVersion, kind: "raft-batch", payload: Uint8Array.of(0x91, 7) },
    });
  });

  it("carries a binary-or-msgpack payload as bytes when it starts with the magic byte, else as MessagePack", () => {
    const kinds = messageKinds.filter((kind) => messageKindPayloadForms[kind] === "binary-or-msgpack");
    expect(kinds).toEqual(["client-request", "client-response"]);
    for (const kind of kinds) {
      const payload = Uint8Array.of(binaryPayloadMagic, 1, 2);
      const body = encodeOk({ version: wireVersion, kind, payload });
      expect([...body]).toEqual([wireVersion, messageKindCode(kind), 0, binaryPayloadMagic, 1, 2]);
      expect(codec.decode(body)).toStrictEqual({
        kind: "ok",
        message: { version: wireVersion, kind, payload },
      });
      // Bytes without the magic byte, and any other value, are one MessagePack value.
      for (const value of [Uint8Array.of(7, 1), { type: "routing", requestId: 3 }]) {
        const packed = encodeOk({ version: wireVersion, kind, payload: value });
        expect(packed[3]).not.toBe(binaryPayloadMagic);
        expect(codec.decode(packed)).toStrictEqual({
          kind: "ok",
          message: { version: wireVersion, kind, payload: value },
        });
      }
    }
  });

  it("accepts what plain data allows, at any depth up to the limit", () => {
    fc.assert(
      fc.property(wireValue, (payload) => {
        expect(isPlainData(payload, "encode")).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
