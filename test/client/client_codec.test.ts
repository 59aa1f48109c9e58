// Goal: the binary client codec (runtime/client_codec.ts) carries every request and answer the
// MessagePack form carries, refuses exactly what the member's MessagePack check refuses with the
// same codes and messages, never throws on a peer's bytes, and leaves the MessagePack form readable
// on both sides; a member answers each client in the form the client spoke. Method: fast-check
// properties over arbitrary requests of every operation (fields of every kind, strings of any
// Unicode, lengths around small limits so LIMIT_EXCEEDED and BAD_INPUT paths are hit) and arbitrary
// answers of every result shape, through the WireCodec: the binary decode equals clientPayloadCheck
// of the same payload; answers round-trip; random bytes, every strict prefix and single-byte changes
// of valid payloads decode to a refusal or null without throwing; MessagePack payloads decode as
// before. A ClientService on a fake host shows the per-client answer form.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/errors.js";
import { limitsDefault } from "../../src/limits.js";
import type {
  ClientRequest,
  ClientRequestPayload,
  ClientResponse,
  ClientResponsePayload,
  ClientResult,
  RoutingTable,
} from "../../src/protocol/client/messages.js";
import type { Operation } from "../../src/protocol/client/operations.js";
import { binaryPayloadMagic, WireCodec } from "../../src/protocol/wire/index.js";
import { overTheWire } from "./fake_transport.js";
import {
  ClientRequestEncoder,
  ClientResponseEncoder,
  clientPayloadDecode,
  clientResponsesDecode,
  operationCodes,
} from "../../src/runtime/client_codec.js";
import { clientPayloadCheck, type FieldSpec, operationFields } from "../../src/runtime/client_request.js";
import type { Address } from "../../src/types.js";
import { serviceWithFakeHost } from "./fake_host.js";

const limits = limitsDefault();
/** Small limits, so arbitrary strings and bytes cross them often. */
const small = { ...limits, keyBytesMax: 12, valueBytesMax: 24, batchOperationsMax: 6 };
const codec = new WireCodec({ frameBytesMax: limits.frameBytesMax });
const requestEncoder = new ClientRequestEncoder();
const responseEncoder = new ClientResponseEncoder();
const runs = 300;

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ minLength: 30, maxLength: 40 }),
);
const safeInteger = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -(2 ** 52), max: 2 ** 52 - 1 }),
);
const bytes = fc.uint8Array({ maxLength: 32 });
const count = fc.oneof(fc.constant(0), fc.nat(100), fc.maxSafeNat());

function fieldValue(spec: FieldSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case "text":
      return text;
    case "integer":
      return safeInteger;
    case "bytes":
      return bytes;
    case "bytes-or-null":
      return fc.option(bytes, { nil: null });
  }
}

/** Any operation the layout has a code for, with fields of the right kinds and any values. */
const operation: fc.Arbitrary<Operation> = fc.oneof(
  ...operationCodes.map(([structure, op]) => {
    const fields = operationFields[structure]![op]!;
    const shape: Record<string, fc.Arbitrary<unknown>> = {
      structure: fc.constant(structure),
      op: fc.constant(op),
      name: text,
    };
    for (const field of fields) shape[field.field] = fieldValue(field);
    return fc.record(shape) as unknown as fc.Arbitrary<Operation>;
  }),
);

const request: fc.Arbitrary<ClientRequest> = fc.oneof(
  fc.record({
    type: fc.constant("operation" as const),
    requestId: count,
    clientId: fc.oneof(fc.constantFrom("c1", "c2"), text),
    sequence: count,
    timeoutMs: count,
    operation,
  }),
  fc.record({ type: fc.constant("routing" as const), requestId: count }),
);

const requestPayload: fc.Arbitrary<ClientRequestPayload> = fc.oneof(
  request,
  fc.array(request, { minLength: 1, maxLength: 9 }).map((requests) => ({ type: "batch" as const, requests })),
);

