// Goal: agree with every published verdict on the peer suite (Porcupine's Jepsen etcd and kv
// histories, ../shared/peer-histories): 102 etcd histories as cas-register, 6 kv histories as kv.
// Method: parse each file with the shipped parsers, check it with no time budget, compare with
// VERDICTS; print the time for all 102. etcd_095.log (empty, no published verdict) must terminate.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkHistory, checkOptionsDefault, modelByName, parseHistory } from "../../src/check/index.js";

// The peer suite sits beside the repository (issue 2 names it ../shared/peer-histories);
// SHOAL_PEER_HISTORIES points elsewhere.
const root =
  process.env.SHOAL_PEER_HISTORIES ??
  resolve(import.meta.dirname, "..", "..", "..", "shared", "peer-histories");

function verdicts(folder: string): [string, string][] {
  return readFileSync(join(root, folder, "VERDICTS"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.trim().split(/\s+/) as [string, string]);
}

describe("peer histories", () => {
  it("agrees with all 102 etcd verdicts", () => {
    const model = modelByName("cas-register", { permits: 1 })!;
    const entries = verdicts("jepsen-etcd").filter(
      ([, verdict]) => verdict === "true" || verdict === "false",
    );
    expect(entries).toHaveLength(102);
    const disagreements: string[] = [];
    const startMs = performance.now();
    for (const [file, linearizable] of entries) {
      const operations = parseHistory(readFileSync(join(root, "jepsen-etcd", file), "utf8"), "jepsen");
      const result = checkHistory(model, operations, checkOptionsDefault());
      const expected = linearizable === "true" ? "ok" : "illegal";
      if (result.verdict !== expected) disagreements.push(`${file}: ${result.verdict}, expected ${expected}`);
    }
    const elapsedMs = performance.now() - startMs;
    console.log(`102 etcd histories checked in ${elapsedMs.toFixed(0)} ms`);
    expect(disagreements).toEqual([]);
  }, 60_000);

  it("terminates on etcd_095.log, which has no published verdict", () => {
    const model = modelByName("cas-register", { permits: 1 })!;
    const text = readFileSync(join(root, "jepsen-etcd", "etcd_095.log"), "utf8");
    const result = checkHistory(model, parseHistory(text, "jepsen"), {
      timeoutMs: 10_000,
      nowMs: () => performance.now(),
    });
    console.log(`etcd_095.log: ${result.verdict} (${result.operationCount} operations)`);
    // The file is empty: an empty history is trivially linearizable.
    expect(result.operationCount).toBe(0);
    expect(result.verdict).toBe("ok");
  });

  it("agrees with all 6 kv verdicts, checking key by key", () => {
    const model = modelByName("kv", { permits: 1 })!;
    const entries = verdicts("kv");
    expect(entries).toHaveLength(6);
    const startMs = performance.now();
    for (const [file, linearizable] of entries) {
      const operations = parseHistory(readFileSync(join(root, "kv", file), "utf8"), "edn");
      const result = checkHistory(model, operations, checkOptionsDefault());
      expect(result.verdict, file).toBe(linearizable === "true" ? "ok" : "illegal");
      expect(result.partitionCount, file).toBeGreaterThan(1);
      if (result.verdict === "illegal") expect(result.failure, file).not.toBeNull();
    }
    console.log(`6 kv histories checked in ${(performance.now() - startMs).toFixed(0)} ms`);
  }, 60_000);
});
