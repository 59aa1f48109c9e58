// Stability: no spurious election during a long loaded run. While a steady write+read load runs
// (concurrency 16, half puts, half linearizable gets), every group's term and leader is read from
// every member before, every few seconds during, and after the run. A term that moves is an
// election (or a deliberate leadership transfer, which Shoal counts in its status and which is
// reported apart). PASS when no term moved other than by a counted transfer. Shoal is read from
// each member's `/api/status`; etcd (run alongside, under the same load) from
// `etcdctl endpoint status`, whose raft_term is the one group's term.

import { execFile } from "node:child_process";
import { type LoadResult, runLoad } from "./load.js";
import { type EtcdCluster, type ShoalCluster, waitFor } from "./peers.js";
import type { ProgressSink, Target } from "./scenarios.js";

/** Bounds of the stability run; units last. */
export const stabilityLimits = {
  /** Concurrency of the load on each system. */
  concurrency: 16,
  /** Interval between two readings of every group's term and leader. */
  sampleMs: 5_000,
  /** Longest one status reading may take. */
  statusTimeoutMs: 2_000,
  /** Keys the load draws from. */
  keys: 1_000,
  /** Longest the readings before and after the run are retried while a member does not answer. */
  statusRetryMs: 15_000,
  /** Before the run, terms, leaders and transfers must stay unchanged this long (leader balancing done). */
  settleQuietMs: 3_000,
  /** Longest the bench waits for that quiet. */
  settleMsMax: 120_000,
} as const;

/** One group's term and leader at one reading. */
export interface GroupReading {
  readonly term: number;
  readonly leader: string | null;
}

/** A system whose groups' terms can be read while a load runs on it. */
export interface StabilitySystem {
  readonly name: string;
  readonly target: Target;
  /** Term and leader of every group (highest term any member reports), or null if unreadable. */
  read: () => Promise<ReadonlyMap<string, GroupReading> | null>;
  /** Leadership transfers the members started so far (deliberate term changes); 0 if unknown. */
  transfers: () => Promise<number>;
}

/** What one system did during the run. */
export interface StabilityOutcome {
  readonly name: string;
  readonly load: LoadResult;
  readonly before: ReadonlyMap<string, GroupReading>;
  readonly after: ReadonlyMap<string, GroupReading>;
  /** Leader changes seen between consecutive readings, per group. */
  readonly leaderChanges: ReadonlyMap<string, number>;
  readonly readings: number;
  readonly unreadable: number;
  readonly transfers: number;
  /** Every term move seen between readings: group, seconds into the run, old and new term. */
  readonly termMoves: readonly { group: string; atS: number; from: number; to: number }[];
}

/** Term changes per group from `before` to `after` (groups missing on either side are skipped). */
export function termChanges(outcome: StabilityOutcome): Map<string, number> {
  const changes = new Map<string, number>();
  for (const [group, first] of outcome.before) {
    const last = outcome.after.get(group);
    if (last !== undefined) changes.set(group, last.term - first.term);
  }
  return changes;
}

/** Elections not explained by a counted leadership transfer. */
export function spuriousElections(outcome: StabilityOutcome): number {
  let total = 0;
  for (const change of termChanges(outcome).values()) total += change;
  return Math.max(0, total - outcome.transfers);
}

/** Reads every group's term, retrying unreadable moments for up to `statusRetryMs`. */
async function readRequired(system: StabilitySystem): Promise<ReadonlyMap<string, GroupReading>> {
  let reading: ReadonlyMap<string, GroupReading> | null = null;
  await waitFor(
    `${system.name}: every group's term`,
    async () => {
      reading = await system.read();
      return reading !== null && reading.size > 0;
    },
    stabilityLimits.statusRetryMs,
  );
  return reading as unknown as ReadonlyMap<string, GroupReading>;
}

/** Terms, leaders and transfer count as one comparable text, or null when unreadable. */
async function fingerprint(system: StabilitySystem): Promise<string | null> {
  const transfers = await system.transfers();
  const reading = await system.read();
  if (reading === null || reading.size === 0) return null;
  const groups = [...reading].sort(([a], [b]) => a.localeCompare(b));
  return `${transfers}|${groups.map(([g, r]) => `${g}:${r.term}:${r.leader}`).join(",")}`;
}

/**
 * Waits until `system` is quiet: two readings {@link stabilityLimits.settleQuietMs} apart agree on
 * every term, leader and the transfer count. A cluster that just formed still moves leaders to
 * their preferred members; the run measures the steady state after that.
 */