const routingTable: fc.Arbitrary<RoutingTable> = fc.record({
  partitionCount: fc.nat(64),
  members: fc.array(fc.record({ nodeId: text, clientAddress: text }), { maxLength: 4 }),
  leaders: fc.array(fc.option(text, { nil: null }), { maxLength: 8 }),
  replicas: fc.array(fc.array(text, { maxLength: 3 }), { maxLength: 8 }),
  version: fc.maxSafeNat(),
});

const result: fc.Arbitrary<ClientResult> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  safeInteger,
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0)),
  bytes,
  fc.array(text, { maxLength: 5 }),
  fc.record({ acquired: fc.constant(true as const), fence: fc.maxSafeNat(), expiresAtMs: fc.maxSafeNat() }),
  fc.record({ acquired: fc.constant(false as const), holderFence: fc.maxSafeNat() }),
  fc.record({ held: fc.boolean(), fence: fc.maxSafeNat() }),
);

const requestId = fc.oneof(fc.constant(-1), fc.nat(1000), fc.maxSafeNat());
const response: fc.Arbitrary<ClientResponse> = fc.oneof(
  fc.record({ type: fc.constant("result" as const), requestId, result }),
  fc.record({ type: fc.constant("routing" as const), requestId, table: routingTable }),
  fc.record(
    {
      type: fc.constant("error" as const),
      requestId,
      code: fc.constantFrom(...Object.values(ErrorCode)),
      message: text,
      leaderAddress: text,
    },
    { requiredKeys: ["type", "requestId", "code", "message"] },
  ),
);

const responsePayload: fc.Arbitrary<ClientResponsePayload> = fc.oneof(
  response,
  fc
    .array(response, { minLength: 1, maxLength: 9 })
    .map((responses) => ({ type: "batch" as const, responses })),
);

function requestBytes(payload: ClientRequestPayload): Uint8Array {
  const encoded = requestEncoder.encode(payload);
  if (encoded === null) throw new Error("the encoder refused a well-typed payload");
  return encoded.slice();
}

const malformed = { kind: "single", check: { kind: "bad", requestId: -1, code: "BAD_INPUT" } };

