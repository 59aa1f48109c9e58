// Jepsen's `set-full` checker: adds and reads interleave, and every element is judged on its own.
// An element is known once its add is acknowledged or a read first shows it. Then:
// - lost: a read that began after the last read showing it (and after it was known) misses it;
// - stale: some read that began after it was known missed it, yet a later read showed it;
// - never-read: no read began after it was known;
// - stable: otherwise. Unexpected elements (read but never added) are fatal too.

import type { HistoryOperation } from "../operation.js";
import { type StructuralResult, structuralResult, valueKey } from "./result.js";

interface Read {
  readonly callTime: number;
  readonly returnTime: number;
  readonly elements: ReadonlySet<string>;
}

interface Judgement {
  readonly lost: string[];
  readonly stale: string[];
  readonly neverRead: string[];
  readonly stable: string[];
}

function judge(element: string, known: number, reads: readonly Read[], out: Judgement): void {
  let lastPresentReturn = -Infinity;
  for (const read of reads) {
    if (read.elements.has(element)) lastPresentReturn = Math.max(lastPresentReturn, read.returnTime);
  }
  const after = reads.filter((read) => read.callTime > known);
  if (after.length === 0) {
    out.neverRead.push(element);
    return;
  }
  const absent = after.filter((read) => !read.elements.has(element));
  if (absent.some((read) => read.callTime > lastPresentReturn)) out.lost.push(element);
  else if (absent.length > 0) out.stale.push(element);
  else out.stable.push(element);
}

/** Checks a set history where reads and adds interleave. */
export function checkSetFull(operations: readonly HistoryOperation[]): StructuralResult {
  const reads: Read[] = operations
    .filter((op) => op.f === "read" && op.outcome === "ok" && Array.isArray(op.output))
    .map((op) => ({
      callTime: op.callTime,
      returnTime: op.returnTime,
      elements: new Set((op.output as unknown[]).map(valueKey)),
    }));
  const known = new Map<string, number>();
  const attempted = new Set<string>();
  for (const op of operations) {
    if (op.f !== "add" || op.outcome === "fail") continue;
    attempted.add(valueKey(op.input));
    if (op.outcome === "ok") known.set(valueKey(op.input), op.returnTime);
  }
  const unexpected = new Set<string>();
  for (const read of reads) {
    for (const element of read.elements) {
      if (!attempted.has(element)) unexpected.add(element);
      else if ((known.get(element) ?? Infinity) > read.returnTime) known.set(element, read.returnTime);
    }
  }
  const out: Judgement = { lost: [], stale: [], neverRead: [], stable: [] };
  for (const [element, time] of known) judge(element, time, reads, out);
  return structuralResult(
    "set-full",
    { lost: out.lost, unexpected: [...unexpected], stale: out.stale, "never-read": out.neverRead },
    ["lost", "unexpected"],
    { stable: out.stable.length },
  );
}
