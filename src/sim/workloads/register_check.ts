// Checks a simulated history against the cas-register model of src/check, with a wall-clock budget.
// Kept apart from the workload so every register-like workload reports verdicts the same way.

import { casRegisterModel, checkHistory, type HistoryEvent, pairEvents } from "../../check/index.js";

/** The checker's verdict on one history, with a one-line reason when it is not `ok`. */
export interface RegisterCheck {
  readonly verdict: "ok" | "illegal" | "unknown";
  readonly detail: string;
  readonly elapsedMs: number;
}

/** Checks `events` as a cas-register history within `timeoutMs` of wall time. */
export function checkRegisterHistory(events: readonly HistoryEvent[], timeoutMs: number): RegisterCheck {
  const operations = pairEvents(events.map((event, i) => ({ event, line: i + 1 })));
  const result = checkHistory(casRegisterModel(), operations, { timeoutMs, nowMs: () => performance.now() });
  let detail = "";
  if (result.failure !== null) {
    const failure = result.failure;
    const stuck = failure.stuck.map((position) => failure.operations[position]?.description ?? "?");
    detail =
      `no linearization of ${failure.operations.length} operations; longest prefix ` +
      `${failure.linearization.length}, then stuck at: ${stuck.slice(0, 3).join("; ")}`;
  } else if (result.verdict === "unknown") detail = `check ran out of its ${timeoutMs} ms budget`;
  return { verdict: result.verdict, detail, elapsedMs: result.elapsedMs };
}