describe("binary client requests", () => {
  it("decode to exactly what the MessagePack check makes of the same payload, refusals included", () => {
    fc.assert(
      fc.property(requestPayload, fc.boolean(), (payload, smallLimits) => {
        const checkLimits = smallLimits ? small : limits;
        const binary = requestEncoder.encode(payload);
        expect(binary).not.toBeNull();
        const received = overTheWire(codec, { version: 1, kind: "client-request", payload: binary });
        expect(received).toBeInstanceOf(Uint8Array);
        expect(clientPayloadDecode(received, checkLimits)).toEqual(clientPayloadCheck(payload, checkLimits));
      }),
      { numRuns: runs },
    );
  });

  it("read a CP operation's bytes as views of the payload, with no copy before the command's", () => {
    const value = Uint8Array.of(1, 2, 3);
    const put: ClientRequest = {
      type: "operation",
      requestId: 1,
      clientId: "c/1",
      sequence: 1,
      timeoutMs: 100,
      operation: { structure: "map", op: "put", name: "m", key: "k", value },
    };
    const payload = requestBytes(put);
    const checked = clientPayloadDecode(payload, limits);
    if (checked.kind !== "single" || checked.check.kind !== "ok") throw new Error("a valid put is accepted");
    const request = checked.check.request;
    if (
      request.type !== "operation" ||
      request.operation.structure !== "map" ||
      request.operation.op !== "put"
    )
      throw new Error("a put decodes as a put");
    expect([...request.operation.value]).toEqual([1, 2, 3]);
    expect(request.operation.value.buffer).toBe(payload.buffer);
  });

  it("name the request ids of a batch over batchOperationsMax, each refused", () => {
    const requests = [4, 5, 6, 7].map((id): ClientRequest => ({ type: "routing", requestId: id }));
    const checked = clientPayloadDecode(requestBytes({ type: "batch", requests }), {
      ...limits,
      batchOperationsMax: 3,
    });
    const refusals = checked.kind === "batch" ? checked.checks : [];
    expect(refusals.map((c) => (c.kind === "bad" ? [c.requestId, c.code] : c.kind))).toEqual([
      [4, "LIMIT_EXCEEDED"],
      [5, "LIMIT_EXCEEDED"],
      [6, "LIMIT_EXCEEDED"],
      [7, "LIMIT_EXCEEDED"],
    ]);
  });

  it("are refused by the encoder when a field has a type or range it cannot carry", () => {
    const good = {
      type: "operation",
      requestId: 1,
      clientId: "c",
      sequence: 1,
      timeoutMs: 10,
      operation: { structure: "atomic-long", op: "add", name: "a", delta: 1 },
    };
    expect(requestEncoder.encode(good as ClientRequest)).not.toBeNull();
    const bad = [
      { ...good, requestId: -1 },
      { ...good, sequence: 1.5 },
      { ...good, clientId: 7 },
      { ...good, type: "batch" },
      { ...good, operation: { ...good.operation, delta: 2 ** 53 } },
      { ...good, operation: { ...good.operation, delta: "1" } },
      { ...good, operation: { ...good.operation, op: "multiply" } },
      { ...good, operation: { structure: "map", op: "put", name: "m", key: "k", value: "v" } },
      { ...good, operation: null },
    ];
    for (const payload of bad) {
      expect(requestEncoder.encode(payload as unknown as ClientRequest)).toBeNull();
      // The channel then sends MessagePack, and the member refuses it as it always did.
      const received = overTheWire(codec, { version: 1, kind: "client-request", payload });
      const checked = clientPayloadDecode(received, limits);
      expect(checked).toEqual(clientPayloadCheck(payload, limits));
      expect(checked).toMatchObject({ kind: "single", check: { kind: "bad", code: "BAD_INPUT" } });
    }
    expect(requestEncoder.encode({ type: "batch", requests: [] })).toBeNull();
  });

  it("never throw on random bytes, and refuse every strict prefix of a valid payload", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        const garbage = Uint8Array.of(binaryPayloadMagic, 1, ...tail);
        const checked = clientPayloadDecode(garbage, limits);
        expect(["single", "batch"]).toContain(checked.kind);
        expect(() => clientPayloadDecode(Uint8Array.of(binaryPayloadMagic, ...tail), limits)).not.toThrow();
      }),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(requestPayload, (payload) => {
        const encoded = requestBytes(payload);
        for (let length = 0; length < encoded.byteLength; length++)
          expect(clientPayloadDecode(encoded.subarray(0, length), limits)).toMatchObject(malformed);
      }),
      { numRuns: 100 },
    );
  });

  it("never throw on a valid payload with one byte changed", () => {
    fc.assert(
      fc.property(requestPayload, fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, at, delta) => {
        const encoded = requestBytes(payload);
        const index = at % encoded.byteLength;
        encoded[index] = (encoded[index]! + delta) & 0xff;
        const checked = clientPayloadDecode(encoded, small);
        expect(["single", "batch"]).toContain(checked.kind);
      }),
      { numRuns: runs },
    );
  });

  it("leave MessagePack requests of older clients readable, checked as before", () => {
    fc.assert(
      fc.property(requestPayload, (payload) => {
        const received = overTheWire(codec, { version: 1, kind: "client-request", payload });
        expect(received).not.toBeInstanceOf(Uint8Array);
        expect(clientPayloadDecode(received, small)).toEqual(clientPayloadCheck(payload, small));
      }),
      { numRuns: 100 },
    );
  });
});

