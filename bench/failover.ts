// Failover: while writers hammer one key, SIGKILL the member leading that key's group and time
// from the kill to the first write that was issued after the kill and succeeded. The killed member
// is restarted with its data and the cluster is let settle before the next run. Shoal and etcd run
// with the same timing: heartbeats every 100 ms, elections after 500–1000 ms.

import { partitionOf } from "../src/protocol/placement/index.js";
import type { EtcdCluster, ShoalCluster } from "./peers.js";
import { waitFor } from "./peers.js";
import type { ProgressSink } from "./scenarios.js";

/** Bounds of one failover measurement; units last. */
export const failoverLimits = {
  /** Writers running during the kill. */
  writers: 4,
  /** Writes before the kill, to be sure the path is hot. */
  warmWritesMin: 20,
  /** Longest the bench waits for a write to succeed after the kill. */
  recoveryMsMax: 30_000,
  /** Longest the bench waits for a leader to be found or for warm writes. */
  settleMsMax: 30_000,
} as const;

/** etcd flags that match Shoal's election timing (etcd randomizes in [t, 2t)). */
export const etcdMatchingTiming = ["--heartbeat-interval", "100", "--election-timeout", "500"] as const;

/** The key written during failover and the map holding it (the Shoal target's map). */
export const failoverKey = "failover";

/** A system that can be failed over: write, find the leader, kill it, restart it, settle. */
export interface FailoverSystem {
  readonly name: string;
  write: (value: string) => Promise<void>;
  leader: () => Promise<number>;
  kill: (index: number) => Promise<void>;
  restart: (index: number) => void;
  settle: () => Promise<void>;
}

/** Milliseconds from a leader kill to the first successful write issued after it. */
export async function measureFailover(system: FailoverSystem): Promise<number> {
  let leader = -1;
  await waitFor(
    `${system.name} leader`,
    async () => (leader = await system.leader()) >= 0,
    failoverLimits.settleMsMax,
  );
  let killedAt = Number.POSITIVE_INFINITY;
  let recoveredAt = Number.POSITIVE_INFINITY;
  let warm = 0;
  let stop = false;
  const deadline = performance.now() + failoverLimits.settleMsMax + failoverLimits.recoveryMsMax;
  const writer = async (id: number): Promise<void> => {
    let n = 0;
    while (!stop && performance.now() < deadline) {
      const began = performance.now();
      try {
        await system.write(`w${id}-${n++}`);
        const now = performance.now();
        if (began < killedAt) warm++;
        else if (now < recoveredAt) recoveredAt = now;
      } catch {
        // Failed writes during the failover are expected; the next one is timed afresh.
      }
      if (recoveredAt !== Number.POSITIVE_INFINITY) stop = true;
    }
  };
  const writers = Array.from({ length: failoverLimits.writers }, (_, id) => writer(id));
  try {
    await waitFor(
      `${system.name} warm writes`,
      async () => warm >= failoverLimits.warmWritesMin,
      failoverLimits.settleMsMax,
    );
    killedAt = performance.now();
    await system.kill(leader);
    await waitFor(
      `${system.name} write after the kill`,
      async () => recoveredAt !== Number.POSITIVE_INFINITY,
      failoverLimits.recoveryMsMax,
    );
  } finally {
    stop = true;
    await Promise.all(writers);
    system.restart(leader);
    await system.settle();
  }
  return recoveredAt - killedAt;
}

/** Shoal as a failover system: writes go to `failoverKey` of `mapName`. */
export function shoalFailover(
  cluster: ShoalCluster,
  write: (value: string) => Promise<void>,
  mapName: string,
): FailoverSystem {
  const group = partitionOf(mapName, failoverKey, cluster.partitions) + 1;
  return {
    name: "Shoal",
    write,
    leader: () => cluster.leaderOf(group),
    kill: (index) => cluster.kill(index),
    restart: (index) => cluster.restart(index),
    settle: () => cluster.waitAllGroupsLed(),
  };
}

/** etcd as a failover system. */
export function etcdFailover(
  cluster: EtcdCluster,
  write: (value: string) => Promise<void>,
  ready: () => Promise<boolean>,
): FailoverSystem {
  return {
    name: "etcd",
    write,
    leader: async () => cluster.leader(),
    kill: (index) => cluster.kill(index),
    restart: (index) => cluster.restart(index),
    settle: () =>
      waitFor(
        "etcd to settle",
        async () => cluster.leader() >= 0 && (await ready()),
        failoverLimits.settleMsMax,
      ),
  };
}

/** Runs `runs` failovers of each system and returns each system's times in ms. */
export async function runFailovers(
  systems: readonly FailoverSystem[],
  runs: number,
  progress: ProgressSink,
): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(systems.map((s) => [s.name, []]));
  for (let run = 0; run < runs; run++) {
    for (const system of systems) {
      const ms = await measureFailover(system);
      times.get(system.name)?.push(ms);
      progress(`failover run ${run + 1}/${runs} ${system.name}: ${ms.toFixed(0)} ms`, true);
    }
  }
  return times;
}

/** The median of `values` (the lower middle one for even counts), NaN for none. */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1] ?? Number.NaN;
}

/** The failover table in markdown. */
export function failoverMarkdown(
  times: ReadonlyMap<string, readonly number[]>,
  notes: readonly string[],
): string {
  const median = medianOf;
  const lines = ["### Failover: SIGKILL the leader during writes, time to the first write after it", ""];
  lines.push(
    `${notes.join(" ")}`,
    "",
    "| system | runs (ms) | median ms | Shoal/system |",
    "|---|---|---|---|",
  );
  const shoal = median(times.get("Shoal") ?? []);
  for (const [name, values] of times) {
    const m = median(values);
    const ratio =
      name === "Shoal" ? "1.00×" : Number.isFinite(m) && m > 0 ? `${(shoal / m).toFixed(2)}×` : "–";
    lines.push(`| ${name} | ${values.map((v) => v.toFixed(0)).join(", ")} | ${m.toFixed(0)} | ${ratio} |`);
  }
  return lines.join("\n");
}
