// SWIM detection time of a killed member, on real `shoal start` processes: SIGKILL one member (never
// member 0, whose status the bench also reads) and poll every other member's `/api/status` until
// each lists it `dead`, noting when each first listed it `suspect` (or already `dead`) and `dead`.
// Between runs the killed member is restarted on its data folder and the bench waits until every
// member lists every other `alive` again. Times run from the kill to the poll that saw the state,
// so they are late by at most one poll interval plus one status round trip.

import { failureDetectionBoundTicks, swimConfigLan } from "../src/protocol/swim/index.js";
import { type ShoalCluster, waitFor } from "./peers.js";
import type { ProgressSink } from "./scenarios.js";

/** Bounds of the SWIM detection measurement; units last. */
export const swimDetectLimits = {
  /** Interval between two polls of every observer's status. */
  pollMs: 25,
  /** Longest a status request may take. */
  statusTimeoutMs: 1_000,
  /** Longest the bench waits for every observer to list the killed member dead. */
  detectMsMax: 60_000,
  /** Longest the bench waits for every member to list every other alive (before a run, after a restart). */
  settleMsMax: 60_000,
} as const;

/** The SWIM states `/api/status` shows (plus "self" and "unreachable" before SWIM knows a member). */
export type SwimState = "self" | "alive" | "suspect" | "dead" | "left" | "unreachable";

/** A cluster whose members can be killed, restarted and asked how they see each other. */
export interface SwimDetectSystem {
  readonly size: number;
  /** Node ids by member index. */
  readonly names: readonly string[];
  /** How member `observer` lists member `subject`, or null when `observer` does not answer. */
  views: (observer: number) => Promise<ReadonlyMap<string, SwimState> | null>;
  kill: (index: number) => Promise<void>;
  restart: (index: number) => void;
}

/** One run's times from the kill, in ms; "first" is the earliest observer, "all" the last. */
export interface SwimDetectRun {
  readonly victim: string;
  readonly suspectFirstMs: number;
  readonly suspectAllMs: number;
  readonly deadFirstMs: number;
  readonly deadAllMs: number;
  /** From the restart until every member lists every other alive again. */
  readonly rejoinMs: number;
}

/** Whether every member that answers lists every other member alive (and all answer). */
async function allAlive(system: SwimDetectSystem): Promise<boolean> {
  for (let observer = 0; observer < system.size; observer++) {
    const views = await system.views(observer);
    if (views === null) return false;
    for (const [index, name] of system.names.entries())
      if (index !== observer && views.get(name) !== "alive") return false;
  }
  return true;
}

/** Waits until every member lists every other alive. */
export function settleSwim(system: SwimDetectSystem): Promise<void> {
  return waitFor(
    "every member to list every other alive",
    () => allAlive(system),
    swimDetectLimits.settleMsMax,
  );
}

/** Kills `victim`, times its suspicion and death at every other member, restarts it and waits. */
export async function measureSwimDetection(system: SwimDetectSystem, victim: number): Promise<SwimDetectRun> {
  const name = system.names[victim];
  if (name === undefined || victim === 0) throw new RangeError(`bad victim ${victim}`);
  await settleSwim(system);
  const observers = system.names.map((_, i) => i).filter((i) => i !== victim);
  const suspectAt = new Map<number, number>();
  const deadAt = new Map<number, number>();
  const killedAt = performance.now();
  await system.kill(victim);
  await waitFor(
    `every member to list ${name} dead`,
    async () => {
      await Promise.all(
        observers.map(async (observer) => {
          const state = (await system.views(observer))?.get(name);
          const now = performance.now() - killedAt;
          if ((state === "suspect" || state === "dead") && !suspectAt.has(observer))
            suspectAt.set(observer, now);
          if (state === "dead" && !deadAt.has(observer)) deadAt.set(observer, now);
        }),
      );
      return deadAt.size === observers.length;
    },
    swimDetectLimits.detectMsMax,
  );
  const restartedAt = performance.now();
  system.restart(victim);
  await settleSwim(system);
  const suspects = [...suspectAt.values()];
  const deads = [...deadAt.values()];
  return {
    victim: name,
    suspectFirstMs: Math.min(...suspects),
    suspectAllMs: Math.max(...suspects),
    deadFirstMs: Math.min(...deads),
    deadAllMs: Math.max(...deads),
    rejoinMs: performance.now() - restartedAt,
  };
}