export async function settleStability(
  system: StabilitySystem,
  quietMs: number = stabilityLimits.settleQuietMs,
): Promise<void> {
  let last: string | null = null;
  await waitFor(
    `${system.name} to keep its terms and leaders for ${quietMs} ms`,
    async () => {
      const now = await fingerprint(system);
      const quiet = now !== null && now === last;
      last = now;
      if (!quiet) await new Promise((resolve) => setTimeout(resolve, quietMs));
      return quiet;
    },
    stabilityLimits.settleMsMax,
  );
}

/** Runs the load on every system at once for `durationMs`, reading terms every sample interval. */
export async function runStability(
  systems: readonly StabilitySystem[],
  durationMs: number,
  seed: number,
  progress: ProgressSink,
  quietMs: number = stabilityLimits.settleQuietMs,
): Promise<StabilityOutcome[]> {
  await Promise.all(systems.map((system) => settleStability(system, quietMs)));
  const transfersBefore = await Promise.all(systems.map((s) => s.transfers()));
  const befores = await Promise.all(systems.map(readRequired));
  const previous = befores.map((b) => new Map(b));
  const leaderChanges = systems.map(() => new Map<string, number>());
  const termMoves = systems.map((): StabilityOutcome["termMoves"][number][] => []);
  const started = performance.now();
  const unreadable = systems.map(() => 0);
  let readings = 0;
  const sample = async (): Promise<void> => {
    readings += 1;
    await Promise.all(
      systems.map(async (system, i) => {
        const now = await system.read().catch(() => null);
        if (now === null) {
          unreadable[i] = (unreadable[i] ?? 0) + 1;
          return;
        }
        for (const [group, reading] of now) {
          const last = previous[i]?.get(group);
          if (last !== undefined && reading.term > last.term) {
            const atS = Math.round((performance.now() - started) / 1_000);
            termMoves[i]?.push({ group, atS, from: last.term, to: reading.term });
            progress(
              `stability: ${system.name} ${group} term ${last.term}→${reading.term} at ${atS} s`,
              true,
            );
          }
          if (last?.leader != null && reading.leader !== null && last.leader !== reading.leader)
            leaderChanges[i]?.set(group, (leaderChanges[i]?.get(group) ?? 0) + 1);
          // The term always moves on; a reading without a leader keeps the last leader known.
          const leader = reading.leader ?? last?.leader ?? null;
          previous[i]?.set(group, { term: Math.max(reading.term, last?.term ?? 0), leader });
        }
      }),
    );
  };
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, stabilityLimits.sampleMs);
  const loads = await Promise.all(
    systems.map((system, i) =>
      runLoad(
        {
          concurrency: stabilityLimits.concurrency,
          durationMs,
          opsMax: Number.MAX_SAFE_INTEGER,
          mix: [
            { kind: "put" as const, weight: 1 },
            { kind: "get" as const, weight: 1 },
          ],
          keys: stabilityLimits.keys,
          distribution: "uniform",
          valueBytes: 100,
          seed: seed + i,
          progressMs: 1_000,
          onProgress: (done, elapsedMs) => {
            if (i === 0)
              progress(
                `stability: ${(elapsedMs / 1_000).toFixed(0)} s of ${durationMs / 1_000} s, ${done} ops on ${system.name}`,
                false,
              );
          },
        },
        (kind, key, value) => {
          const operation = system.target.ops[kind];
          if (operation === undefined) throw new Error(`${system.name} has no ${kind}`);
          return operation(key, value);
        },
      ),
    ),
  );
  clearInterval(timer);
  await sampling;
  await sample();
  progress(`stability: ${((performance.now() - started) / 1_000).toFixed(0)} s loaded run done`, true);
  const afters = await Promise.all(systems.map(readRequired));
  const transfersAfter = await Promise.all(systems.map((s) => s.transfers()));
  return systems.map((system, i) => ({
    name: system.name,
    load: loads[i] as LoadResult,
    before: befores[i] as ReadonlyMap<string, GroupReading>,
    after: afters[i] as ReadonlyMap<string, GroupReading>,
    leaderChanges: leaderChanges[i] as Map<string, number>,
    readings,
    unreadable: unreadable[i] ?? 0,
    transfers: (transfersAfter[i] ?? 0) - (transfersBefore[i] ?? 0),
    termMoves: termMoves[i] ?? [],
  }));
}

interface StatusGroups {
  readonly groups?: readonly { group: number; role: string; term: number; leader: string | null }[];
  readonly stats?: { readonly leaderTransfers?: number };
}

