// Figures for the runtime report, over three real `shoal start` processes with 64 partitions:
//   1. re-election after kill -9 of the member leading group 0 (5 runs): time until group 0, and
//      every group the killed member led, has a new leader; the member restarts and catches up
//      between runs;
//   2. WAL appends per second with group commit under the member, with 32 concurrent clients;
//   3. a member's CPU and memory at rest, once leaders and terms hold still.
// Run: node --import tsx test/cluster/figures.ts (SHOAL_FIGURE_RUNS=0 skips 1 and 3; SHOAL_FIGURE_CLIENTS=N)

import { assert } from "../../src/lib/assert.js";
import { type MemberProcess, ProcessCluster, statusOf, waitFor } from "./harness.js";

const runs = Number(process.env.SHOAL_FIGURE_RUNS ?? 5);
const clientsCount = Number(process.env.SHOAL_FIGURE_CLIENTS ?? 32);
const loadMs = 5_000;

async function ready(cluster: ProcessCluster): Promise<boolean> {
  for (const member of cluster.members) if (!(await statusOf(member))?.ready) return false;
  return true;
}

async function reelection(
  cluster: ProcessCluster,
): Promise<{ group0Ms: number; allMs: number; groups: number }> {
  let victim: MemberProcess | null = null;
  let led: number[] = [];
  for (const member of cluster.members) {
    const status = await statusOf(member);
    const mine = status?.groups.filter((g) => g.role === "leader").map((g) => g.group) ?? [];
    if (mine.includes(0)) {
      victim = member;
      led = mine;
    }
  }
  assert(victim !== null, "nobody leads group 0");
  const dead = victim;
  const startMs = performance.now();
  await cluster.kill9(dead);
  let group0Ms = -1;
  const done = await waitFor(async () => {
    const leaders = new Map<number, string>();
    for (const member of cluster.members) {
      if (member === dead) continue;
      for (const g of (await statusOf(member))?.groups ?? [])
        if (g.role === "leader") leaders.set(g.group, member.name);
    }
    if (group0Ms < 0 && leaders.has(0)) group0Ms = performance.now() - startMs;
    return led.every((g) => leaders.has(g));
  }, 30_000);
  const allMs = performance.now() - startMs;
  assert(done, "groups left without a leader");
  cluster.spawn(dead);
  assert(await waitFor(() => ready(cluster), 60_000), "restarted member not ready");
  return { group0Ms, allMs, groups: led.length };
}

async function load(cluster: ProcessCluster): Promise<void> {
  const before = await Promise.all(cluster.members.map(statusOf));
  const clients = await Promise.all(
    Array.from({ length: clientsCount }, (_, i) => cluster.client(`load-${i}`)),
  );
  const endMs = performance.now() + loadMs;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    clients.map(async ({ client }, i) => {
      while (performance.now() < endMs) {
        const outcome = await client.run({ structure: "atomic-long", op: "add", name: `load${i}`, delta: 1 });
        if (outcome.kind === "ok") ok += 1;
        else failed += 1;
      }
    }),
  );
  const elapsedS = (performance.now() - (endMs - loadMs)) / 1000;
  const after = await Promise.all(cluster.members.map(statusOf));
  await Promise.all(clients.map(({ close }) => close()));
  for (const [i, member] of cluster.members.entries()) {
    const a = before[i];
    const b = after[i];
    if (a == null || b == null) continue;
    const entries = b.wal.entriesAppended - a.wal.entriesAppended;
    const syncs = b.wal.syncs - a.wal.syncs;
    process.stdout.write(
      `${member.name}: WAL ${(entries / elapsedS).toFixed(0)} appends/s, ${(syncs / elapsedS).toFixed(0)} syncs/s, ${(entries / Math.max(1, syncs)).toFixed(1)} entries per sync\n`,
    );
  }
  for (const member of cluster.members) {
    const text = await (await fetch(`http://${member.admin}/metrics`)).text();
    const sum = Number(
      /shoal_wal_fsync_duration_seconds_sum\{[^}]*\} ([0-9.e+-]+)/.exec(text)?.[1] ?? Number.NaN,
    );
    const count = Number(
      /shoal_wal_fsync_duration_seconds_count\{[^}]*\} ([0-9.e+-]+)/.exec(text)?.[1] ?? Number.NaN,
    );
    process.stdout.write(
      `${member.name}: WAL sync ${((sum / count) * 1000).toFixed(2)} ms on average over ${count} syncs\n`,
    );
  }
  process.stdout.write(
    `clients: ${clientsCount} sequential writers, ${(ok / elapsedS).toFixed(0)} writes/s acknowledged, ${failed} failed\n`,
  );
}

/** Waits until leaders and terms hold still for two seconds (formation and balancing are over). */
async function settle(cluster: ProcessCluster): Promise<void> {
  const view = async (): Promise<string> => {
    const all = await Promise.all(cluster.members.map(statusOf));
    return JSON.stringify(all.map((s) => s?.groups.map((g) => [g.group, g.leader, g.term])));
  };
  let previous = await view();
  for (let round = 0; round < 30; round++) {
    const startMs = performance.now();
    await waitFor(() => performance.now() - startMs >= 2_000, 3_000);
    const current = await view();
    if (current === previous) return;
    previous = current;
  }
}

async function rest(cluster: ProcessCluster): Promise<void> {
  await settle(cluster);
  const periodMs = 10_000;
  const before = await Promise.all(cluster.members.map(statusOf));
  const startMs = performance.now();
  await waitFor(() => performance.now() - startMs >= periodMs, periodMs + 1_000);
  const after = await Promise.all(cluster.members.map(statusOf));
  const elapsedMs = performance.now() - startMs;
  for (const [i, member] of cluster.members.entries()) {
    const a = before[i];
    const b = after[i];
    if (a == null || b == null) continue;
    const cpuMs =
      (b.process.cpuUserMicros +
        b.process.cpuSystemMicros -
        a.process.cpuUserMicros -
        a.process.cpuSystemMicros) /
      1000;
    process.stdout.write(
      `${member.name} at rest (${b.groups.length} groups, leads ${b.groups.filter((g) => g.role === "leader").length}): CPU ${((cpuMs / elapsedMs) * 100).toFixed(1)} %, RSS ${(b.process.rssBytes / 2 ** 20).toFixed(0)} MiB, heap ${(b.process.heapUsedBytes / 2 ** 20).toFixed(0)} MiB\n`,
    );
  }
}

const cluster = await ProcessCluster.start(3, 64);
try {
  assert(await waitFor(() => ready(cluster), 60_000), "cluster not ready");
  for (let run = 1; run <= runs; run++) {
    const r = await reelection(cluster);
    process.stdout.write(
      `run ${run}: kill -9 of group 0's leader: group 0 re-elected in ${r.group0Ms.toFixed(0)} ms, all ${r.groups} of its groups in ${r.allMs.toFixed(0)} ms\n`,
    );
  }
  await load(cluster);
  if (runs > 0) await rest(cluster);
} finally {
  await cluster.stopAll();
}
