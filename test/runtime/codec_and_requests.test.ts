// Goal: the runtime's decoders of peer and client input never throw and refuse what is malformed
// or over a limit with the right typed code; its own encodings round-trip. Method: fast-check over
// arbitrary JSON-like values and over well-formed entries, plus hand-picked limit cases.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { limitsDefault } from "../../src/limits.js";
import type { Entry } from "../../src/protocol/raft/index.js";
import { replicationMessageValid } from "../../src/protocol/replication/index.js";
import { clientRequestCheck } from "../../src/runtime/client_request.js";
import { entryFromWal, entryToWal, raftBatchValid, raftMessageValid } from "../../src/runtime/codec.js";
import type { LogIndex, NodeId, Term } from "../../src/types.js";

const limits = limitsDefault();
const anyValue = fc.oneof(
  fc.anything(),
  fc.record({
    type: fc.constantFrom("operation", "routing", "x"),
    requestId: fc.integer(),
    operation: fc.anything(),
  }),
);

describe("clientRequestCheck", () => {
  it("never throws and always answers ok or a typed refusal", () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const check = clientRequestCheck(value, limits);
        if (check.kind === "bad") expect(["BAD_INPUT", "LIMIT_EXCEEDED"]).toContain(check.code);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts well-formed operations and routing requests", () => {
    const put = {
      type: "operation",
      requestId: 1,
      clientId: "c",
      sequence: 1,
      timeoutMs: 100,
      operation: { structure: "map", op: "put", name: "m", key: "k", value: new Uint8Array([1]) },
    };
    expect(clientRequestCheck(put, limits).kind).toBe("ok");
    expect(clientRequestCheck({ type: "routing", requestId: 3 }, limits)).toEqual({
      kind: "ok",
      request: { type: "routing", requestId: 3 },
    });
    const add = { ...put, operation: { structure: "atomic-long", op: "add", name: "n", delta: 2 } };
    expect(clientRequestCheck(add, limits).kind).toBe("ok");
  });

  it("refuses over-limit keys and values with LIMIT_EXCEEDED, bad shapes with BAD_INPUT", () => {
    const base = { type: "operation", requestId: 5, clientId: "c", sequence: 1, timeoutMs: 100 };
    const longKey = "k".repeat(limits.keyBytesMax + 1);
    const bigValue = new Uint8Array(limits.valueBytesMax + 1);
    const cases: [unknown, string][] = [
      [{ ...base, operation: { structure: "map", op: "get", name: "m", key: longKey } }, "LIMIT_EXCEEDED"],
      [
        { ...base, operation: { structure: "map", op: "put", name: "m", key: "k", value: bigValue } },
        "LIMIT_EXCEEDED",
      ],
      [
        { ...base, operation: { structure: "map", op: "put", name: "m", key: "k", value: "text" } },
        "BAD_INPUT",
      ],
      [{ ...base, operation: { structure: "atomic-long", op: "add", name: "n", delta: 1.5 } }, "BAD_INPUT"],
      [{ ...base, operation: { structure: "queue", op: "push", name: "q" } }, "BAD_INPUT"],
      [{ ...base, sequence: 0, operation: { structure: "atomic-long", op: "get", name: "n" } }, "BAD_INPUT"],
    ];
    for (const [value, code] of cases) {
      const check = clientRequestCheck(value, limits);
      expect(check.kind === "bad" ? [check.code, check.requestId] : "ok").toEqual([code, 5]);
    }
  });
});

describe("runtime codec", () => {
  it("round-trips normal and configuration entries through WAL records", () => {
    const entry = fc.oneof(
      fc.record({
        type: fc.constant("normal" as const),
        term: fc.nat(1000),
        index: fc.integer({ min: 1, max: 10_000 }),
        data: fc.uint8Array({ maxLength: 64 }),
      }),
      fc.record({
        type: fc.constant("conf-change" as const),
        term: fc.nat(1000),
        index: fc.integer({ min: 1, max: 10_000 }),
        change: fc.record({
          type: fc.constantFrom("add-learner", "promote", "remove"),
          node: fc.string({ minLength: 1 }),
        }),
      }),
    );
    fc.assert(
      fc.property(entry, (value) => {
        const typed = value as unknown as Entry;
        // The WAL stores the tag, then the payload, and recovers them as one payload.
        const written = entryToWal(typed);
        const back = entryFromWal({ ...written, payload: new Uint8Array([written.tag, ...written.payload]) });
        expect(back).toEqual(typed);
      }),
    );
  });

  it("never throws on arbitrary raft-batch payloads and refuses messages for someone else", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        raftBatchValid(value);
        raftMessageValid(value, "m1" as NodeId);
      }),
      { numRuns: 2000 },
    );
    const heartbeat = {
      type: "heartbeat",
      from: "m2",
      to: "m1",
      term: 3 as Term,
      commit: 1 as LogIndex,
      context: 0,
    };
    expect(raftMessageValid(heartbeat, "m1" as NodeId)).toBe(true);
    expect(raftMessageValid(heartbeat, "m3" as NodeId)).toBe(false);
    expect(raftMessageValid({ ...heartbeat, type: "nonsense" }, "m1" as NodeId)).toBe(false);
    expect(raftBatchValid({ from: "m2", replica: "m2@1", hello: null, messages: [[1, heartbeat]] })).toBe(
      true,
    );
    expect(raftBatchValid({ from: "m2", replica: "m2@1", hello: null, messages: [[-1, heartbeat]] })).toBe(
      false,
    );
  });
});

describe("replication message validation", () => {
  it("never throws and accepts only well-shaped messages", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        replicationMessageValid(value);
      }),
      { numRuns: 1000 },
    );
    const ack = { type: "ack", from: "a@1", to: "b@1", seq: 3 };
    expect(replicationMessageValid(ack)).toBe(true);
    expect(replicationMessageValid({ ...ack, seq: -1 })).toBe(false);
    const delta = {
      type: "delta",
      from: "a@1",
      to: "b@1",
      fromSeq: 0,
      toSeq: 1,
      isFull: false,
      entries: [{ key: "k", bytes: new Uint8Array(1) }],
    };
    expect(replicationMessageValid(delta)).toBe(true);
    expect(replicationMessageValid({ ...delta, entries: [{ key: 1, bytes: "x" }] })).toBe(false);
  });
});
