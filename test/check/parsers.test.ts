// Goal: the three history formats read what the peer files and Shoal's recorders write, map
// Jepsen's conventions as documented (`:fail :cas` = compare failed, `:fail :read` = unknown,
// missing completion = unknown), and reject bad input with an error naming the line. Method:
// small inline texts, plus the peer files' operation counts.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  HistoryInputError,
  historyToJsonl,
  pairEvents,
  parseEdnHistory,
  parseHistory,
  parseJepsenLog,
  parseJsonlHistory,
} from "../../src/check/index.js";

function lineOf(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryInputError);
    return (error as HistoryInputError).line;
  }
  throw new Error("expected a HistoryInputError");
}

describe("Jepsen logs", () => {
  it("maps fail/info conventions and leaves open invokes unknown", () => {
    const text = [
      "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]",
      "INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]",
      "INFO  jepsen.util - 1   :invoke :read   nil",
      "INFO  jepsen.util - 1   :fail   :read   :timed-out",
      "INFO  jepsen.util - 2\t:invoke\t:write\t3",
      "INFO  jepsen.util - 3\t:invoke\t:write\t4",
      "INFO  jepsen.util - 3\t:info\t:write\t:timed-out",
    ].join("\n");
    const operations = pairEvents(parseJepsenLog(text));
    expect(operations.map((op) => [op.f, op.outcome, op.output])).toEqual([
      ["cas", "ok", false],
      ["read", "unknown", "timed-out"],
      ["write", "unknown", undefined],
      ["write", "unknown", "timed-out"],
    ]);
    expect(operations[0]!.input).toEqual([1, 2]);
    expect(operations[2]!.returnTime).toBe(Infinity);
  });
  it("names the bad line", () => {
    expect(lineOf(() => parseJepsenLog("INFO  jepsen.util - 0\t:invoke\t:read\tnil\ngarbage"))).toBe(2);
    expect(lineOf(() => parseJepsenLog("INFO  jepsen.util - 0\t:invoke\t:read\t{x}"))).toBe(1);
    const twice = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil";
    expect(lineOf(() => pairEvents(parseJepsenLog(twice)))).toBe(2);
  });
  it("reads every peer etcd log", () => {
    const peer =
      process.env.SHOAL_PEER_HISTORIES ??
      resolve(import.meta.dirname, "..", "..", "..", "shared", "peer-histories");
    const text = readFileSync(join(peer, "jepsen-etcd", "etcd_000.log"), "utf8");
    expect(parseHistory(text, "jepsen").length).toBeGreaterThan(50);
  });
});

describe("EDN", () => {
  it("reads maps with keywords, strings, nil and vectors; skips the nemesis", () => {
    const text = [
      '{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}',
      "{:process :nemesis, :type :info, :f :start, :value nil}",
      '{:process 0, :type :ok, :f :append, :key "4", :value "x 0 1 y", :time 12}',
      "{:process 1 :type :invoke :f :cas :value [1 2]}",
    ].join("\n");
    const events = parseEdnHistory(text);
    expect(events.map((e) => e.line)).toEqual([1, 3, 4]);
    expect(events[0]!.event).toMatchObject({
      type: "invoke",
      process: 0,
      f: "append",
      key: "4",
      value: "x 0 1 y",
    });
    expect(events[2]!.event.value).toEqual([1, 2]);
  });
  it("names the bad line", () => {
    expect(
      lineOf(() => parseEdnHistory('{:process 0, :type :invoke, :f :get}\n{:process 0, :type "x"')),
    ).toBe(2);
    expect(lineOf(() => parseEdnHistory("{:type :invoke, :f :get}"))).toBe(1);
    expect(lineOf(() => pairEvents(parseEdnHistory("{:process 0, :type :ok, :f :get}")))).toBe(1);
  });
});

describe("JSONL", () => {
  it("round-trips what historyToJsonl writes", () => {
    const events = [
      { type: "invoke" as const, process: 0, f: "write", key: "a", value: 1, time: 0 },
      { type: "ok" as const, process: 0, f: "write", key: "a", time: 5 },
    ];
    expect(parseJsonlHistory(historyToJsonl(events)).map((e) => e.event)).toEqual(events);
  });
  it("names the bad line", () => {
    const good = '{"type":"invoke","process":0,"f":"read","time":0}';
    expect(lineOf(() => parseJsonlHistory(`${good}\n{not json`))).toBe(2);
    expect(
      lineOf(() => parseJsonlHistory(`${good}\n\n{"type":"done","process":0,"f":"read","time":1}`)),
    ).toBe(3);
    expect(
      lineOf(() => pairEvents(parseJsonlHistory(`${good}\n{"type":"ok","process":0,"f":"write","time":1}`))),
    ).toBe(2);
  });
});
