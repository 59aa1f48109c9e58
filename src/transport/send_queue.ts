// A per-peer outbound queue with two limits, frames and bytes (STYLE.md example 2). Reaching either
// is the result "full", which the caller handles (gossip drops, Raft retries later, a client fails
// the request); the queue never drops silently and never grows past its limits.

import { assert } from "../lib/assert.js";
import { BoundedQueue } from "../lib/bounded_queue.js";

/** The limits of one {@link SendQueue}. */
export interface SendQueueLimits {
  /** Most frames queued. */
  readonly framesMax: number;
  /** Most payload bytes queued, so one large frame cannot hide behind `framesMax`. */
  readonly bytesMax: number;
}

/** The outcome of {@link SendQueue.enqueue}. */
export type EnqueueResult = "queued" | "full";

/** A bounded FIFO of frame payloads. */
export class SendQueue {
  private readonly frames: BoundedQueue<Uint8Array>;
  private bytesQueued = 0;

  constructor(private readonly limits: SendQueueLimits) {
    assert(Number.isSafeInteger(limits.framesMax) && limits.framesMax > 0);
    assert(Number.isSafeInteger(limits.bytesMax) && limits.bytesMax > 0);
    this.frames = new BoundedQueue(limits.framesMax);
  }

  /** Frames queued. */
  get frameCount(): number {
    return this.frames.size;
  }

  /** Payload bytes queued. */
  get byteCount(): number {
    return this.bytesQueued;
  }

  /** Queues `payload` (the queue keeps the reference: pass a copy you will not mutate). */
  enqueue(payload: Uint8Array): EnqueueResult {
    assert(payload.byteLength > 0, "a frame carries at least one byte");
    if (this.frames.isFull) return "full";
    if (this.bytesQueued + payload.byteLength > this.limits.bytesMax) return "full";
    const pushed = this.frames.push(payload);
    assert(pushed === "queued");
    this.bytesQueued += payload.byteLength;
    return "queued";
  }

  /** Removes whole frames, oldest first, until the next would take the batch past `bytesBudget`. */
  dequeue(bytesBudget: number): Uint8Array[] {
    assert(bytesBudget > 0);
    const batch: Uint8Array[] = [];
    let batchBytes = 0;
    for (let head = this.frames.peek(); head !== undefined; head = this.frames.peek()) {
      // The first frame always goes, so a frame larger than the budget cannot block the queue.
      if (batch.length > 0 && batchBytes + head.byteLength > bytesBudget) break;
      this.frames.shift();
      batch.push(head);
      batchBytes += head.byteLength;
    }
    this.bytesQueued -= batchBytes;
    assert(this.bytesQueued >= 0);
    assert(this.frames.size > 0 || this.bytesQueued === 0);
    return batch;
  }

  /** Drops every queued frame and returns how many were dropped. */
  clear(): number {
    const dropped = this.frames.size;
    this.frames.drain();
    this.bytesQueued = 0;
    return dropped;
  }
}
