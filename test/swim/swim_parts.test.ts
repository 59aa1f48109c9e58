// Goal: check the SWIM building blocks on their own: the precedence table, the dynamic suspicion
// formula (memberlist's log curve from max to min), local health clamping, the broadcast queue's
// retransmit limit, ordering and byte budget, the LAN preset, and the packet validator and size
// estimate against the real msgpackr codec. Method: direct calls, plus fast-check properties for
// the validator (random packets survive encode → decode → parse unchanged, and their size
// estimate bounds the encoded size from above).

import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import {
  Awareness,
  BroadcastQueue,
  failureDetectionBoundTicks,
  MemberState,
  messageBaseSizeBytes,
  parseSwimMessage,
  retransmitLimit,
  Suspicion,
  type SwimMessage,
  suspicionConfirmationsNeeded,
  suspicionMaxTicks,
  suspicionMinTicks,
  suspicionTimeoutTicks,
  swimConfigLan,
  swimConfigWithoutLifeguard,
  type Update,
  updateSizeBytes,
  updateVerdict,
} from "../../src/protocol/swim/index.js";
import { address, nodeId } from "../../src/types.js";

const packr = new Packr({ useRecords: false });
const limits = { metadataBytesMax: 512, membersMax: 1024 };

describe("precedence table", () => {
  const known = (state: MemberState, incarnation: number) => ({ state, incarnation });
  const suspect = (incarnation: number): Update => ({
    kind: "suspect",
    member: nodeId("b"),
    incarnation,
    from: nodeId("x"),
  });
  const dead = (incarnation: number): Update => ({
    kind: "dead",
    member: nodeId("b"),
    incarnation,
    from: nodeId("x"),
  });
  const left = (incarnation: number): Update => ({ kind: "left", member: nodeId("b"), incarnation });
  const alive = (incarnation: number): Update => ({
    kind: "alive",
    member: nodeId("b"),
    address: address("b"),
    incarnation,
    metadata: new Uint8Array(0),
  });

  it("orders by incarnation first and by state second", () => {
    expect(updateVerdict(known(MemberState.Alive, 3), suspect(2))).toBe("ignore");
    expect(updateVerdict(known(MemberState.Alive, 3), suspect(3))).toBe("apply");
    expect(updateVerdict(known(MemberState.Suspect, 3), suspect(3))).toBe("confirm");
    expect(updateVerdict(known(MemberState.Suspect, 3), suspect(4))).toBe("apply");
    expect(updateVerdict(known(MemberState.Suspect, 3), alive(3))).toBe("ignore");
    expect(updateVerdict(known(MemberState.Suspect, 3), alive(4))).toBe("apply");
    expect(updateVerdict(known(MemberState.Suspect, 3), dead(3))).toBe("apply");
    expect(updateVerdict(known(MemberState.Dead, 3), suspect(9))).toBe("ignore");
    expect(updateVerdict(known(MemberState.Dead, 3), dead(9))).toBe("ignore");
    expect(updateVerdict(known(MemberState.Dead, 3), left(3))).toBe("apply");
    expect(updateVerdict(known(MemberState.Left, 3), dead(3))).toBe("ignore");
    expect(updateVerdict(known(MemberState.Left, 3), alive(4))).toBe("apply");
    expect(updateVerdict(null, suspect(1))).toBe("ignore");
    expect(updateVerdict(null, alive(0))).toBe("apply");
  });
});

describe("dynamic suspicion", () => {
  it("starts at max, shrinks along the log curve, and reaches min after k confirmations", () => {
    expect(suspicionTimeoutTicks(0, 2, 48, 288)).toBe(288);
    expect(suspicionTimeoutTicks(1, 2, 48, 288)).toBe(Math.floor(288 - (Math.log(2) / Math.log(3)) * 240));
    expect(suspicionTimeoutTicks(2, 2, 48, 288)).toBe(48);
    expect(suspicionTimeoutTicks(0, 0, 48, 288)).toBe(48);
  });

  it("counts only new, independent confirmations, up to k", () => {
    const suspicion = new Suspicion(nodeId("a"), 10, 2, 48, 288);
    expect(suspicion.confirm(nodeId("a"))).toBe(false);
    expect(suspicion.confirm(nodeId("b"))).toBe(true);
    expect(suspicion.confirm(nodeId("b"))).toBe(false);
    expect(suspicion.confirm(nodeId("c"))).toBe(true);
    expect(suspicion.confirm(nodeId("d"))).toBe(false);
    expect(suspicion.currentTimeoutTicks).toBe(48);
    expect(suspicion.isExpired(57)).toBe(false);
    expect(suspicion.isExpired(58)).toBe(true);
  });

  it("uses memberlist's LAN numbers: 4·log10(N) probe intervals, ×6 at most, k = 2", () => {
    const config = swimConfigLan(100);
    expect(config.probeIntervalTicks).toBe(10);
    expect(config.probeTimeoutTicks).toBe(5);
    expect(config.gossipIntervalTicks).toBe(2);
    expect(suspicionMinTicks(config, 5)).toBe(40);
    expect(suspicionMinTicks(config, 100)).toBe(80);
    expect(suspicionMaxTicks(config, 100)).toBe(480);
    expect(suspicionConfirmationsNeeded(config, 16)).toBe(2);
    expect(suspicionConfirmationsNeeded(config, 3)).toBe(0);
    expect(retransmitLimit(config, 16)).toBe(8);
    expect(retransmitLimit(config, 200)).toBe(12);
    const plain = swimConfigWithoutLifeguard(config);
    expect(suspicionMaxTicks(plain, 100)).toBe(suspicionMinTicks(plain, 100));
    expect(failureDetectionBoundTicks(config, 5)).toBeGreaterThan(suspicionMaxTicks(config, 5));
  });
});

