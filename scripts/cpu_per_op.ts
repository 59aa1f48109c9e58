// CPU cost per operation of a 3-member Shoal cluster: starts the members (bench/peers.ts), drives
// one kind of operation at a fixed concurrency for a bounded time through one client, and reads the
// members' user+system CPU time from /proc/<pid>/stat and their counters from /api/status around
// the measured window. It answers "where does the capacity go" in member-CPU microseconds per
// operation, which is steadier than ops/s on a shared machine. Linux only (/proc).
// Run: [CPU_PROF_DIR=dir] npx tsx scripts/cpu_per_op.ts [put|get|incr] [concurrency] [duration-ms]

import { readFileSync } from "node:fs";
import { ShoalCluster } from "../bench/peers.js";
import { connect } from "../src/index.js";

const kinds = ["put", "get", "incr"] as const;
type Kind = (typeof kinds)[number];

/** Bounds of one measurement; units last. */
const limits = { warmupMs: 1_500, durationMsMax: 60_000, concurrencyMax: 1_024, keys: 1_000 } as const;

/** Read and write system calls made so far by one process. */
function syscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(io)?.[1] ?? 0);
  return { reads: field("syscr"), writes: field("syscw") };
}

/** Clock ticks of user plus system time of one process (USER_HZ is 100 on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

interface MemberCounters {
  readonly passes: number;
  readonly framesReceived: number;
  readonly framesSent: number;
  readonly walSyncs: number;
  readonly walEntries: number;
}

async function counters(admin: string): Promise<MemberCounters> {
  const response = await fetch(`http://${admin}/api/status`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as { stats: MemberCounters }).stats;
}

async function main(): Promise<void> {
  const kind = (process.argv[2] ?? "put") as Kind;
  const concurrency = Number(process.argv[3] ?? 64);
  const durationMs = Number(process.argv[4] ?? 5_000);
  if (!kinds.includes(kind)) throw new Error(`kind must be one of ${kinds.join(", ")}`);
  if (!(concurrency >= 1 && concurrency <= limits.concurrencyMax)) throw new Error("bad concurrency");
  if (!(durationMs >= 100 && durationMs <= limits.durationMsMax)) throw new Error("bad duration");
  // CPU_PROF_DIR=dir writes each member's V8 CPU profile there (whole run, start-up included).
  const profileDir = process.env.CPU_PROF_DIR;
  const nodeArgs = profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profileDir];
  // PARTITIONS=n changes the number of partitions (default 16).
  const cluster = new ShoalCluster(3, Number(process.env.PARTITIONS ?? 16), nodeArgs);
  try {
    await cluster.start();
    const shoal = await connect({ endpoints: cluster.endpoints, secret: cluster.secret, timeoutMs: 10_000 });
    const map = shoal.map<string>("cpu-per-op");
    const value = "x".repeat(100);
    const operation = async (key: string): Promise<void> => {
      if (kind === "put") await map.put(key, value);
      else if (kind === "get") await map.get(key);
      else await shoal.counter(`c-${key}`).increment(1);
    };
    const run = async (forMs: number): Promise<number> => {
      let done = 0;
      const endMs = performance.now() + forMs;
      const worker = async (index: number): Promise<void> => {
        for (let i = index; performance.now() < endMs; i += concurrency) {
          await operation(`k${i % limits.keys}`);
          done += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
      return done;
    };
    await run(limits.warmupMs);
    const pids = cluster.children.map((child) => child.process.pid!);
    const before = { cpu: pids.map(cpuTicks), io: pids.map(syscalls), stats: await Promise.all(cluster.admins.map(counters)) };
    const startMs = performance.now();
    const clientBefore = process.cpuUsage();
    const operations = await run(durationMs);
    const clientCpu = process.cpuUsage(clientBefore);
    const seconds = (performance.now() - startMs) / 1_000;
    const after = { cpu: pids.map(cpuTicks), io: pids.map(syscalls), stats: await Promise.all(cluster.admins.map(counters)) };
    const ticks = after.cpu.map((value, i) => value - before.cpu[i]!);
    const cpuUs = (ticks.reduce((a, b) => a + b, 0) * 10_000) / operations;
    console.log(
      `${kind} c=${concurrency}: ${Math.round(operations / seconds)} ops/s over ${seconds.toFixed(1)} s; ` +
        `member CPU ${ticks.map((t) => (t / 100).toFixed(2)).join(" + ")} s = ${Math.round(cpuUs)} µs per operation; ` +
        `client CPU ${Math.round((clientCpu.user + clientCpu.system) / operations)} µs per operation`,
    );
    for (const [i, stats] of after.stats.entries()) {
      const was = before.stats[i]!;
      const per = (key: keyof MemberCounters): string => ((stats[key] - was[key]) / operations).toFixed(3);
      const io = { reads: after.io[i]!.reads - before.io[i]!.reads, writes: after.io[i]!.writes - before.io[i]!.writes };
      console.log(
        `  n${i + 1} per operation: passes ${per("passes")}, frames in ${per("framesReceived")}, ` +
          `out ${per("framesSent")}, WAL syncs ${per("walSyncs")}, WAL entries ${per("walEntries")}, ` +
          `CPU ${Math.round((ticks[i]! * 10_000) / operations)} µs, read calls ${(io.reads / operations).toFixed(3)}, ` +
          `write calls ${(io.writes / operations).toFixed(3)}`,
      );
    }
    await shoal.close();
  } finally {
    await cluster.stop();
  }
}

await main();
