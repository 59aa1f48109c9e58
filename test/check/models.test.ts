// Goal: each model's sequential specification, including operations of unknown outcome, says what
// its header says. Method: tiny sequential (and a few concurrent) histories written inline, each
// checked for its expected verdict; the bad ones differ from a good one in a single value.

import { describe, expect, it } from "vitest";
import {
  checkHistory,
  type HistoryEvent,
  modelByName,
  pairEvents,
  type Verdict,
} from "../../src/check/index.js";

type Step = [type: HistoryEvent["type"], process: number, f: string, value?: unknown];

function verdict(model: string, steps: readonly Step[], permits = 1): Verdict {
  const events = steps.map(([type, process, f, value], i) => ({
    event: value === undefined ? { type, process, f, time: i } : { type, process, f, value, time: i },
    line: i + 1,
  }));
  return checkHistory(modelByName(model, { permits })!, pairEvents(events)).verdict;
}

/** A sequential history: each operation invoked and completed before the next. */
function sequential(
  operations: readonly [process: number, f: string, input: unknown, output: unknown][],
): Step[] {
  return operations.flatMap(([process, f, input, output]): Step[] => [
    ["invoke", process, f, input],
    ["ok", process, f, output],
  ]);
}

describe("register and cas-register", () => {
  it("reads the last write, nil before any", () => {
    expect(
      verdict(
        "register",
        sequential([
          [0, "read", null, null],
          [0, "write", 1, 1],
          [1, "read", null, 1],
        ]),
      ),
    ).toBe("ok");
    expect(
      verdict(
        "register",
        sequential([
          [0, "write", 1, 1],
          [1, "read", null, null],
        ]),
      ),
    ).toBe("illegal");
  });
  it("lets a concurrent read see either value", () => {
    const steps: Step[] = [
      ["invoke", 0, "write", 1],
      ["invoke", 1, "read", null],
      ["ok", 1, "read", 1],
      ["ok", 0, "write", 1],
    ];
    expect(verdict("register", steps)).toBe("ok");
  });
  it("treats a cas that returned false as a compare that failed", () => {
    expect(
      verdict(
        "cas-register",
        sequential([
          [0, "write", 1, 1],
          [0, "cas", [2, 3], false],
        ]),
      ),
    ).toBe("ok");
    expect(
      verdict(
        "cas-register",
        sequential([
          [0, "write", 1, 1],
          [0, "cas", [1, 3], false],
        ]),
      ),
    ).toBe("illegal");
    expect(
      verdict(
        "cas-register",
        sequential([
          [0, "write", 1, 1],
          [0, "cas", [1, 3], true],
          [0, "read", null, 3],
        ]),
      ),
    ).toBe("ok");
  });
  it("lets an operation of unknown outcome take effect later, or never", () => {
    const unknownWrite: Step[] = [
      ["invoke", 0, "write", 7],
      ["info", 0, "write"],
    ];
    expect(
      verdict("register", [
        ...unknownWrite,
        ...sequential([
          [1, "read", null, null],
          [1, "read", null, 7],
        ]),
      ]),
    ).toBe("ok");
    expect(verdict("register", [...unknownWrite, ...sequential([[1, "read", null, null]])])).toBe("ok");
    expect(
      verdict("register", [
        ...unknownWrite,
        ...sequential([
          [1, "read", null, 7],
          [1, "read", null, null],
        ]),
      ]),
    ).toBe("illegal");
  });
  it("reads a missing kv key as nil with read and as empty with get; append appends", () => {
    const steps = sequential([
      [0, "get", null, ""],
      [0, "append", "a", "a"],
      [0, "append", "b", "b"],
      [0, "get", null, "ab"],
    ]);
    expect(verdict("kv", steps)).toBe("ok");
    expect(
      verdict(
        "kv",
        sequential([
          [0, "append", "a", "a"],
          [0, "append", "b", "b"],
          [0, "get", null, "ba"],
        ]),
      ),
    ).toBe("illegal");
  });
});

describe("counter", () => {
  it("adds and returns the new count", () => {
    const steps = sequential([
      [0, "incr", 1, 1],
      [0, "add", 4, 4],
      [0, "incrementAndGet", 1, 6],
      [0, "read", null, 6],
    ]);
    expect(verdict("counter", steps)).toBe("ok");
    expect(
      verdict(
        "counter",
        sequential([
          [0, "incr", 1, 1],
          [0, "incrementAndGet", 1, 1],
        ]),
      ),
    ).toBe("illegal");
  });
});

describe("fenced-mutex", () => {
  it("hands fences that only go up, to one owner at a time", () => {
    expect(
      verdict(
        "fenced-mutex",
        sequential([
          [0, "acquire", null, 5],
          [0, "release", null, null],
          [1, "acquire", null, 6],
        ]),
      ),
    ).toBe("ok");
    expect(
      verdict(
        "fenced-mutex",
        sequential([
          [0, "acquire", null, 5],
          [0, "release", null, null],
          [1, "acquire", null, 5],
        ]),
      ),
    ).toBe("illegal");
    expect(
      verdict(
        "fenced-mutex",
        sequential([
          [0, "acquire", null, 5],
          [1, "acquire", null, 6],
        ]),
      ),
    ).toBe("illegal");
    expect(
      verdict(
        "fenced-mutex",
        sequential([
          [0, "acquire", null, 5],
          [1, "release", null, null],
        ]),
      ),
    ).toBe("illegal");
  });
  it("assumes an acquire of unknown outcome used a fence above every one seen", () => {
    const steps: Step[] = [
      ["invoke", 0, "acquire", null],
      ["info", 0, "acquire"],
      ...sequential([[1, "acquire", null, 1]]),
    ];
    expect(verdict("fenced-mutex", steps)).toBe("ok");
  });
});

describe("semaphore", () => {
  it("never hands out more permits than it has, and takes them back only from holders", () => {
    const two = sequential([
      [0, "acquire", 1, 1],
      [1, "acquire", 1, 1],
    ]);
    expect(verdict("semaphore", two, 2)).toBe("ok");
    expect(verdict("semaphore", [...two, ...sequential([[2, "acquire", 1, 1]])], 2)).toBe("illegal");
    expect(
      verdict(
        "semaphore",
        [
          ...two,
          ...sequential([
            [1, "release", 1, 1],
            [2, "acquire", 1, 1],
          ]),
        ],
        2,
      ),
    ).toBe("ok");
    expect(verdict("semaphore", [...two, ...sequential([[2, "release", 1, 1]])], 2)).toBe("illegal");
  });
});

describe("fifo-queue", () => {
  it("dequeues in order, nil only when empty", () => {
    const steps = sequential([
      [0, "dequeue", null, null],
      [0, "enqueue", 1, 1],
      [0, "enqueue", 2, 2],
      [1, "dequeue", null, 1],
      [1, "dequeue", null, 2],
    ]);
    expect(verdict("fifo-queue", steps)).toBe("ok");
    expect(
      verdict(
        "fifo-queue",
        sequential([
          [0, "enqueue", 1, 1],
          [0, "enqueue", 2, 2],
          [1, "dequeue", null, 2],
        ]),
      ),
    ).toBe("illegal");
    expect(
      verdict(
        "fifo-queue",
        sequential([
          [0, "enqueue", 1, 1],
          [1, "dequeue", null, null],
        ]),
      ),
    ).toBe("illegal");
  });
});
