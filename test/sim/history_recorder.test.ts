// Goal: the HistoryRecorder writes the JSONL history format of src/check/history.ts faithfully:
// virtual times, one open operation per process, a new process after an `info`. Method: record a
// short scripted history and compare the events and the JSONL text exactly.

import { describe, expect, it } from "vitest";
import { HistoryRecorder } from "../../src/sim/history_recorder.js";

describe("HistoryRecorder", () => {
  it("records invocations and completions with virtual time and renumbers after info", () => {
    let now = 0;
    const recorder = new HistoryRecorder(() => now);
    const write = recorder.invoke("c1", "write", 3);
    now = 1;
    const read = recorder.invoke("c2", "read", null, "k");
    now = 2;
    recorder.ok(write);
    recorder.ok(read, 3);
    now = 5;
    const cas = recorder.invoke("c1", "cas", [3, 4]);
    now = 9;
    recorder.info(cas);
    const next = recorder.invoke("c1", "read", null);
    recorder.fail(next);
    expect(recorder.events).toEqual([
      { type: "invoke", process: 0, f: "write", value: 3, time: 0 },
      { type: "invoke", process: 1, f: "read", key: "k", value: null, time: 1 },
      { type: "ok", process: 0, f: "write", value: 3, time: 2 },
      { type: "ok", process: 1, f: "read", key: "k", value: 3, time: 2 },
      { type: "invoke", process: 0, f: "cas", value: [3, 4], time: 5 },
      { type: "info", process: 0, f: "cas", value: [3, 4], time: 9 },
      { type: "invoke", process: 2, f: "read", value: null, time: 9 },
      { type: "fail", process: 2, f: "read", value: null, time: 9 },
    ]);
    expect(recorder.counts()).toEqual({ invoke: 4, ok: 2, fail: 1, info: 1, open: 0 });
    const lines = recorder.toJsonl().trimEnd().split("\n");
    expect(lines.length).toBe(8);
    expect(JSON.parse(lines[5]!)).toEqual({ type: "info", process: 0, f: "cas", value: [3, 4], time: 9 });
  });

  it("refuses a second open operation on one client and a double completion", () => {
    const recorder = new HistoryRecorder(() => 0);
    const first = recorder.invoke("c1", "read", null);
    expect(recorder.isOpen("c1")).toBe(true);
    expect(() => recorder.invoke("c1", "read", null)).toThrow(/still open/);
    recorder.ok(first, 0);
    expect(() => recorder.ok(first, 0)).toThrow(/not open/);
    expect(recorder.isOpen("c1")).toBe(false);
  });
});
