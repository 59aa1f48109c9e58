// Records a history of client operations (src/check/history.ts) as the simulated clients run them,
// with virtual time. A client is named by the test; the recorder maps it to Jepsen's process
// numbers: a process has at most one operation open, and after an `info` completion (outcome
// unknown) the client continues as a new process, because the old one may still be acting on its
// behalf. Operations left open at the end stay as a bare invoke, which checkers read as unknown.

import { assert } from "../lib/assert.js";
import { type HistoryEvent, historyToJsonl } from "../check/history.js";

/** Most events one history may hold; beyond it the workload is too long to check anyway. */
export const historyEventsMax = 1_000_000;

/** An operation that has been invoked and not yet completed. */
export interface OpenOperation {
  readonly client: string;
  readonly process: number;
  readonly f: string;
  readonly key: string | undefined;
  readonly value: unknown;
}

/** Builds a history in the order events happen. */
export class HistoryRecorder {
  private readonly history: HistoryEvent[] = [];
  private readonly processOf = new Map<string, number>();
  private readonly open = new Map<number, OpenOperation>();
  private nextProcess = 0;

  /** `nowMs` gives the time stamped on each event (virtual time in the simulator). */
  constructor(private readonly nowMs: () => number) {}

  /** Records the invocation of `f` by `client` and returns the handle to complete it with. */
  invoke(client: string, f: string, value: unknown, key?: string): OpenOperation {
    assert(this.history.length < historyEventsMax, `history longer than ${historyEventsMax} events`);
    let process = this.processOf.get(client);
    if (process === undefined) {
      process = this.nextProcess++;
      this.processOf.set(client, process);
    }
    assert(!this.open.has(process), `client ${client} invoked ${f} with an operation still open`);
    const operation: OpenOperation = { client, process, f, key, value };
    this.open.set(process, operation);
    this.push("invoke", operation, value);
    return operation;
  }

  /** Records a successful completion; `value` is the output (a read's value), if any. */
  ok(operation: OpenOperation, value?: unknown): void {
    this.complete(operation, "ok", value === undefined ? operation.value : value);
  }

  /** Records a definite failure: the operation did not take effect. */
  fail(operation: OpenOperation, value?: unknown): void {
    this.complete(operation, "fail", value === undefined ? operation.value : value);
  }

  /** Records an unknown outcome (timeout, crash); the client continues as a new process. */
  info(operation: OpenOperation): void {
    this.complete(operation, "info", operation.value);
    this.processOf.set(operation.client, this.nextProcess++);
  }

  /** Whether `client` has an operation open. */
  isOpen(client: string): boolean {
    const process = this.processOf.get(client);
    return process !== undefined && this.open.has(process);
  }

  /** The events so far, in order. The caller must not change them. */
  get events(): readonly HistoryEvent[] {
    return this.history;
  }

  /** Counts of completions by type, and of operations still open. */
  counts(): { invoke: number; ok: number; fail: number; info: number; open: number } {
    const counts = { invoke: 0, ok: 0, fail: 0, info: 0, open: this.open.size };
    for (const event of this.history) counts[event.type] += 1;
    return counts;
  }

  /** The history as JSONL, the format `shoal check --format jsonl` reads. */
  toJsonl(): string {
    return historyToJsonl(this.history);
  }

  private complete(operation: OpenOperation, type: "ok" | "fail" | "info", value: unknown): void {
    assert(this.open.get(operation.process) === operation, `completion of an operation that is not open`);
    this.open.delete(operation.process);
    this.push(type, operation, value);
  }

  private push(type: HistoryEvent["type"], operation: OpenOperation, value: unknown): void {
    const time = this.nowMs();
    const last = this.history[this.history.length - 1];
    assert(last === undefined || time >= last.time, "history time went backwards");
    const event: HistoryEvent = {
      type,
      process: operation.process,
      f: operation.f,
      ...(operation.key === undefined ? {} : { key: operation.key }),
      ...(value === undefined ? {} : { value }),
      time,
    };
    this.history.push(event);
  }
}
