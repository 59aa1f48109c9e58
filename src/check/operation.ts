// Operations: a history's invoke and completion events paired per process. The checker, the
// models, the reports and the structural checkers all read operations, never raw events.

import { BadInputError } from "../errors.js";
import type { HistoryEvent } from "./history.js";

/** A history event together with the 1-based line it came from, for error messages. */
export interface LocatedEvent {
  readonly event: HistoryEvent;
  readonly line: number;
}

/** Malformed history input; `line` is 1-based (0 when the problem is not tied to one line). */
export class HistoryInputError extends BadInputError {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(line > 0 ? `line ${line}: ${reason}` : reason);
  }
}

/** How an operation ended: `ok` took effect, `fail` surely did not, `unknown` may or may not have. */
export type Outcome = "ok" | "fail" | "unknown";

/**
 * One operation of a history. `callTime` and `returnTime` are positions in the event sequence (only
 * their order matters); an operation of unknown outcome returns at +Infinity: it may take effect
 * anywhere after its invoke, or never.
 */
export interface HistoryOperation {
  /** 0-based position among the history's operations, in invoke order. */
  readonly index: number;
  readonly process: number;
  readonly f: string;
  /** The object the operation touches, or null for a single-object history. */
  readonly key: string | null;
  /** The invoke's value. */
  readonly input: unknown;
  /** The completion's value; `undefined` when the completion omitted it or there was none. */
  readonly output: unknown;
  readonly outcome: Outcome;
  readonly callTime: number;
  readonly returnTime: number;
  /** Line of the invoke, for messages. */
  readonly line: number;
}

interface OpenOperation {
  readonly event: HistoryEvent;
  readonly line: number;
  readonly callTime: number;
  readonly index: number;
}

/**
 * Pairs invokes with completions. Throws {@link HistoryInputError} naming the line on a completion
 * with no open invoke, a second invoke on a busy process, or a completion whose `f` differs from
 * its invoke's. Invokes left open at the end are operations of unknown outcome.
 */
export function pairEvents(events: readonly LocatedEvent[]): HistoryOperation[] {
  const open = new Map<number, OpenOperation>();
  const operations: (HistoryOperation | null)[] = [];
  for (let position = 0; position < events.length; position++) {
    const { event, line } = events[position]!;
    const pending = open.get(event.process);
    if (event.type === "invoke") {
      if (pending !== undefined) {
        throw new HistoryInputError(
          line,
          `process ${event.process} invokes while its operation from line ${pending.line} is still open`,
        );
      }
      open.set(event.process, { event, line, callTime: position, index: operations.length });
      operations.push(null);
      continue;
    }
    if (pending === undefined) {
      throw new HistoryInputError(line, `${event.type} for process ${event.process} with no open invoke`);
    }
    if (pending.event.f !== event.f) {
      throw new HistoryInputError(
        line,
        `completion :${event.f} does not match the invoke :${pending.event.f} on line ${pending.line}`,
      );
    }
    open.delete(event.process);
    const outcome: Outcome = event.type === "ok" ? "ok" : event.type === "fail" ? "fail" : "unknown";
    operations[pending.index] = build(
      pending,
      event.value,
      outcome,
      outcome === "unknown" ? Infinity : position,
    );
  }
  for (const pending of open.values()) {
    operations[pending.index] = build(pending, undefined, "unknown", Infinity);
  }
  return operations.map((operation) => {
    if (operation === null) throw new HistoryInputError(0, "internal: an operation was not paired");
    return operation;
  });
}

function build(
  pending: OpenOperation,
  output: unknown,
  outcome: Outcome,
  returnTime: number,
): HistoryOperation {
  const { event } = pending;
  return {
    index: pending.index,
    process: event.process,
    f: event.f,
    key: event.key ?? null,
    input: event.value,
    output,
    outcome,
    callTime: pending.callTime,
    returnTime,
    line: pending.line,
  };
}
