// Goal: each structural checker (set, set-full, counter-bounds, unique-ids, total-queue) accepts a
// hand-made good history and rejects hand-made bad ones for the anomaly it exists to catch.
// Method: small JSONL-shaped histories written inline, paired, and checked; counts are asserted.

import { describe, expect, it } from "vitest";
import {
  checkCounterBounds,
  checkSet,
  checkSetFull,
  checkTotalQueue,
  checkUniqueIds,
  type HistoryEvent,
  type HistoryOperation,
  pairEvents,
} from "../../src/check/index.js";

type Step = [type: HistoryEvent["type"], process: number, f: string, value?: unknown];

function history(steps: readonly Step[]): HistoryOperation[] {
  return pairEvents(
    steps.map(([type, process, f, value], i) => ({
      event: value === undefined ? { type, process, f, time: i } : { type, process, f, value, time: i },
      line: i + 1,
    })),
  );
}

describe("set", () => {
  const adds: Step[] = [
    ["invoke", 0, "add", 1],
    ["ok", 0, "add", 1],
    ["invoke", 1, "add", 2],
    ["info", 1, "add", 2],
  ];
  it("accepts a final read with every acknowledged add", () => {
    const result = checkSet(history([...adds, ["invoke", 2, "read", null], ["ok", 2, "read", [1]]]));
    expect(result.verdict).toBe("ok");
    expect(result.counts.lost).toBe(0);
  });
  it("rejects a lost acknowledged add and an element never added", () => {
    const result = checkSet(history([...adds, ["invoke", 2, "read", null], ["ok", 2, "read", [2, 9]]]));
    expect(result.verdict).toBe("illegal");
    expect(result.counts.lost).toBe(1);
    expect(result.counts.unexpected).toBe(1);
    expect(result.counts.recovered).toBe(1);
  });
  it("has no verdict without a read", () => {
    expect(checkSet(history(adds)).verdict).toBe("unknown");
  });
});

describe("set-full", () => {
  it("calls an element stale when a read misses it but a later read has it", () => {
    const result = checkSetFull(
      history([
        ["invoke", 0, "add", 1],
        ["ok", 0, "add", 1],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", []],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", [1]],
      ]),
    );
    expect(result.verdict).toBe("ok");
    expect(result.counts.stale).toBe(1);
    expect(result.counts.lost).toBe(0);
  });
  it("calls an element lost when reads after its last sighting miss it", () => {
    const result = checkSetFull(
      history([
        ["invoke", 0, "add", 1],
        ["ok", 0, "add", 1],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", [1]],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", []],
      ]),
    );
    expect(result.verdict).toBe("illegal");
    expect(result.counts.lost).toBe(1);
  });
  it("reports never-read elements and rejects unexpected ones", () => {
    const result = checkSetFull(
      history([
        ["invoke", 1, "read", null],
        ["ok", 1, "read", [7]],
        ["invoke", 0, "add", 1],
        ["ok", 0, "add", 1],
      ]),
    );
    expect(result.counts["never-read"]).toBe(1);
    expect(result.counts.unexpected).toBe(1);
    expect(result.verdict).toBe("illegal");
  });
});

describe("counter-bounds", () => {
  it("accepts reads within the bounds of concurrent adds", () => {
    const result = checkCounterBounds(
      history([
        ["invoke", 0, "add", 5],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", 5],
        ["ok", 0, "add", 5],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", 5],
      ]),
    );
    expect(result.verdict).toBe("ok");
    expect(result.counts.reads).toBe(2);
  });
  it("rejects a read below the acknowledged sum and one above the attempted sum", () => {
    const result = checkCounterBounds(
      history([
        ["invoke", 0, "add", 5],
        ["ok", 0, "add", 5],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", 4],
        ["invoke", 1, "read", null],
        ["ok", 1, "read", 6],
      ]),
    );
    expect(result.verdict).toBe("illegal");
    expect(result.counts["out-of-bounds"]).toBe(2);
  });
});

describe("unique-ids", () => {
  it("accepts distinct ids and rejects a duplicate", () => {
    const good: Step[] = [
      ["invoke", 0, "generate"],
      ["ok", 0, "generate", 1],
      ["invoke", 1, "generate"],
      ["ok", 1, "generate", 2],
    ];
    expect(checkUniqueIds(history(good)).verdict).toBe("ok");
    const bad = checkUniqueIds(history([...good, ["invoke", 2, "generate"], ["ok", 2, "generate", 1]]));
    expect(bad.verdict).toBe("illegal");
    expect(bad.examples.duplicated).toEqual(["1 ×2"]);
  });
});

describe("total-queue", () => {
  const enqueues: Step[] = [
    ["invoke", 0, "enqueue", 1],
    ["ok", 0, "enqueue", 1],
    ["invoke", 0, "enqueue", 2],
    ["ok", 0, "enqueue", 2],
  ];
  it("accepts a history where everything comes out once", () => {
    const result = checkTotalQueue(
      history([
        ...enqueues,
        ["invoke", 1, "dequeue", null],
        ["ok", 1, "dequeue", 1],
        ["invoke", 1, "drain"],
        ["ok", 1, "drain", [2]],
      ]),
    );
    expect(result.verdict).toBe("ok");
    expect(result.counts.lost).toBe(0);
  });
  it("rejects lost and unexpected elements, and reports duplicates", () => {
    const result = checkTotalQueue(
      history([
        ...enqueues,
        ["invoke", 1, "dequeue", null],
        ["ok", 1, "dequeue", 1],
        ["invoke", 1, "dequeue", null],
        ["ok", 1, "dequeue", 1],
        ["invoke", 1, "dequeue", null],
        ["ok", 1, "dequeue", 3],
      ]),
    );
    expect(result.verdict).toBe("illegal");
    expect(result.counts).toMatchObject({ lost: 1, unexpected: 1, duplicated: 1 });
  });
});