/** Runs `runs` detections, killing members 1, 2, … in turn (never member 0). */
export async function runSwimDetections(
  system: SwimDetectSystem,
  runs: number,
  progress: ProgressSink,
): Promise<SwimDetectRun[]> {
  if (system.size < 3) throw new RangeError("SWIM detection needs at least 3 members");
  const out: SwimDetectRun[] = [];
  for (let run = 0; run < runs; run++) {
    const victim = 1 + (run % (system.size - 1));
    const result = await measureSwimDetection(system, victim);
    out.push(result);
    progress(
      `swim-detect run ${run + 1}/${runs}: ${result.victim} suspect ${result.suspectFirstMs.toFixed(0)}–${result.suspectAllMs.toFixed(0)} ms, dead ${result.deadFirstMs.toFixed(0)}–${result.deadAllMs.toFixed(0)} ms`,
      true,
    );
  }
  return out;
}

/** SWIM's own bound on detection for `size` members at `tickMs` (LAN profile, as `shoal start` runs it). */
export function swimDetectionBoundMs(size: number, tickMs: number): number {
  return failureDetectionBoundTicks(swimConfigLan(tickMs), size) * tickMs;
}

function stats(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[(sorted.length - 1) >> 1];
  if (median === undefined) return "– | – | –";
  return `${median.toFixed(0)} | ${(sorted[0] as number).toFixed(0)} | ${(sorted[sorted.length - 1] as number).toFixed(0)}`;
}

/** The detection table in markdown. */
export function swimDetectMarkdown(runs: readonly SwimDetectRun[], notes: readonly string[]): string {
  const lines = ["### SWIM detection of a SIGKILLed member (real processes)", "", notes.join(" "), ""];
  lines.push("| from the kill until | median ms | min ms | max ms |", "|---|---|---|---|");
  const rows: [string, (r: SwimDetectRun) => number][] = [
    ["the first member lists it suspect (or dead)", (r) => r.suspectFirstMs],
    ["every other member has listed it suspect (or dead)", (r) => r.suspectAllMs],
    ["the first member lists it dead", (r) => r.deadFirstMs],
    ["every other member lists it dead", (r) => r.deadAllMs],
    ["(after its restart) every member lists every other alive", (r) => r.rejoinMs],
  ];
  for (const [label, pick] of rows) lines.push(`| ${label} | ${stats(runs.map(pick))} |`);
  lines.push(
    "",
    `Runs (victim: dead at all ms): ${runs.map((r) => `${r.victim}: ${r.deadAllMs.toFixed(0)}`).join(", ")}.`,
  );
  return lines.join("\n");
}

interface StatusMembers {
  readonly members?: readonly { readonly nodeId: string; readonly state: SwimState }[];
}

/** A `shoal start` cluster as a SWIM detection system, read through each member's `/api/status`. */
export function shoalSwimSystem(cluster: ShoalCluster): SwimDetectSystem {
  return {
    size: cluster.size,
    names: cluster.admins.map((_, i) => `n${i + 1}`),
    views: async (observer) => {
      const admin = cluster.admins[observer];
      if (admin === undefined || cluster.children[observer]?.running !== true) return null;
      const response = await fetch(`http://${admin}/api/status`, {
        signal: AbortSignal.timeout(swimDetectLimits.statusTimeoutMs),
      }).catch(() => null);
      if (response === null || !response.ok) return null;
      const status = (await response.json().catch(() => null)) as StatusMembers | null;
      if (status === null) return null;
      return new Map((status.members ?? []).map((m) => [m.nodeId, m.state]));
    },
    kill: (index) => cluster.kill(index),
    restart: (index) => cluster.restart(index),
  };
}
