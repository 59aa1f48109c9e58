// The history format every recorder writes and every checker reads: Shoal's JSONL, one event per
// line, in the order events happened. It mirrors Jepsen's event log: an operation is an `invoke`
// followed later by its completion from the same process (`ok`, `fail`, or `info` when the outcome
// is unknown, e.g. a timeout). An invoke with no completion is unknown too. A process never has two
// operations open at once; after an `info` it issues nothing more (a recorder gives the client a
// new process number instead).

/** The kind of a history event. */
export type EventType = "invoke" | "ok" | "fail" | "info";

/**
 * One line of a history. `f` names the operation (`read`, `write`, `cas`, `incr`, `acquire`,
 * `enqueue`...), `key` partitions the history for per-key checking (absent for single-object
 * histories), `value` is the input on invoke and the output on completion (a completion may omit it
 * to mean "same as the input"), and `time` is the event's time in milliseconds (virtual in the
 * simulator, monotonic in real runs; only the order of events matters to the checker).
 */
export interface HistoryEvent {
  readonly type: EventType;
  readonly process: number;
  readonly f: string;
  readonly key?: string;
  readonly value?: unknown;
  readonly time: number;
}

/** Serialises events as JSONL (one JSON object per line, trailing newline). */
export function historyToJsonl(events: readonly HistoryEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join("\n") + (events.length > 0 ? "\n" : "");
}
