// Goal: a failing history yields the smallest failing object with its partial linearization in
// text and as valid self-contained HTML; `shoal check` exits 0 ok, 1 illegal, 2 bad input (naming
// the line), 3 unknown. Method: small JSONL files in a temp folder; the action function is called
// directly for each code, and one real `tsx src/cli/main.ts check` process is spawned.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkExitCode, runCheckCommand } from "../../src/cli/check_command.js";
import {
  checkHistory,
  generateHistory,
  type HistoryEvent,
  historyToJsonl,
  modelByName,
  parseHistory,
  renderHtml,
} from "../../src/check/index.js";

const folder = mkdtempSync(join(tmpdir(), "shoal-check-"));

function file(name: string, events: readonly HistoryEvent[]): string {
  const path = join(folder, name);
  writeFileSync(path, historyToJsonl(events));
  return path;
}

// Key "a" is fine; key "b" reads 2 after write 1 returned, with nothing writing 2.
const illegal: HistoryEvent[] = [
  { type: "invoke", process: 0, f: "write", key: "a", value: 1, time: 0 },
  { type: "ok", process: 0, f: "write", key: "a", time: 1 },
  { type: "invoke", process: 1, f: "write", key: "b", value: 1, time: 2 },
  { type: "ok", process: 1, f: "write", key: "b", time: 3 },
  { type: "invoke", process: 2, f: "read", key: "b", value: null, time: 4 },
  { type: "ok", process: 2, f: "read", key: "b", value: 2, time: 5 },
];

function run(path: string, extra: Partial<Parameters<typeof runCheckCommand>[0]> = {}) {
  let out = "";
  let err = "";
  const code = runCheckCommand(
    { file: path, model: "register", format: null, timeoutSeconds: null, html: null, permits: 1, ...extra },
    (text) => (out += text),
    (text) => (err += text),
  );
  return { code, out, err };
}

describe("failure reports", () => {
  it("names the smallest failing object and renders self-contained HTML", () => {
    const text = historyToJsonl(illegal);
    const result = checkHistory(modelByName("register", { permits: 1 })!, parseHistory(text, "jsonl"));
    expect(result.verdict).toBe("illegal");
    expect(result.failure?.key).toBe("b");
    expect(result.failure?.linearization.map((step) => step.stateAfter)).toEqual(["1"]);
    const html = renderHtml(result);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("</html>");
    expect(html).not.toMatch(/<script|<link|src=|href=/);
    expect(html).toContain("read → 2");
    expect(html).toContain("write 1");
    expect(html.match(/class="bar /g)).toHaveLength(2);
  });
});

describe("shoal check", () => {
  it("exits 0 on a linearizable history and 1 on a violation, writing HTML on request", () => {
    const good = generateHistory({
      model: "register",
      seed: 5,
      operationCount: 60,
      clientCount: 4,
      unknownProbability: 0,
      unknownCountMax: 0,
      keyCount: 1,
      permits: 1,
      inFlightTarget: 3,
    });
    expect(run(file("good.jsonl", good)).code).toBe(checkExitCode.ok);
    const html = join(folder, "bad.html");
    const bad = run(file("bad.jsonl", illegal), { html });
    expect(bad.code).toBe(checkExitCode.illegal);
    expect(bad.out).toContain('smallest failing object: key "b"');
    expect(readFileSync(html, "utf8")).toContain("<!DOCTYPE html>");
  });

  it("exits 2 on bad input, naming the line", () => {
    const path = join(folder, "broken.jsonl");
    writeFileSync(path, `${historyToJsonl(illegal.slice(0, 2))}{"type":"ok"\n`);
    const result = run(path);
    expect(result.code).toBe(checkExitCode.badInput);
    expect(result.err).toContain("line 3");
    expect(run(path, { model: "no-such-model" }).code).toBe(checkExitCode.badInput);
    const objectWrite = file("object.jsonl", [
      { type: "invoke", process: 0, f: "write", value: { a: 1 }, time: 0 },
    ]);
    const model = run(objectWrite);
    expect(model.code).toBe(checkExitCode.badInput);
    expect(model.err).toContain("line 1: register: write takes a scalar");
    expect(run(join(folder, "history.unknown-extension")).code).toBe(checkExitCode.badInput);
  });

  it("exits 3 when the budget runs out", () => {
    // Eighteen concurrent writes and a read of a value nobody wrote: the search must try every
    // subset before it can say "illegal", far past a 1 ms budget.
    const events: HistoryEvent[] = [];
    for (let p = 0; p < 18; p++)
      events.push({ type: "invoke", process: p, f: "write", value: p, time: events.length });
    events.push({ type: "invoke", process: 99, f: "read", value: null, time: events.length });
    events.push({ type: "ok", process: 99, f: "read", value: -1, time: events.length });
    for (let p = 0; p < 18; p++) events.push({ type: "ok", process: p, f: "write", time: events.length });
    const result = run(file("slow.jsonl", events), { timeoutSeconds: 0.001 });
    expect(result.code).toBe(checkExitCode.unknown);
    expect(result.out).toMatch(/^unknown/);
  });

  it("runs as a real process", () => {
    const root = resolve(import.meta.dirname, "..", "..");
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "check", file("spawn.jsonl", illegal), "--model", "register"],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    expect(child.status).toBe(checkExitCode.illegal);
    expect(child.stdout).toMatch(/^illegal \(model register\)/);
    const usage = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "check", "x.jsonl", "--timeout", "-1"],
      {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(usage.status).toBe(checkExitCode.badInput);
  }, 60_000);
});
