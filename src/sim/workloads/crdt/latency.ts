// Jepsen set-full's stable latency, in virtual time: how long after an ORSet add its dot has been
// seen by every replica that is up. Adds that die with their replica never stabilize and are
// left out. Checked every tick, so the resolution is one tick.

import { assert } from "../../../lib/assert.js";
import { ORSet } from "../../../protocol/crdt/index.js";
import type { CrdtNode } from "./cluster.js";
import type { OpRecord } from "./ops.js";

/** Most adds awaiting stability; a run has a few hundred operations, so this is never reached. */
export const pendingAddsMax = 100_000;

/** Tracks when each add becomes visible at every up replica. */
export class StableLatencyTracker {
  private pending: { readonly op: OpRecord; readonly startMs: number }[] = [];
  private readonly latenciesMs: number[] = [];

  /** Starts tracking an op if it is an ORSet add. */
  track(op: OpRecord, nowMs: number): void {
    if (op.addDot === null) return;
    assert(this.pending.length < pendingAddsMax, "too many adds awaiting stability");
    this.pending.push({ op, startMs: nowMs });
  }

  /** Records the adds that every up replica has now seen. */
  check(up: readonly CrdtNode[], nowMs: number): void {
    if (this.pending.length === 0) return;
    this.pending = this.pending.filter(({ op, startMs }) => {
      const dot = op.addDot!;
      const isStable = up.every((node) => {
        const state = node.replicator!.store.get("cart");
        return state instanceof ORSet && state.context.contains(dot.replica, dot.counter);
      });
      if (isStable) this.latenciesMs.push(nowMs - startMs);
      return !isStable;
    });
  }

  /** The p50, p95 and p99 of the stable latencies seen, in virtual ms (0 when none). */
  percentiles(): { readonly p50: number; readonly p95: number; readonly p99: number } {
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}
