// The leader's view of one follower (etcd tracker/progress.go): how much of the log it matches, what
// to send next, and the flow-control state. Probe: one append at a time until the follower's match is
// found. Replicate: pipeline appends optimistically, bounded by in-flight messages and bytes.
// Snapshot: the follower needs a snapshot; send its chunks and nothing else.

import { assert } from "../../lib/assert.js";
import type { LogIndex } from "../../types.js";
import type { ProgressState } from "./types.js";

interface Inflight {
  readonly lastIndex: LogIndex;
  readonly bytes: number;
}

/** Replication progress of one follower or learner. */
export class Progress {
  match: LogIndex = 0 as LogIndex;
  next: LogIndex;
  state: ProgressState = "probe";
  /** In probe state: an append is out and unanswered, so send no more until a reply or a heartbeat. */
  probeSent = false;
  /** Whether the follower answered since the last CheckQuorum round. */
  recentActive = false;
  /** In snapshot state: the snapshot being sent and how far. */
  snapshotIndex: LogIndex = 0 as LogIndex;
  snapshotOffset = 0;
  snapshotTicksIdle = 0;
  /** The newest heartbeat context this follower acknowledged (ReadIndex). */
  ackedContext = -1;
  /** The leader tick at which the newest heartbeat this follower acknowledged was sent (leases). */
  ackedSentTick = -1;
  private readonly inflights: Inflight[] = [];
  private inflightBytes = 0;

  constructor(
    next: LogIndex,
    public isLearner: boolean,
  ) {
    assert(next >= 1, "next index starts at 1");
    this.next = next;
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      this.next = (Math.max(this.match, this.snapshotIndex) + 1) as LogIndex;
    } else {
      this.next = (this.match + 1) as LogIndex;
    }
    this.state = "probe";
    this.probeSent = false;
    this.resetInflights();
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.next = (this.match + 1) as LogIndex;
    this.resetInflights();
  }

  becomeSnapshot(index: LogIndex): void {
    this.state = "snapshot";
    this.snapshotIndex = index;
    this.snapshotOffset = 0;
    this.snapshotTicksIdle = 0;
    this.resetInflights();
  }

  /** Records an acknowledged match; returns whether it moved forward. */
  maybeUpdate(index: LogIndex): boolean {
    const moved = index > this.match;
    if (moved) {
      this.match = index;
      this.probeSent = false;
      this.freeUpTo(index);
    }
    if (this.next < index + 1) this.next = (index + 1) as LogIndex;
    return moved;
  }

  /**
   * Handles a rejection of the append at `rejected`; `hint` is where to try next. Returns false for a
   * stale rejection (etcd progress.go MaybeDecrTo).
   */
  maybeDecreaseTo(rejected: LogIndex, hint: LogIndex): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = (this.match + 1) as LogIndex;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1) as LogIndex;
    this.probeSent = false;
    return true;
  }

  /** Records an append that was sent, advancing next optimistically in the replicate state. */
  sentEntries(lastIndex: LogIndex, bytes: number): void {
    if (this.state === "replicate") {
      if (lastIndex >= this.next) {
        this.next = (lastIndex + 1) as LogIndex;
        this.inflights.push({ lastIndex, bytes });
        this.inflightBytes += bytes;
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  /** Whether flow control forbids sending more appends now. */
  isPaused(inflightMessagesMax: number, inflightBytesMax: number): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "snapshot") return true;
    return this.inflights.length >= inflightMessagesMax || this.inflightBytes >= inflightBytesMax;
  }

  /**
   * Frees the oldest in-flight slot. Called on a heartbeat response when the window is full: the
   * follower is alive, so if appends were lost the next one is rejected and probing recovers.
   */
  freeFirstInflight(): void {
    const first = this.inflights.shift();
    if (first !== undefined) this.inflightBytes -= first.bytes;
  }

  inflightCount(): number {
    return this.inflights.length;
  }

  private freeUpTo(index: LogIndex): void {
    while (this.inflights.length > 0 && this.inflights[0]!.lastIndex <= index) {
      this.inflightBytes -= this.inflights.shift()!.bytes;
    }
    assert(this.inflightBytes >= 0, "in-flight bytes went negative");
  }

  private resetInflights(): void {
    this.inflights.length = 0;
    this.inflightBytes = 0;
  }
}
