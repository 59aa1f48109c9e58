// The closing-note figures, over real processes on 127.0.0.1: operations per second for map put,
// map get and counter increment with 16 concurrent clients (16 connections), and the time until
// writes resume after kill -9 of a data group's leader (5 runs). Not part of `npm test`.
// Run: npx tsx test/e2e/figures.ts

import { connect, type Shoal } from "../../src/index.js";
import { partitionOf } from "../../src/protocol/placement/index.js";
import { E2eCluster, type MemberProcess, waitFor } from "./harness.js";
import { runWorkload, workloadKeys, workloadMap } from "./workload.js";

const clientsCount = 16;
const phaseMs = 5_000;

async function throughput(
  clients: readonly Shoal[],
  label: string,
  op: (shoal: Shoal, client: number, n: number) => Promise<unknown>,
): Promise<void> {
  const end = Date.now() + phaseMs;
  let ok = 0;
  let failed = 0;
  let firstError = "";
  await Promise.all(
    clients.map(async (shoal, client) => {
      for (let n = 0; Date.now() < end && n < 1_000_000; n++) {
        try {
          await op(shoal, client, n);
          ok += 1;
        } catch (error) {
          failed += 1;
          firstError ||= String(error);
          if (failed > 50) return;
        }
      }
    }),
  );
  const rate = Math.round(ok / (phaseMs / 1_000));
  console.log(`${label}: ${rate} ops/s (${ok} ok, ${failed} failed${firstError ? `; ${firstError}` : ""})`);
}

async function resumeGaps(cluster: E2eCluster, runs: number): Promise<void> {
  const group = partitionOf(workloadMap, workloadKeys[0]!, cluster.partitions) + 1;
  const gaps: number[] = [];
  for (let run = 0; run < runs; run++) {
    let finish = (): void => {};
    const stop = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const workload = runWorkload(cluster.endpoints, cluster.secret, 5, 4_000, stop);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    let leader: MemberProcess | null = null;
    await waitFor("a leader", async () => (leader = await cluster.leaderOf(group)) !== null, 20_000);
    const victim = leader as unknown as MemberProcess;
    const killMs = performance.now();
    await cluster.signal(victim, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    finish();
    const result = await workload;
    cluster.spawn(victim);
    await waitFor("ready again", async () => (await cluster.status(victim)) !== null, 30_000);
    const writes = result.writesOk.filter((w) => w.invokeMs >= killMs).sort((a, b) => a.okMs - b.okMs);
    const perKey = workloadKeys.map(
      (key) => writes.find((w) => w.key === key)?.okMs ?? Number.POSITIVE_INFINITY,
    );
    const gap = Math.max(...perKey) - killMs;
    gaps.push(gap);
    console.log(
      `run ${run + 1}: killed ${victim.name} (leader of group ${group}); writes resumed after ${Math.round(gap)} ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  const sorted = [...gaps].sort((a, b) => a - b);
  console.log(
    `resume gap ms: ${sorted.map(Math.round).join(", ")} (median ${Math.round(sorted[Math.floor(sorted.length / 2)]!)})`,
  );
}

const cluster = await E2eCluster.start(3, 16);
try {
  await waitFor(
    "every member ready",
    async () => {
      const all = await Promise.all(cluster.members.map((m) => cluster.status(m)));
      return all.every((s) => (s as { ready?: boolean } | null)?.ready === true);
    },
    60_000,
  );
  const clients: Shoal[] = [];
  for (let i = 0; i < clientsCount; i++)
    clients.push(await connect({ endpoints: cluster.endpoints, secret: cluster.secret, timeoutMs: 5_000 }));
  const value = "x".repeat(100);
  await throughput(clients, "map put (100-byte values)", (s, c, n) =>
    s.map<string>("bench").put(`k${c}-${n % 64}`, value),
  );
  await throughput(clients, "map get", (s, c, n) => s.map<string>("bench").get(`k${c}-${n % 64}`));
  await throughput(clients, "counter increment", (s, c) =>
    s.counter(`views-${c % 4}`).increment(1, { timeoutMs: 1_000 }),
  );
  await throughput(clients, "atomicLong incrementAndGet", (s, c) =>
    s.atomicLong(`seq-${c % 4}`).incrementAndGet(),
  );
  for (const shoal of clients) await shoal.close();
  await resumeGaps(cluster, 5);
} finally {
  await cluster.stopAll();
}