describe("binary client responses", () => {
  it("round-trip through the wire codec, single and batched", () => {
    fc.assert(
      fc.property(responsePayload, (payload) => {
        const received = overTheWire(codec, {
          version: 1,
          kind: "client-response",
          payload: responseEncoder.encode(payload),
        });
        expect(received).toBeInstanceOf(Uint8Array);
        expect(clientResponsesDecode(received)).toEqual(payload);
      }),
      { numRuns: runs },
    );
  });

  it("decode to null, never throwing, on random bytes, strict prefixes and changed bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        expect(() => clientResponsesDecode(Uint8Array.of(binaryPayloadMagic, 1, ...tail))).not.toThrow();
      }),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(responsePayload, fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, at, delta) => {
        const encoded = responseEncoder.encode(payload).slice();
        for (let length = 0; length < encoded.byteLength; length++)
          expect(clientResponsesDecode(encoded.subarray(0, length))).toBeNull();
        const index = at % encoded.byteLength;
        encoded[index] = (encoded[index]! + delta) & 0xff;
        expect(() => clientResponsesDecode(encoded)).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it("read an unknown error code as INTERNAL, and refuse a routing table of the wrong shape", () => {
    const error = responseEncoder
      .encode({ type: "error", requestId: 1, code: "BAD_INPUT", message: "m" })
      .slice();
    expect(clientResponsesDecode(error)).toEqual({
      type: "error",
      requestId: 1,
      code: "BAD_INPUT",
      message: "m",
    });
    // "BAD_INPUT" -> "BAD_INPUX": same length, not a code (of this version).
    error[error.indexOf(0x54, 6)] = 0x58;
    expect(clientResponsesDecode(error)).toEqual({
      type: "error",
      requestId: 1,
      code: "INTERNAL",
      message: "BAD_INPUX: m",
    });
    const table = { partitionCount: 1, members: [{ nodeId: 1 }], leaders: [], replicas: [], version: 1 };
    const routing = responseEncoder.encode({
      type: "routing",
      requestId: 2,
      table: table as unknown as RoutingTable,
    });
    expect(clientResponsesDecode(routing)).toBeNull();
  });

  it("leave MessagePack answers of older members readable", () => {
    fc.assert(
      fc.property(responsePayload, (payload) => {
        const received = overTheWire(codec, { version: 1, kind: "client-response", payload });
        expect(clientResponsesDecode(received)).toEqual(payload);
      }),
      { numRuns: 100 },
    );
    expect(clientResponsesDecode(7)).toBeNull();
  });
});

describe("the member's answer form", () => {
  it("answers a binary client in the binary form and a MessagePack client in MessagePack", () => {
    const { service, frames } = serviceWithFakeHost();
    const add = (requestId: number): ClientRequest => ({
      type: "operation",
      requestId,
      clientId: "c",
      sequence: requestId,
      timeoutMs: 1_000,
      operation: { structure: "counter", op: "add", name: "n", delta: 1 },
    });
    const binaryClient = "127.0.0.1:7" as Address;
    const oldClient = "127.0.0.1:8" as Address;
    service.request(binaryClient, requestBytes({ type: "batch", requests: [add(1), add(2)] }));
    service.request(oldClient, { type: "batch", requests: [add(3), add(4)] });
    service.request(binaryClient, requestBytes(add(5)));
    expect(frames).toHaveLength(3);
    const [first, second, third] = frames.map((frame) => frame.payload);
    expect(first).toBeInstanceOf(Uint8Array);
    expect(clientResponsesDecode(first)).toEqual({
      type: "batch",
      responses: [
        { type: "result", requestId: 1, result: 1 },
        { type: "result", requestId: 2, result: 2 },
      ],
    });
    expect(second).toEqual({
      type: "batch",
      responses: [
        { type: "result", requestId: 3, result: 3 },
        { type: "result", requestId: 4, result: 4 },
      ],
    });
    expect(clientResponsesDecode(third)).toEqual({ type: "result", requestId: 5, result: 5 });
    // MessagePack bytes (no magic byte) are no request, answered in MessagePack as before.
    service.request(oldClient, Uint8Array.of(1, 2));
    expect(frames[3]?.payload).toMatchObject({ type: "error", requestId: -1, message: "not an object" });
    frames.splice(3);
    // A malformed binary payload is one bad request without an id, answered as before.
    service.request(binaryClient, Uint8Array.of(binaryPayloadMagic, 1, 9));
    expect(clientResponsesDecode(frames[3]?.payload)).toMatchObject({
      type: "error",
      requestId: -1,
      code: "BAD_INPUT",
    });
  });
});
