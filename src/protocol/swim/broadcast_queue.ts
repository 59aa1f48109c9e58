// The dissemination queue (memberlist's TransmitLimitedQueue). It holds at most one update per
// member: a newer update about a member replaces the older one, so stale news is never sent.
// Updates are handed out least-transmitted first, newest first among equals, until the packet's
// byte budget is used; an update is dropped after `retransmitLimit` transmissions.

import { assert } from "../../lib/assert.js";
import type { NodeId } from "../../types.js";
import { piggybackCountMax, type Update, updateSizeBytes } from "./messages.js";

interface QueuedUpdate {
  readonly update: Update;
  readonly sizeBytes: number;
  /** Insertion order: higher is newer. */
  readonly order: number;
  transmits: number;
}

/** Updates waiting to be piggybacked, at most one per member and at most `capacity` in all. */
export class BroadcastQueue {
  private readonly byMember = new Map<NodeId, QueuedUpdate>();
  private order = 0;

  /** Creates a queue of at most `capacity` updates. */
  constructor(readonly capacity: number) {
    assert(capacity >= 1, "broadcast queue capacity must be positive");
  }

  /** Number of queued updates. */
  get size(): number {
    return this.byMember.size;
  }

  /**
   * Queues `update`, replacing any queued update about the same member. When full, the most
   * transmitted (oldest among equals) update is shed to make room: it has done most of its work.
   */
  enqueue(update: Update): void {
    this.byMember.delete(update.member);
    if (this.byMember.size >= this.capacity) this.shedOne();
    this.order += 1;
    this.byMember.set(update.member, {
      update,
      sizeBytes: updateSizeBytes(update),
      order: this.order,
      transmits: 0,
    });
    assert(this.byMember.size <= this.capacity, "broadcast queue over capacity");
  }

  /** Whether an update about `member` is queued. */
  has(member: NodeId): boolean {
    return this.byMember.has(member);
  }

  /** Returns the queued update about `member`, if any. */
  peek(member: NodeId): Update | undefined {
    return this.byMember.get(member)?.update;
  }

  /**
   * Takes updates for one packet within `bytesBudget`, counts one transmission for each, and
   * drops those that reached `retransmitLimit`. The caller owns the returned array.
   */
  take(bytesBudget: number, retransmitLimit: number): Update[] {
    assert(retransmitLimit >= 1, "retransmitLimit must be positive");
    if (bytesBudget <= 0 || this.byMember.size === 0) return [];
    // The map keeps insertion order and enqueue re-inserts, so walking it backwards is newest
    // first; bucketing by transmit count then gives the send order without a sort.
    const queued = [...this.byMember.values()];
    const buckets: QueuedUpdate[][] = [];
    for (let i = queued.length - 1; i >= 0; i--) {
      const item = queued[i]!;
      (buckets[item.transmits] ??= []).push(item);
    }
    const taken: Update[] = [];
    let bytesUsed = 0;
    for (const bucket of buckets) {
      if (bucket === undefined) continue;
      for (const item of bucket) {
        if (taken.length >= piggybackCountMax) break;
        if (bytesUsed + item.sizeBytes > bytesBudget) continue;
        bytesUsed += item.sizeBytes;
        taken.push(item.update);
        item.transmits += 1;
        if (item.transmits >= retransmitLimit) this.byMember.delete(item.update.member);
      }
    }
    assert(bytesUsed <= bytesBudget, "piggyback exceeds its byte budget");
    return taken;
  }

  private shedOne(): void {
    let victim: QueuedUpdate | null = null;
    for (const queued of this.byMember.values()) {
      if (victim === null || queued.transmits > victim.transmits) victim = queued;
      else if (queued.transmits === victim.transmits && queued.order < victim.order) victim = queued;
    }
    if (victim !== null) this.byMember.delete(victim.update.member);
  }
}
