// Jepsen's `set` checker: `add x` operations, then a final `read` returning every element. Valid
// when the final read holds every acknowledged add and nothing that was never added.

import type { HistoryOperation } from "../operation.js";
import { type StructuralResult, structuralResult, valueKey } from "./result.js";

/** Checks a set history: adds, then reads; the read that completed last is the final one. */
export function checkSet(operations: readonly HistoryOperation[]): StructuralResult {
  const reads = operations.filter((op) => op.f === "read" && op.outcome === "ok" && Array.isArray(op.output));
  if (reads.length === 0) {
    return { checker: "set", verdict: "unknown", summary: "no successful read", counts: {}, examples: {} };
  }
  const final = reads.reduce((last, read) => (read.returnTime > last.returnTime ? read : last));
  const observed = new Set((final.output as unknown[]).map(valueKey));
  const attempted = new Set<string>();
  const acknowledged = new Set<string>();
  for (const op of operations) {
    if (op.f !== "add" || op.outcome === "fail") continue;
    attempted.add(valueKey(op.input));
    if (op.outcome === "ok") acknowledged.add(valueKey(op.input));
  }
  const lost = [...acknowledged].filter((element) => !observed.has(element));
  const unexpected = [...observed].filter((element) => !attempted.has(element));
  const recovered = [...observed].filter((element) => attempted.has(element) && !acknowledged.has(element));
  return structuralResult("set", { lost, unexpected, recovered }, ["lost", "unexpected"], {
    acknowledged: acknowledged.size,
    observed: observed.size,
  });
}
