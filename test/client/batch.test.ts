// Goal: request batching (pipelining) keeps per-request semantics, and a member applies a retried AP
// write once. A batch of requests and a batch of
// responses survive the wire codec unchanged, and the member's check gives back exactly the requests
// sent; the limits hold (a batch over batchOperationsMax is refused request by request, a nested or
// empty batch is bad input); the member's client service answers a batch mixing good and bad requests
// with one answer per request, in one frame; and the client's channel puts the requests of one turn
// in as few frames as the per-frame count and byte limits allow, every request answered. Method:
// fast-check properties over arbitrary operations through WireCodec and clientPayloadCheck; a
// ClientService on a fake host that records every frame it sends; a real Channel against a fake
// member on 127.0.0.1 (a real TcpTransport with the cluster handshake) that records each frame's
// request count and bytes and answers every request.

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Channel, pipelineFrameRequests } from "../../src/client/channel.js";
import { limitsDefault } from "../../src/limits.js";
import type { TcpTransport } from "../../src/platform/node/index.js";
import type {
  ClientRequest,
  ClientRequestPayload,
  ClientResponse,
  ClientResponsePayload,
} from "../../src/protocol/client/messages.js";
import type { Operation } from "../../src/protocol/client/operations.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import { clientPayloadCheck } from "../../src/runtime/client_request.js";
import { apSessionsMax } from "../../src/runtime/client_service.js";
import type { Address } from "../../src/types.js";
import { serviceWithFakeHost } from "./fake_host.js";
import { fakeMemberTransport, overTheWire, requestPayloadOf } from "./fake_transport.js";

const limits = limitsDefault();
const codec = new WireCodec({ frameBytesMax: limits.frameBytesMax });

const text = fc.string({ minLength: 1, maxLength: 20 });
const integer = fc.integer({ min: -1_000_000, max: 1_000_000 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ structure: fc.constant("counter"), op: fc.constant("add"), name: text, delta: integer }),
  fc.record({ structure: fc.constant("counter"), op: fc.constant("get"), name: text }),
  fc.record({ structure: fc.constant("set"), op: fc.constant("add"), name: text, element: text }),
  fc.record({
    structure: fc.constant("map"),
    op: fc.constant("put"),
    name: text,
    key: text,
    value: fc.uint8Array({ minLength: 0, maxLength: 64 }),
  }),
  fc.record({
    structure: fc.constant("map"),
    op: fc.constant("cas"),
    name: text,
    key: text,
    expected: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }),
    value: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }),
  }),
  fc.record({ structure: fc.constant("atomic-long"), op: fc.constant("add"), name: text, delta: integer }),
) as fc.Arbitrary<Operation>;

const request: fc.Arbitrary<ClientRequest> = fc.oneof(
  fc.record({
    type: fc.constant("operation" as const),
    requestId: fc.nat(),
    clientId: text,
    sequence: fc.integer({ min: 1, max: 2 ** 40 }),
    timeoutMs: fc.integer({ min: 1, max: 60_000 }),
    operation,
  }),
  fc.record({ type: fc.constant("routing" as const), requestId: fc.nat() }),
);

const response: fc.Arbitrary<ClientResponse> = fc.oneof(
  fc.record({
    type: fc.constant("result" as const),
    requestId: fc.nat(),
    result: fc.oneof(fc.constant(null), fc.boolean(), integer, fc.uint8Array({ maxLength: 32 })),
  }),
  fc.record({
    type: fc.constant("error" as const),
    requestId: fc.nat(),
    code: fc.constantFrom("NOT_LEADER", "TIMEOUT", "BAD_INPUT" as const),
    message: fc.string({ maxLength: 40 }),
  }),
);

