// Linearizable reads without a log write (thesis §6.4, H4). The leader records the commit index
// when a read arrives, then confirms it is still the leader with a heartbeat round whose context
// numbers the read; once a quorum acknowledged that context (or a later one) the read index is
// released. Reads that arrive before the leader committed an entry of its own term wait: until then
// its commit index may lag what an earlier leader committed. Reads that arrive between two flushes
// of the leader share the context of the one round sent at the next flush (never an earlier round),
// so a batch of reads costs one round. A retried request is a new read with a new context, so it
// never reuses an old read index (etcd#20418).

import { assert } from "../../lib/assert.js";
import type { LogIndex, NodeId } from "../../types.js";

/** A read waiting for its heartbeat quorum. */
export interface PendingRead {
  readonly context: number;
  readonly requestId: string;
  readonly from: NodeId;
  readonly index: LogIndex;
}

/** A read waiting for the first commit of the leader's term. */
export interface PostponedRead {
  readonly requestId: string;
  readonly from: NodeId;
}

/** The leader's read queues. Both are bounded by `pendingReadsMax`. */
export class ReadOnly {
  private pending: PendingRead[] = [];
  private postponed: PostponedRead[] = [];

  constructor(private readonly pendingReadsMax: number) {
    assert(pendingReadsMax > 0, "pendingReadsMax must be positive");
  }

  /** Queues a read confirmed by heartbeat `context`; false when the queue is full. */
  add(read: PendingRead): boolean {
    if (this.pending.length >= this.pendingReadsMax) return false;
    const last = this.pending[this.pending.length - 1];
    assert(last === undefined || last.context <= read.context, "read contexts never decrease");
    this.pending.push(read);
    return true;
  }

  /** Queues a read until the term's first commit; false when the queue is full. */
  postpone(read: PostponedRead): boolean {
    if (this.postponed.length >= this.pendingReadsMax) return false;
    this.postponed.push(read);
    return true;
  }

  /** Takes every postponed read, in arrival order. */
  takePostponed(): PostponedRead[] {
    const taken = this.postponed;
    this.postponed = [];
    return taken;
  }

  /**
   * Releases every read whose context (or a later one) a quorum has acknowledged. Contexts never
   * decrease along the queue and reads of one round share one, so each distinct context is asked
   * about once.
   */
  release(isConfirmed: (context: number) => boolean): PendingRead[] {
    let confirmed = -1;
    let refused = Number.POSITIVE_INFINITY;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const context = this.pending[i]!.context;
      if (context === refused) continue;
      if (isConfirmed(context)) {
        confirmed = i;
        break;
      }
      refused = context;
    }
    if (confirmed < 0) return [];
    return this.pending.splice(0, confirmed + 1);
  }

  /** Drops every queued read (leadership lost: the callers time out and retry). */
  clear(): void {
    this.pending = [];
    this.postponed = [];
  }

  pendingCount(): number {
    return this.pending.length + this.postponed.length;
  }
}
