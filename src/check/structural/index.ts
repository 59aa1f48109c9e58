// The structural checkers by the name `shoal check --model` takes.

import type { HistoryOperation } from "../operation.js";
import { checkCounterBounds } from "./counter_bounds.js";
import type { StructuralResult } from "./result.js";
import { checkSet } from "./set.js";
import { checkSetFull } from "./set_full.js";
import { checkTotalQueue } from "./total_queue.js";
import { checkUniqueIds } from "./unique_ids.js";

/** Every structural checker by name. */
export const structuralCheckers: Readonly<
  Record<string, (operations: readonly HistoryOperation[]) => StructuralResult>
> = {
  set: checkSet,
  "set-full": checkSetFull,
  "counter-bounds": checkCounterBounds,
  "unique-ids": checkUniqueIds,
  "total-queue": checkTotalQueue,
};

export { checkCounterBounds, checkSet, checkSetFull, checkTotalQueue, checkUniqueIds };
export type { StructuralResult } from "./result.js";
