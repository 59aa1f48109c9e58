// Prometheus metrics of one member, on a registry of its own (never prom-client's global one, so
// two members in one process do not mix). Counters and histograms are fed by the member's hooks
// inside its tick; gauges (terms, commit and apply lag, member states) are read from the member's
// status when Prometheus scrapes.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { MemberHooks, MemberStatus } from "../runtime/index.js";
import { CountedHistogram } from "./counted_histogram.js";

/** Latency buckets in seconds: 0.1 ms to 10 s. */
const latencyBucketsSeconds = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The metrics of one member. Create it first, pass `hooks` to the Member, then `bind` the status. */
export class MemberMetrics {
  readonly registry = new Registry();
  readonly hooks: MemberHooks;
  private status: (() => MemberStatus) | null = null;

  constructor(nodeId: string) {
    this.registry.setDefaultLabels({ node: nodeId });
    collectDefaultMetrics({ register: this.registry });
    const requests = new CountedHistogram({
      name: "shoal_request_duration_seconds",
      help: "Client requests answered by this member, by kind and outcome",
      labelNames: ["kind", "outcome"],
      buckets: latencyBucketsSeconds,
      registers: [this.registry],
    });
    const fsync = new Histogram({
      name: "shoal_wal_fsync_duration_seconds",
      help: "WAL syncs (one per tick with entries: group commit)",
      buckets: latencyBucketsSeconds,
      registers: [this.registry],
    });
    const synced = new Counter({
      name: "shoal_wal_synced_entries_total",
      help: "Entries made durable by WAL syncs",
      registers: [this.registry],
    });
    const proposals = new Counter({
      name: "shoal_proposals_total",
      help: "Proposals handed to Raft",
      registers: [this.registry],
    });
    this.hooks = {
      requestDone: (kind, outcome, durationMs) => requests.record(kind, outcome, durationMs / 1000),
      walSynced: (durationMs, entryCount) => {
        fsync.observe(durationMs / 1000);
        synced.inc(entryCount);
      },
      proposed: () => proposals.inc(),
    };
    this.gaugesRegister();
  }

  /** Connects the gauges to the member's status. */
  bind(status: () => MemberStatus): void {
    this.status = status;
  }

  private gaugesRegister(): void {
    const self = this;
    const perGroup = (
      name: string,
      help: string,
      value: (g: MemberStatus["groups"][number]) => number,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ["group"],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const group of self.status?.().groups ?? [])
            this.set({ group: String(group.group) }, value(group));
        },
      });
    };
    perGroup("shoal_raft_term", "Raft term per hosted group", (g) => g.term);
    perGroup("shoal_raft_commit_index", "Commit index per hosted group", (g) => g.commit);
    perGroup(
      "shoal_raft_apply_lag",
      "Committed entries not yet applied, per hosted group",
      (g) => g.commit - g.applied,
    );
    perGroup("shoal_raft_is_leader", "1 when this member leads the group", (g) =>
      g.role === "leader" ? 1 : 0,
    );
    new Gauge({
      name: "shoal_member_state",
      help: "1 for each peer's state as this member sees it (self; SWIM's alive, suspect, dead, left; or alive, unreachable before SWIM knows the peer)",
      labelNames: ["peer", "state"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const member of self.status?.().members ?? [])
          this.set({ peer: member.nodeId, state: member.state }, 1);
      },
    });
  }
}
