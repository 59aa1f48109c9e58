// Goal: the leader's ReadIndex queue releases exactly the reads whose round a quorum confirmed, in
// arrival order, never one of a later round, and asks about each distinct round once however many
// reads share it (a batch of 64 reads costs one check per acknowledgement, not 64). Method: a queue
// filled with reads of rounds 1, 1, 2, 2, 2 and a confirmation predicate that counts its calls.

import { describe, expect, it } from "vitest";
import { ReadOnly } from "../../src/protocol/raft/read_only.js";
import type { LogIndex, NodeId } from "../../src/types.js";

function queue(): ReadOnly {
  const reads = new ReadOnly(16);
  [1, 1, 2, 2, 2].forEach((context, i) => {
    expect(reads.add({ context, requestId: `r${i}`, from: "1" as NodeId, index: i as LogIndex })).toBe(true);
  });
  return reads;
}

describe("ReadOnly.release", () => {
  it("releases the reads of confirmed rounds only, asking once per round", () => {
    const reads = queue();
    const asked: number[] = [];
    const released = reads.release((context) => {
      asked.push(context);
      return context <= 1;
    });
    expect(released.map((read) => read.requestId)).toEqual(["r0", "r1"]);
    expect(asked).toEqual([2, 1]);
    expect(reads.pendingCount()).toBe(3);
    expect(reads.release(() => false)).toEqual([]);
    expect(reads.release((context) => context <= 2).map((read) => read.requestId)).toEqual([
      "r2",
      "r3",
      "r4",
    ]);
    expect(reads.pendingCount()).toBe(0);
  });

  it("refuses a read of an earlier round than the last queued, and a read beyond its bound", () => {
    const reads = queue();
    expect(() =>
      reads.add({ context: 1, requestId: "late", from: "1" as NodeId, index: 0 as LogIndex }),
    ).toThrow();
    const small = new ReadOnly(1);
    expect(small.add({ context: 1, requestId: "a", from: "1" as NodeId, index: 0 as LogIndex })).toBe(true);
    expect(small.add({ context: 1, requestId: "b", from: "1" as NodeId, index: 0 as LogIndex })).toBe(false);
  });
});
