// Jepsen's `unique-ids` checker: every acknowledged `generate` (any operation name) returns an id
// no other acknowledged operation returned.

import type { HistoryOperation } from "../operation.js";
import { type StructuralResult, structuralResult, valueKey } from "./result.js";

/** Checks that acknowledged operations returned pairwise distinct values. */
export function checkUniqueIds(operations: readonly HistoryOperation[]): StructuralResult {
  const seen = new Map<string, number>();
  let acknowledged = 0;
  for (const op of operations) {
    if (op.outcome !== "ok" || op.output === undefined) continue;
    acknowledged += 1;
    const id = valueKey(op.output);
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const duplicated = [...seen].filter(([, count]) => count > 1).map(([id, count]) => `${id} ×${count}`);
  return structuralResult("unique-ids", { duplicated }, ["duplicated"], { acknowledged });
}