describe("local health", () => {
  it("clamps the score to [0, max − 1] and scales durations by score + 1", () => {
    const awareness = new Awareness(8);
    awareness.applyDelta(-3);
    expect(awareness.score).toBe(0);
    awareness.applyDelta(20);
    expect(awareness.score).toBe(7);
    expect(awareness.scaleTicks(10)).toBe(80);
    const off = new Awareness(1);
    off.applyDelta(5);
    expect(off.scaleTicks(10)).toBe(10);
  });
});

describe("broadcast queue", () => {
  const aliveOf = (member: string, incarnation: number): Update => ({
    kind: "alive",
    member: nodeId(member),
    address: address(member),
    incarnation,
    metadata: new Uint8Array(0),
  });

  it("keeps one update per member, sends least-transmitted and newest first, and drops at the limit", () => {
    const queue = new BroadcastQueue(16);
    queue.enqueue(aliveOf("a", 1));
    queue.enqueue(aliveOf("b", 1));
    queue.enqueue(aliveOf("a", 2));
    expect(queue.size).toBe(2);
    expect(queue.take(10_000, 2)).toEqual([aliveOf("a", 2), aliveOf("b", 1)]);
    queue.enqueue(aliveOf("c", 1));
    expect(queue.take(10_000, 2)).toEqual([aliveOf("c", 1), aliveOf("a", 2), aliveOf("b", 1)]);
    expect(queue.size).toBe(1);
    expect(queue.take(10_000, 2)).toEqual([aliveOf("c", 1)]);
    expect(queue.size).toBe(0);
  });

  it("fits the byte budget and sheds the most-sent update when full", () => {
    const queue = new BroadcastQueue(2);
    queue.enqueue(aliveOf("a", 1));
    const one = updateSizeBytes(aliveOf("a", 1));
    expect(queue.take(one, 5)).toHaveLength(1);
    queue.enqueue(aliveOf("b", 1));
    queue.enqueue(aliveOf("c", 1));
    expect(queue.has(nodeId("a"))).toBe(false);
    expect(queue.take(one * 2, 5)).toHaveLength(2);
    expect(queue.take(one - 1, 5)).toEqual([]);
  });
});

const identifier = fc.string({ minLength: 1, maxLength: 40 });
const counter = fc.integer({ min: 0, max: 2 ** 40 });
const updateArbitrary: fc.Arbitrary<Update> = fc.oneof(
  fc.record({
    kind: fc.constant("alive" as const),
    member: identifier.map(nodeId),
    address: identifier.map(address),
    incarnation: counter,
    metadata: fc.uint8Array({ maxLength: 512 }),
  }),
  fc.record({
    kind: fc.constantFrom("suspect" as const, "dead" as const),
    member: identifier.map(nodeId),
    incarnation: counter,
    from: identifier.map(nodeId),
  }),
  fc.record({ kind: fc.constant("left" as const), member: identifier.map(nodeId), incarnation: counter }),
);
const messageArbitrary: fc.Arbitrary<SwimMessage> = fc.oneof(
  fc.record({
    kind: fc.constant("ping" as const),
    sequence: counter,
    source: identifier.map(nodeId),
    target: identifier.map(nodeId),
    piggyback: fc.array(updateArbitrary, { maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant("ping-req" as const),
    sequence: counter,
    source: identifier.map(nodeId),
    target: identifier.map(nodeId),
    targetAddress: identifier.map(address),
    relayTimeoutMs: counter,
    wantsNack: fc.boolean(),
    piggyback: fc.array(updateArbitrary, { maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant("nack" as const), sequence: counter, source: identifier.map(nodeId) }),
);

describe("packet validation and size", () => {
  it("round-trips valid packets through msgpackr and bounds their encoded size from above", () => {
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const bytes = packr.pack(message);
        const parsed = parseSwimMessage(packr.unpack(bytes), limits);
        expect(parsed).toEqual(message);
        const piggyback = "piggyback" in message ? message.piggyback : [];
        const estimate =
          messageBaseSizeBytes(message) + piggyback.reduce((sum, u) => sum + updateSizeBytes(u), 0);
        expect(bytes.byteLength).toBeLessThanOrEqual(estimate);
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it("rejects malformed packets instead of throwing", () => {
    const bad: unknown[] = [
      null,
      42,
      [],
      { kind: "ping" },
      { kind: "ping", sequence: -1, source: "a", target: "b", piggyback: [] },
      { kind: "ping", sequence: 1.5, source: "a", target: "b", piggyback: [] },
      { kind: "ping", sequence: 1, source: "", target: "b", piggyback: [] },
      { kind: "ping", sequence: 1, source: "a", target: "b", piggyback: [{ kind: "alive", member: "c" }] },
      { kind: "ack", sequence: 1, source: "a", piggyback: "no" },
      { kind: "gossip", source: "a".repeat(300), piggyback: [] },
      { kind: "push-pull", source: "a", isResponse: true, isJoin: false, members: [{ member: "b" }] },
      {
        kind: "push-pull",
        source: "a",
        isResponse: true,
        isJoin: false,
        members: [
          { member: "b", address: "b", incarnation: 1, state: "zombie", metadata: new Uint8Array(0) },
        ],
      },
      {
        kind: "gossip",
        source: "a",
        piggyback: [
          { kind: "alive", member: "b", address: "b", incarnation: 0, metadata: new Uint8Array(513) },
        ],
      },
      { kind: "teleport", source: "a" },
    ];
    for (const value of bad) expect(parseSwimMessage(value, limits)).toBeNull();
  });
});
