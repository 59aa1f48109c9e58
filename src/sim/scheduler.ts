// The simulator's single thread of virtual time: a heap of events ordered by (time, sequence).
// Events at the same time run in the order they were scheduled, so a run depends only on its seed.
// Nothing here sleeps: running an event jumps virtual time to it.

import { assert } from "../lib/assert.js";

/** Identifies a scheduled event for cancellation. */
export type EventId = number;

interface ScheduledEvent {
  readonly timeMs: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Runs callbacks in virtual time. Single-threaded and deterministic. */
export class SimScheduler {
  private heap: ScheduledEvent[] = [];
  private readonly byId = new Map<EventId, ScheduledEvent>();
  private sequence = 0;
  private currentMs = 0;
  private processed = 0;

  /** Virtual milliseconds since the start of the run. */
  get nowMs(): number {
    return this.currentMs;
  }

  /** Number of events run so far. */
  get eventsProcessed(): number {
    return this.processed;
  }

  /** Number of events waiting (cancelled ones included until they surface). */
  get pendingCount(): number {
    return this.heap.length;
  }

  /** Schedules `callback` at virtual time `timeMs` (not before now). */
  at(timeMs: number, callback: () => void): EventId {
    assert(Number.isFinite(timeMs), `event time must be finite, got ${timeMs}`);
    const event: ScheduledEvent = {
      timeMs: Math.max(timeMs, this.currentMs),
      sequence: this.sequence++,
      callback,
      cancelled: false,
    };
    this.heapPush(event);
    this.byId.set(event.sequence, event);
    return event.sequence;
  }

  /** Schedules `callback` after `delayMs` of virtual time. */
  after(delayMs: number, callback: () => void): EventId {
    assert(delayMs >= 0, `delay must be non-negative, got ${delayMs}`);
    return this.at(this.currentMs + delayMs, callback);
  }

  /** Cancels an event that has not run yet; cancelling twice or after it ran is harmless. */
  cancel(id: EventId): void {
    const event = this.byId.get(id);
    if (event === undefined) return;
    event.cancelled = true;
    this.byId.delete(id);
  }

  /** Runs the next event, if any. Returns false when nothing is left. */
  step(): boolean {
    for (;;) {
      const event = this.heapPop();
      if (event === undefined) return false;
      if (event.cancelled) continue;
      this.byId.delete(event.sequence);
      assert(event.timeMs >= this.currentMs, "virtual time went backwards");
      this.currentMs = event.timeMs;
      this.processed += 1;
      event.callback();
      return true;
    }
  }

  /** Runs every event up to and including `timeMs`, then sets the time to `timeMs`. */
  runUntil(timeMs: number, eventsMax = Number.POSITIVE_INFINITY): void {
    assert(timeMs >= this.currentMs, "cannot run backwards");
    let count = 0;
    for (;;) {
      const next = this.peekLive();
      if (next === undefined || next.timeMs > timeMs) break;
      assert(count < eventsMax, `more than ${eventsMax} events before ${timeMs} ms: a livelock?`);
      this.step();
      count += 1;
    }
    this.currentMs = timeMs;
  }

  /** Runs for `durationMs` of virtual time from now. */
  runFor(durationMs: number, eventsMax?: number): void {
    this.runUntil(this.currentMs + durationMs, eventsMax);
  }

  /**
   * Runs events until `done()` holds (checked after each event) or virtual time passes
   * `deadlineMs`. Returns whether `done()` held.
   */
  runUntilCondition(done: () => boolean, deadlineMs: number): boolean {
    if (done()) return true;
    for (;;) {
      const next = this.peekLive();
      if (next === undefined || next.timeMs > deadlineMs) {
        this.currentMs = Math.max(this.currentMs, deadlineMs);
        return done();
      }
      this.step();
      if (done()) return true;
    }
  }

  private peekLive(): ScheduledEvent | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.heapPop();
    return this.heap[0];
  }

  private static before(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.sequence < b.sequence);
  }

  private heapPush(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!SimScheduler.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private heapPop(): ScheduledEvent | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && SimScheduler.before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && SimScheduler.before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
