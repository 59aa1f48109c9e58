// Jepsen's `counter` checker: `add d` (or `incr`, d = 1) and `read`. Each read must lie between
// what surely happened before it began and what may have happened before it ended: for positive
// deltas, acknowledged adds completed before the read's invoke up to adds invoked before its
// completion; negative deltas bound the other way round.

import type { HistoryOperation } from "../operation.js";
import { type StructuralResult, structuralResult } from "./result.js";

interface Point {
  readonly time: number;
  readonly apply: () => void;
}

/** Checks that every read of a counter lies within the bounds its concurrent adds allow. */
export function checkCounterBounds(operations: readonly HistoryOperation[]): StructuralResult {
  const sums = { okPositive: 0, okNegative: 0, attemptedPositive: 0, attemptedNegative: 0 };
  const points: Point[] = [];
  const outOfBounds: string[] = [];
  let readCount = 0;
  for (const op of operations) {
    if (op.outcome === "fail") continue;
    if (op.f === "add" || op.f === "incr") {
      const delta = op.input === undefined || op.input === null ? 1 : Number(op.input);
      points.push({
        time: op.callTime,
        apply: () => (delta >= 0 ? (sums.attemptedPositive += delta) : (sums.attemptedNegative += delta)),
      });
      if (op.outcome === "ok") {
        points.push({
          time: op.returnTime,
          apply: () => (delta >= 0 ? (sums.okPositive += delta) : (sums.okNegative += delta)),
        });
      }
    } else if (op.f === "read" && op.outcome === "ok") {
      readCount += 1;
      let lowerBase = 0;
      let upperBase = 0;
      points.push({
        time: op.callTime,
        apply: () => {
          lowerBase = sums.okPositive;
          upperBase = sums.okNegative;
        },
      });
      points.push({
        time: op.returnTime,
        apply: () => {
          const lower = lowerBase + sums.attemptedNegative;
          const upper = upperBase + sums.attemptedPositive;
          const value = Number(op.output);
          if (!(value >= lower && value <= upper)) {
            outOfBounds.push(`line ${op.line}: read ${value} outside [${lower}, ${upper}]`);
          }
        },
      });
    }
  }
  points.sort((a, b) => a.time - b.time);
  for (const point of points) point.apply();
  return structuralResult("counter-bounds", { "out-of-bounds": outOfBounds }, ["out-of-bounds"], {
    reads: readCount,
  });
}
