// The `raft-kv` simulation workload (T5): Raft cores serving a KV register map under faults, with
// clients that retry, checked for linearizability, safety invariants and liveness after healing.
// Parameters (`shoal sim --param name=value`): voters=3|5, learners=N, clients=N, safety-ms=N,
// mutant=M1|M2|M5|M6|M7|M8|M9, disk-ms=N, append-bytes=N, nemesis-ms=N (mutant hunts). The `figure8`
// fault (only when named) steers 5 voters through Raft's Figure 8 (raft/figure8.ts); use it with
// voters=5 learners=0 append-bytes=1.

import type { Workload, WorkloadResult, WorkloadRunOptions } from "../workload.js";
import { raftFaultNames, raftMutantNames, raftRunParamsDefault, runRaftKv } from "./raft/raft_run.js";

function paramNumber(params: Readonly<Record<string, string>>, name: string, fallback: number): number {
  const text = params[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
}

/** The raft-kv workload. */
export const raftKvWorkload: Workload = {
  name: "raft-kv",
  description: "Raft cores serving a KV register map to retrying clients under faults (T5)",
  faultNames: raftFaultNames,
  run(options: WorkloadRunOptions): WorkloadResult {
    const defaults = raftRunParamsDefault(options.seed);
    const mutant = options.params["mutant"] ?? null;
    if (mutant !== null && !(raftMutantNames as readonly string[]).includes(mutant)) {
      throw new Error(`unknown mutant ${mutant}; known: ${raftMutantNames.join(", ")}`);
    }
    const result = runRaftKv(
      options.seed,
      {
        voters: paramNumber(options.params, "voters", defaults.voters),
        learners: paramNumber(options.params, "learners", defaults.learners),
        clients: paramNumber(options.params, "clients", defaults.clients),
        safetyMs: paramNumber(options.params, "safety-ms", defaults.safetyMs),
        mutant,
        faults: options.faults,
        diskLatencyMsMax: paramNumber(options.params, "disk-ms", defaults.diskLatencyMsMax),
        appendBytesMax: paramNumber(options.params, "append-bytes", defaults.appendBytesMax),
        nemesisIntervalMsMax: paramNumber(options.params, "nemesis-ms", defaults.nemesisIntervalMsMax),
      },
      options.trace,
    );
    return { ok: result.ok, summary: result.summary, failures: result.failures, figures: result.figures };
  },
  summarize(results: readonly WorkloadResult[]): string {
    const sum = (name: string) => results.reduce((total, result) => total + (result.figures[name] ?? 0), 0);
    const committed = sum("committed_entries");
    const perEntry = committed > 0 ? (sum("messages_sent") / committed).toFixed(1) : "n/a";
    return `raft-kv: ${sum("operations_ok")} ops ok, ${committed} entries committed, ${perEntry} messages per committed entry, ${sum("leader_changes")} leader changes, ${sum("snapshots_installed")} snapshots installed`;
  },
};
