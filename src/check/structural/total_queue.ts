// Jepsen's `total-queue` checker: every element enqueued comes out. `enqueue x`, `dequeue`
// (returns an element, or nil when empty) and `drain` (returns an array of the rest). Lost: an
// acknowledged enqueue never dequeued. Unexpected: a dequeued element never enqueued. Both are
// fatal; duplicated (dequeued more often than enqueued) and recovered (enqueue of unknown outcome,
// yet dequeued) are reported.

import type { HistoryOperation } from "../operation.js";
import { type StructuralResult, structuralResult, valueKey } from "./result.js";

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Checks a queue history as a multiset: nothing lost, nothing invented. */
export function checkTotalQueue(operations: readonly HistoryOperation[]): StructuralResult {
  const attempted = new Map<string, number>();
  const acknowledged = new Set<string>();
  const dequeued = new Map<string, number>();
  for (const op of operations) {
    if (op.outcome === "fail") continue;
    if (op.f === "enqueue") {
      increment(attempted, valueKey(op.input));
      if (op.outcome === "ok") acknowledged.add(valueKey(op.input));
    } else if (op.outcome === "ok" && op.f === "dequeue" && op.output !== null && op.output !== undefined) {
      increment(dequeued, valueKey(op.output));
    } else if (op.outcome === "ok" && op.f === "drain" && Array.isArray(op.output)) {
      for (const element of op.output) increment(dequeued, valueKey(element));
    }
  }
  const lost = [...acknowledged].filter((element) => !dequeued.has(element));
  const unexpected = [...dequeued.keys()].filter((element) => !attempted.has(element));
  const duplicated = [...dequeued]
    .filter(([element, count]) => attempted.has(element) && count > attempted.get(element)!)
    .map(([element, count]) => `${element} ×${count}`);
  const recovered = [...dequeued.keys()].filter((e) => attempted.has(e) && !acknowledged.has(e));
  return structuralResult(
    "total-queue",
    { lost, unexpected, duplicated, recovered },
    ["lost", "unexpected"],
    {
      acknowledged: acknowledged.size,
    },
  );
}
