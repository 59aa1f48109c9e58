// A FIFO ring buffer with a fixed capacity. Reaching the limit is a result the caller handles
// ("full"), never silent growth or a silent drop (STYLE.md rule 17).

import { assert } from "./assert.js";

/** The outcome of {@link BoundedQueue.push}. */
export type PushResult = "queued" | "full";

/** A first-in first-out queue of at most `capacity` items, O(1) at both ends. */
export class BoundedQueue<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, `capacity must be positive, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  /** Number of queued items. */
  get size(): number {
    return this.length;
  }

  /** Whether no item is queued. */
  get isEmpty(): boolean {
    return this.length === 0;
  }

  /** Whether the queue holds `capacity` items. */
  get isFull(): boolean {
    return this.length === this.capacity;
  }

  /** Appends `item` at the tail, or returns "full" and leaves the queue unchanged. */
  push(item: T): PushResult {
    if (this.length === this.capacity) return "full";
    this.slots[(this.head + this.length) % this.capacity] = item;
    this.length += 1;
    return "queued";
  }

  /** Removes and returns the head item, or undefined when empty. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length -= 1;
    assert(this.length >= 0);
    return item;
  }

  /** Returns the head item without removing it. */
  peek(): T | undefined {
    return this.length === 0 ? undefined : this.slots[this.head];
  }

  /** Removes and returns up to `countMax` items from the head, oldest first. */
  drain(countMax = this.length): T[] {
    assert(countMax >= 0);
    const out: T[] = [];
    while (out.length < countMax && this.length > 0) out.push(this.shift() as T);
    return out;
  }

  /** Iterates the queued items, oldest first, without removing them. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.slots[(this.head + i) % this.capacity] as T;
  }
}