describe("batch wire format", () => {
  it("a request batch round-trips through the codec, and the member's check gives back every request", () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 40 }), (requests) => {
        const payload: ClientRequestPayload = { type: "batch", requests };
        const decoded = overTheWire(codec, { version: 1, kind: "client-request", payload });
        expect(decoded).toEqual(payload);
        const checked = clientPayloadCheck(decoded, limits);
        expect(checked.kind).toBe("batch");
        if (checked.kind !== "batch") return;
        expect(checked.checks.map((c) => (c.kind === "ok" ? c.request : c))).toEqual(requests);
      }),
      { numRuns: 200 },
    );
  });

  it("a response batch round-trips through the codec", () => {
    fc.assert(
      fc.property(fc.array(response, { minLength: 1, maxLength: 40 }), (responses) => {
        const payload: ClientResponsePayload = { type: "batch", responses };
        expect(overTheWire(codec, { version: 1, kind: "client-response", payload })).toEqual(payload);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses every request of a batch over batchOperationsMax, each under its own id", () => {
    const small = { ...limits, batchOperationsMax: 3 };
    const requests = [1, 2, 3, 4].map((requestId) => ({ type: "routing", requestId }));
    const checked = clientPayloadCheck({ type: "batch", requests }, small);
    expect(checked.kind).toBe("batch");
    if (checked.kind !== "batch") return;
    expect(checked.checks.map((c) => (c.kind === "bad" ? [c.requestId, c.code] : c.kind))).toEqual([
      [1, "LIMIT_EXCEEDED"],
      [2, "LIMIT_EXCEEDED"],
      [3, "LIMIT_EXCEEDED"],
      [4, "LIMIT_EXCEEDED"],
    ]);
    // At the limit, all pass.
    const atLimit = clientPayloadCheck({ type: "batch", requests: requests.slice(0, 3) }, small);
    expect(atLimit.kind === "batch" && atLimit.checks.every((c) => c.kind === "ok")).toBe(true);
  });

  it("calls a nested batch bad input, and an empty or malformed batch one bad request", () => {
    const nested = clientPayloadCheck(
      { type: "batch", requests: [{ type: "batch", requestId: 5, requests: [] }] },
      limits,
    );
    expect(nested.kind === "batch" && nested.checks[0]).toMatchObject({
      kind: "bad",
      requestId: 5,
      code: "BAD_INPUT",
    });
    for (const requests of [[], "x", null]) {
      const checked = clientPayloadCheck({ type: "batch", requests }, limits);
      expect(checked).toMatchObject({ kind: "single", check: { kind: "bad", code: "BAD_INPUT" } });
    }
  });
});

describe("client service batches", () => {
  it("answers a batch of good and bad requests one answer per request, in one frame", () => {
    const { service, frames } = serviceWithFakeHost();
    const add = (requestId: number, name: string) => ({
      type: "operation",
      requestId,
      clientId: "c/1",
      sequence: requestId,
      timeoutMs: 1_000,
      operation: { structure: "counter", op: "add", name, delta: 1 },
    });
    const requests = [
      add(1, "a"),
      add(2, ""), // bad: empty name
      { type: "routing", requestId: 3 },
      { ...add(4, "b"), sequence: 0 }, // bad: sequence below 1
      { type: "operation", clientId: "c/1" }, // bad and without an id: nothing to answer
      add(5, "c"),
    ];
    service.request("127.0.0.1:9" as Address, { type: "batch", requests });
    expect(frames).toHaveLength(1);
    const payload = frames[0]!.payload as ClientResponsePayload;
    expect(payload.type).toBe("batch");
    if (payload.type !== "batch") return;
    const byId = new Map(payload.responses.map((r) => [r.requestId, r]));
    expect([...byId.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(byId.get(1)).toEqual({ type: "result", requestId: 1, result: 1 });
    expect(byId.get(5)).toEqual({ type: "result", requestId: 5, result: 2 });
    expect(byId.get(2)).toMatchObject({ type: "error", code: "BAD_INPUT" });
    expect(byId.get(4)).toMatchObject({ type: "error", code: "BAD_INPUT" });
    expect(byId.get(3)?.type).toBe("routing");
  });

  it("answers a single request with a single response, as before batches", () => {
    const { service, frames } = serviceWithFakeHost();
    service.request("127.0.0.1:9" as Address, {
      type: "operation",
      requestId: 11,
      clientId: "c/1",
      sequence: 1,
      timeoutMs: 1_000,
      operation: { structure: "counter", op: "add", name: "a", delta: 1 },
    });
    expect(frames.map((f) => f.payload)).toEqual([{ type: "result", requestId: 11, result: 1 }]);
  });

  it("applies a retried AP write once per member: the retry gets the first answer, an older sequence is refused", () => {
    const { service, frames, applied } = serviceWithFakeHost();
    const send = (requestId: number, clientId: string, sequence: number, op: "add" | "get" = "add") =>
      service.request("127.0.0.1:9" as Address, {
        type: "operation",
        requestId,
        clientId,
        sequence,
        timeoutMs: 1_000,
        operation:
          op === "add"
            ? { structure: "counter", op, name: "a", delta: 1 }
            : { structure: "counter", op, name: "a" },
      });
    send(1, "s/1", 1);
    send(2, "s/1", 1); // The retry of a write whose answer was lost.
    send(3, "s/2", 1); // Another session's first write.
    send(4, "s/1", 2);
    send(5, "s/1", 1); // A stray duplicate of an older write.
    send(6, "s/1", 3, "get"); // Reads are never remembered nor refused.
    send(7, "s/1", 3);
    expect(applied()).toBe(4);
    expect(frames.map((f) => f.payload)).toEqual([
      { type: "result", requestId: 1, result: 1 },
      { type: "result", requestId: 2, result: 1 },
      { type: "result", requestId: 3, result: 2 },
      { type: "result", requestId: 4, result: 3 },
      {
        type: "error",
        requestId: 5,
        code: "BAD_INPUT",
        message: "a newer request of this session was applied already",
      },
      { type: "result", requestId: 6, result: 7 },
      { type: "result", requestId: 7, result: 4 },
    ]);
  });

  it("remembers at most apSessionsMax sessions, forgetting the oldest first", () => {
    const { service, applied } = serviceWithFakeHost();
    const add = (clientId: string) =>
      service.request("127.0.0.1:9" as Address, {
        type: "operation",
        requestId: 1,
        clientId,
        sequence: 1,
        timeoutMs: 1_000,
        operation: { structure: "counter", op: "add", name: "a", delta: 1 },
      });
    for (let i = 0; i <= apSessionsMax; i++) add(`s/${i}`);
    expect(applied()).toBe(apSessionsMax + 1);
    add(`s/${apSessionsMax}`); // Still remembered: not applied again.
    expect(applied()).toBe(apSessionsMax + 1);
    add("s/0"); // The oldest, forgotten: applied again.
    expect(applied()).toBe(apSessionsMax + 2);
  });
});

describe("client channel batching", () => {
  let member: TcpTransport | null = null;
  let channel: Channel | null = null;

  afterEach(async () => {
    await channel?.close();
    await member?.closeAndWait();
    channel = null;
    member = null;
  });

  /** A fake member answering every request with its id; records each frame's request count and bytes. */
  async function answeringMember(frames: { count: number; bytes: number }[]): Promise<TcpTransport> {
    const transport = await fakeMemberTransport("batch-secret", 3);
    const memberCodec = new WireCodec({ frameBytesMax: limits.frameBytesMax });
    transport.onFrame((from, frame) => {
      const decoded = memberCodec.decode(frame);
      if (decoded.kind !== "ok") return;
      const payload = requestPayloadOf(decoded.message.payload);
      const requests = payload.type === "batch" ? payload.requests : [payload];
      frames.push({ count: requests.length, bytes: frame.byteLength });
      const responses = requests.map((r) => ({
        type: "result",
        requestId: r.requestId,
        result: r.requestId,
      }));
      const encoded = memberCodec.encode({
        version: 1,
        kind: "client-response",
        payload: { type: "batch", responses },
      });
      if (encoded.kind === "ok") transport.send(from, encoded.body);
    });
    return transport;
  }

  async function requestAll(count: number, valueBytes: number): Promise<(ClientResponse | null)[]> {
    const target = member!.localAddress;
    const answers = Array.from({ length: count }, () => {
      const requestId = channel!.nextRequestId();
      const operation: Operation = {
        structure: "map",
        op: "put",
        name: "m",
        key: `k${requestId}`,
        value: new Uint8Array(valueBytes),
      };
      const request: ClientRequest = {
        type: "operation",
        requestId,
        clientId: "c/1",
        sequence: 1,
        timeoutMs: 1_000,
        operation,
      };
      return channel!.request(target, request, 5_000);
    });
    return Promise.all(answers);
  }

  it("sends one turn's requests in frames of at most requestsPerFrameMax, every one answered", async () => {
    const frames: { count: number; bytes: number }[] = [];
    member = await answeringMember(frames);
    const secret = new TextEncoder().encode("batch-secret");
    channel = await Channel.open({
      clusterName: "shoal",
      secret,
      frameBytesMax: limits.frameBytesMax,
      requestsPerFrameMax: 4,
    });
    const answers = await requestAll(10, 8);
    expect(answers.map((a) => (a?.type === "result" ? a.result : null))).toEqual(
      answers.map((_, i) => i + 1),
    );
    expect(frames.map((f) => f.count)).toEqual([4, 4, 2]);
    expect(channel.framesSent).toBe(3);
  });

  it("splits a turn of 64 requests to one member into three pipelined frames, every one answered", async () => {
    const frames: { count: number; bytes: number }[] = [];
    member = await answeringMember(frames);
    const secret = new TextEncoder().encode("batch-secret");
    channel = await Channel.open({ clusterName: "shoal", secret, frameBytesMax: limits.frameBytesMax });
    const answers = await requestAll(64, 8);
    expect(answers.map((a) => (a?.type === "result" ? a.result : null))).toEqual(
      answers.map((_, i) => i + 1),
    );
    expect(frames.map((f) => f.count)).toEqual([22, 22, 20]);
    // Fewer than two frames' worth stays whole.
    frames.length = 0;
    await requestAll(31, 8);
    expect(frames.map((f) => f.count)).toEqual([31]);
  });

  it("sizes pipelined frames: a third from 48 requests, a half from 32, whole below, capped per frame", () => {
    expect(pipelineFrameRequests(1, 1024)).toBe(1);
    expect(pipelineFrameRequests(31, 1024)).toBe(31);
    expect(pipelineFrameRequests(32, 1024)).toBe(16);
    expect(pipelineFrameRequests(47, 1024)).toBe(24);
    expect(pipelineFrameRequests(48, 1024)).toBe(16);
    expect(pipelineFrameRequests(64, 1024)).toBe(22);
    expect(pipelineFrameRequests(3000, 1024)).toBe(1000);
    expect(pipelineFrameRequests(64, 4)).toBe(4);
  });

  it("rejects a request to a malformed address with BadInputError, and still serves the others", async () => {
    const frames: { count: number; bytes: number }[] = [];
    member = await answeringMember(frames);
    const secret = new TextEncoder().encode("batch-secret");
    channel = await Channel.open({ clusterName: "shoal", secret, frameBytesMax: limits.frameBytesMax });
    const routing = (): ClientRequest => ({ type: "routing", requestId: channel!.nextRequestId() });
    const bad = channel.request("no-port" as Address, routing(), 1_000);
    const good = channel.request(member.localAddress, routing(), 1_000);
    await expect(bad).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect(await good).toMatchObject({ type: "result" });
  });

  it("splits a batch too large for one frame into frames that fit, every request answered", async () => {
    const frames: { count: number; bytes: number }[] = [];
    member = await answeringMember(frames);
    const frameBytesMax = 64 * 1024;
    const secret = new TextEncoder().encode("batch-secret");
    channel = await Channel.open({ clusterName: "shoal", secret, frameBytesMax });
    const answers = await requestAll(16, 10 * 1024);
    expect(answers.every((a) => a?.type === "result")).toBe(true);
    expect(frames.reduce((sum, f) => sum + f.count, 0)).toBe(16);
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) expect(frame.bytes + 4).toBeLessThanOrEqual(frameBytesMax);
  });
});