async function statusesOf(cluster: ShoalCluster): Promise<(StatusGroups | null)[]> {
  return Promise.all(
    cluster.admins.map(async (admin) => {
      const response = await fetch(`http://${admin}/api/status`, {
        signal: AbortSignal.timeout(stabilityLimits.statusTimeoutMs),
      }).catch(() => null);
      if (response === null || !response.ok) return null;
      return (await response.json().catch(() => null)) as StatusGroups | null;
    }),
  );
}

/** A Shoal cluster as a stability system: terms from every member's `/api/status`. */
export function shoalStability(cluster: ShoalCluster, target: Target): StabilitySystem {
  return {
    name: "Shoal",
    target,
    read: async () => {
      const statuses = await statusesOf(cluster);
      if (statuses.some((s) => s === null)) return null;
      const groups = new Map<string, GroupReading>();
      for (const status of statuses) {
        for (const row of status?.groups ?? []) {
          const key = `g${row.group}`;
          const known = groups.get(key);
          const leader = row.role === "leader" ? row.leader : (known?.leader ?? null);
          groups.set(key, { term: Math.max(row.term, known?.term ?? 0), leader });
        }
      }
      return groups;
    },
    transfers: async () => {
      const statuses = await statusesOf(cluster);
      return statuses.reduce((sum, s) => sum + (s?.stats?.leaderTransfers ?? 0), 0);
    },
  };
}

function etcdctl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("etcdctl", [...args], { timeout: stabilityLimits.statusTimeoutMs }, (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(stdout);
    });
  });
}

/** etcd as a stability system: raft_term and leader from `etcdctl endpoint status`. */
export function etcdStability(cluster: EtcdCluster, target: Target): StabilitySystem {
  return {
    name: "etcd",
    target,
    read: async () => {
      const out = await etcdctl([
        "--endpoints",
        cluster.clientUrls.join(","),
        "endpoint",
        "status",
        "-w",
        "json",
      ]);
      // Member ids are 64-bit: keep them as digit strings, never parsed numbers.
      const terms = [...out.matchAll(/"raft_term":(\d+)/g)].map((m) => Number(m[1]));
      const leaders = [...out.matchAll(/"leader":(\d+)/g)].map((m) => m[1] as string);
      if (terms.length === 0) return null;
      return new Map([["raft", { term: Math.max(...terms), leader: leaders[0] ?? null }]]);
    },
    transfers: async () => 0,
  };
}

/** The stability section in markdown, with a PASS/FAIL line per system. */
export function stabilityMarkdown(outcomes: readonly StabilityOutcome[], notes: readonly string[]): string {
  const lines = ["### Stability: elections during a loaded run", "", notes.join(" "), ""];
  lines.push(
    "| system | groups | term changes | leadership transfers | leader changes seen | ops/s | errors | verdict |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const outcome of outcomes) {
    const changes = [...termChanges(outcome).values()].reduce((a, b) => a + b, 0);
    const leaders = [...outcome.leaderChanges.values()].reduce((a, b) => a + b, 0);
    const spurious = spuriousElections(outcome);
    const verdict = spurious === 0 ? "PASS" : `FAIL (${spurious} spurious)`;
    lines.push(
      `| ${outcome.name} | ${outcome.before.size} | ${changes} | ${outcome.transfers} | ${leaders} | ${Math.round(outcome.load.opsPerSec).toLocaleString("en-US")} | ${outcome.load.errors} | ${verdict} |`,
    );
  }
  for (const outcome of outcomes) {
    const moved = [...termChanges(outcome)].filter(([, change]) => change !== 0);
    const detail = moved.map(([group, change]) => {
      const before = outcome.before.get(group)?.term ?? 0;
      return `${group} ${before}→${before + change}`;
    });
    const moves = outcome.termMoves.map((m) => `${m.group} ${m.from}→${m.to} by ${m.atS} s`);
    lines.push(
      "",
      `${outcome.name}: ${outcome.readings} readings, ${outcome.unreadable} unreadable; terms moved in ${moved.length} of ${outcome.before.size} group(s)${detail.length > 0 ? `: ${detail.join(", ")}` : ""}${moves.length > 0 ? ` (seen: ${moves.join(", ")})` : ""}. Load p50 ${outcome.load.p50Ms.toFixed(2)} ms, p99 ${outcome.load.p99Ms.toFixed(2)} ms, max ${outcome.load.maxMs.toFixed(0)} ms${outcome.load.firstError === null ? "" : `; first error: ${outcome.load.firstError}`}.`,
    );
  }
  return lines.join("\n");
}
