// Goal: the bench's `sim` figures are exact and mean what they say: real Members on the simulator
// commit every asked write, member traffic is tallied apart from client traffic, by wire kind and
// by Raft message type (with the log entries appends carry),
// the same seed gives the same counts to the message and byte, and SWIM's per-member rate is in
// the range its probe interval allows. Method: small runs (3 voters, 60 writes; 16 SWIM members,
// 5 virtual seconds) of the same functions `npm run bench -- --scenarios sim` calls.

import { beforeAll, describe, expect, it } from "vitest";
import {
  measureRaftTraffic,
  measureSwimTraffic,
  type RaftTraffic,
  simMarkdown,
  type Tally,
} from "../../bench/sim.js";

function kindSums(tally: Tally): { messages: number; bytes: number } {
  const rows = Object.values(tally.byKind);
  return {
    messages: rows.reduce((sum, row) => sum + row.messages, 0),
    bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
  };
}

describe("bench sim: Raft traffic of real Members", () => {
  const options = { voters: 3, writes: 60, valueBytes: 100, seed: 7 };
  let first: RaftTraffic;
  beforeAll(() => {
    first = measureRaftTraffic(options);
  });

  it("commits every write and counts member frames apart from client frames, by kind", () => {
    expect(first.writesCommitted).toBe(60);
    expect(first.writesFailed).toBe(0);
    expect(first.groupVoters).toBe("g0 3, g1 3");
    // Each write is at least one request and one response; retries may add a few.
    expect(first.clientTraffic.byKind["client-request"]?.messages).toBeGreaterThanOrEqual(60);
    expect(first.clientTraffic.byKind["client-response"]?.messages).toBeGreaterThanOrEqual(60);
    expect(first.writes.byKind["client-request"]).toBeUndefined();
    // A committed write reaches both followers and is acknowledged: at least 4 member frames each
    // unless appends carry several writes, and at least the value's bytes to each follower.
    expect(first.writes.byKind["raft-batch"]?.messages).toBeGreaterThan(0);
    expect(first.writes.bytes / 60).toBeGreaterThan(2 * 100);
    expect(kindSums(first.writes)).toEqual({ messages: first.writes.messages, bytes: first.writes.bytes });
    expect(kindSums(first.rest)).toEqual({ messages: first.rest.messages, bytes: first.rest.bytes });
  });

  it("finds every write's log entry in an append to each follower, resends counted apart", () => {
    expect(first.writesRaft.byType["append"]).toBeGreaterThan(0);
    expect(first.writesRaft.byType["append-response"]).toBeGreaterThan(0);
    // 60 writes to 2 followers; a few more distinct entries may be the leader's own (no-op, config).
    expect(first.writesRaft.entriesDistinct.size).toBeGreaterThanOrEqual(60 * 2);
    expect(first.writesRaft.entriesDistinct.size).toBeLessThan(60 * 2 + 10);
    // In-order, lossless links: no append is rejected, so no entry is ever sent twice.
    expect(first.writesRaft.entriesSent).toBe(first.writesRaft.entriesDistinct.size);
    expect(first.writesRaft.byType["append-response"]).toBe(first.writesRaft.byType["append"]);
  });

  it("sees heartbeats and SWIM at rest, and no client traffic there", () => {
    const seconds = first.restWindowMs / 1_000;
    // Heartbeats every 100 ms from each group's leader to 2 followers, answered: 20–80 frames/s.
    const raftPerSecond = (first.rest.byKind["raft-batch"]?.messages ?? 0) / seconds;
    expect(raftPerSecond).toBeGreaterThanOrEqual(20);
    expect(raftPerSecond).toBeLessThanOrEqual(80);
    expect(first.rest.byKind["swim"]?.messages).toBeGreaterThan(0);
    expect(first.rest.byKind["client-request"]).toBeUndefined();
  });

  it("gives the same counts for the same seed, to the byte", () => {
    const again = measureRaftTraffic(options);
    expect(again.writes).toEqual(first.writes);
    expect(again.writesRaft.entriesSent).toBe(first.writesRaft.entriesSent);
    expect(again.rest).toEqual(first.rest);
    expect(again.clientTraffic).toEqual(first.clientTraffic);
    expect(again.writeWindowMs).toBe(first.writeWindowMs);
  });

  it("tabulates per-write and at-rest figures", () => {
    const swim = measureSwimTraffic(16, 5_000, 3);
    const text = simMarkdown([first], [swim], ["a note"]);
    const perWrite = (first.writes.messages / 60).toFixed(2);
    expect(text).toContain(`| 3 | 60 / 60 | ${perWrite} |`);
    expect(text).toContain("a note");
    expect(text).toContain(`| 16 | ${swim.messagesPerMemberPerSecond.toFixed(2)} | 5 |`);
  });
});

describe("bench sim: SWIM traffic", () => {
  it("fills every view, then sends a per-member rate its probe interval bounds, the same for a seed", () => {
    const result = measureSwimTraffic(16, 5_000, 11);
    expect(result.bootstrapMs).toBeGreaterThan(0);
    expect(result.messages).toBeGreaterThan(0);
    // One probe a second and its ack, plus indirect probes and gossip: between 1 and 10.
    expect(result.messagesPerMemberPerSecond).toBeGreaterThanOrEqual(1);
    expect(result.messagesPerMemberPerSecond).toBeLessThan(10);
    expect(measureSwimTraffic(16, 5_000, 11).messages).toBe(result.messages);
  });
});
