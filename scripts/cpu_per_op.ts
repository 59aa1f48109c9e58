// CPU cost per operation: starts a 3-member Shoal cluster (or, for the peers' kinds, etcd's 3
// members or one redis-server, bench/peers.ts), drives one kind of operation at a fixed concurrency
// for a bounded time through one client in this process, and reads the servers' user+system CPU
// time and system calls from /proc/<pid> (and Shoal's counters from /api/status) around the
// measured window. It answers "where does the capacity go" in CPU microseconds per operation,
// which is steadier than ops/s on a shared machine, and puts Shoal and its peers on one scale.
// Linux only (/proc).
// Run: npx tsx scripts/cpu_per_op.ts [put|get|incr|etcd-put|etcd-get|redis-incr] [concurrency] [duration-ms]
// Settings: PARTITIONS=n (Shoal partitions, default 16), CPU_PROF_DIR=dir (each member's V8 CPU
// profile, start-up included), MEMBER_NODE_ARGS="--flag ..." (node flags for every member).

import { readdirSync, readFileSync } from "node:fs";
import { EtcdCluster, RedisServer, ShoalCluster, stopAllChildren } from "../bench/peers.js";
import { etcdClient, etcdReady, redisClient, redisReady } from "../bench/targets.js";
import { connect } from "../src/index.js";

const kinds = ["put", "get", "incr", "etcd-put", "etcd-get", "redis-incr"] as const;
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
  const { user, system } = cpuTicksSplit(pid);
  return user + system;
}

/** Clock ticks of user and of system (kernel) time of one process, all its threads. */
function cpuTicksSplit(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/**
 * Context switches of every thread of one process so far (voluntary: it waited, for a read, a
 * lock or the event loop; involuntary: the scheduler took the CPU away). On a 2-core machine
 * running four busy processes each switch also costs the caches, so fewer is faster.
 */
function switches(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${task}/status`, "utf8");
    } catch {
      continue; // The thread ended between the listing and the read.
    }
    for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm))
      total += Number(match[1]);
  }
  return total;
}

/**
 * Clock ticks the hypervisor gave the machine's CPUs to someone else (steal), and all ticks, so far:
 * a run with much steal ran on a slower machine than its neighbours, whatever its code.
 */
function machineTicks(): { steal: number; all: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { steal: fields[7] ?? 0, all: fields.slice(0, 8).reduce((a, b) => a + b, 0) };
}

interface MemberCounters {
  readonly passes: number;
  readonly framesReceived: number;
  readonly framesSent: number;
  readonly walSyncs: number;
  readonly walEntries: number;
  /** Groups this member leads (from the status's groups, not a stats counter). */
  readonly leads: number;
}

async function counters(admin: string): Promise<MemberCounters> {
  const response = await fetch(`http://${admin}/api/status`, { signal: AbortSignal.timeout(5_000) });
  const status = (await response.json()) as {
    stats: Omit<MemberCounters, "leads">;
    groups?: { role: string }[];
  };
  const leads = (status.groups ?? []).filter((group) => group.role === "leader").length;
  return { ...status.stats, leads };
}

/** A running system: its server processes, one operation through its client, and its counters. */
interface Subject {
  readonly pids: readonly number[];
  operation(key: string): Promise<unknown>;
  /** Shoal's per-member counters; empty for the peers. */
  counters(): Promise<MemberCounters[]>;
  stop(): Promise<void>;
}

const value = "x".repeat(100);

async function shoalSubject(kind: Kind): Promise<Subject> {
  const profileDir = process.env.CPU_PROF_DIR;
  const extraArgs = (process.env.MEMBER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const profileArgs = profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profileDir];
  const cluster = new ShoalCluster(3, Number(process.env.PARTITIONS ?? 16), [...extraArgs, ...profileArgs]);
  await cluster.start();
  const shoal = await connect({ endpoints: cluster.endpoints, secret: cluster.secret, timeoutMs: 10_000 });
  const map = shoal.map<string>("cpu-per-op");
  return {
    pids: cluster.children.map((child) => child.process.pid!),
    operation: (key) =>
      kind === "put"
        ? map.put(key, value)
        : kind === "get"
          ? map.get(key)
          : shoal.counter(`c-${key}`).increment(1),
    counters: () => Promise.all(cluster.admins.map(counters)),
    stop: async () => {
      await shoal.close();
      await cluster.stop();
    },
  };
}

async function etcdSubject(kind: Kind): Promise<Subject> {
  const cluster = new EtcdCluster(3);
  await cluster.start(etcdReady);
  const client = etcdClient(cluster.clientUrls);
  return {
    pids: cluster.children.map((child) => child.process.pid!),
    operation: (key) =>
      kind === "etcd-put" ? client.put(`map/${key}`).value(value).exec() : client.get(`map/${key}`).string(),
    counters: async () => [],
    stop: async () => {
      client.close();
      await cluster.stop();
    },
  };
}

async function redisSubject(): Promise<Subject> {
  const server = new RedisServer("everysec");
  await server.start(redisReady);
  const client = redisClient(server.port);
  await client.connect();
  return {
    pids: [server.child!.process.pid!],
    operation: (key) => client.incr(`ctr/${key}`),
    counters: async () => [],
    stop: async () => {
      client.disconnect();
      await server.stop();
    },
  };
}

function subjectOf(kind: Kind): Promise<Subject> {
  if (kind.startsWith("etcd-")) return etcdSubject(kind);
  if (kind === "redis-incr") return redisSubject();
  return shoalSubject(kind);
}

async function main(): Promise<void> {
  const kind = (process.argv[2] ?? "put") as Kind;
  const concurrency = Number(process.argv[3] ?? 64);
  const durationMs = Number(process.argv[4] ?? 5_000);
  if (!kinds.includes(kind)) throw new Error(`kind must be one of ${kinds.join(", ")}`);
  if (!(concurrency >= 1 && concurrency <= limits.concurrencyMax)) throw new Error("bad concurrency");
  if (!(durationMs >= 100 && durationMs <= limits.durationMsMax)) throw new Error("bad duration");
  const subject = await subjectOf(kind);
  try {
    const run = async (forMs: number): Promise<number> => {
      let done = 0;
      const endMs = performance.now() + forMs;
      const worker = async (index: number): Promise<void> => {
        for (let i = index; performance.now() < endMs; i += concurrency) {
          await subject.operation(`k${i % limits.keys}`);
          done += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
      return done;
    };
    await run(limits.warmupMs);
    const pids = subject.pids;
    /** Every counter read from /proc and the members, at one moment. */
    const snapshot = async () => ({
      cpu: pids.map(cpuTicks),
      split: pids.map(cpuTicksSplit),
      switches: pids.map(switches),
      io: pids.map(syscalls),
      stats: await subject.counters(),
      machine: machineTicks(),
    });
    const before = await snapshot();
    const startMs = performance.now();
    const clientBefore = process.cpuUsage();
    const clientSwitchesBefore = switches(process.pid);
    const operations = await run(durationMs);
    const clientCpu = process.cpuUsage(clientBefore);
    const clientSwitches = switches(process.pid) - clientSwitchesBefore;
    const seconds = (performance.now() - startMs) / 1_000;
    const after = await snapshot();
    const stealShare =
      (after.machine.steal - before.machine.steal) / Math.max(1, after.machine.all - before.machine.all);
    const ticks = after.cpu.map((value, i) => value - before.cpu[i]!);
    const cpuUs = (ticks.reduce((a, b) => a + b, 0) * 10_000) / operations;
    console.log(
      `${kind} c=${concurrency}: ${Math.round(operations / seconds)} ops/s over ${seconds.toFixed(1)} s; ` +
        `server CPU ${ticks.map((t) => (t / 100).toFixed(2)).join(" + ")} s = ${Math.round(cpuUs)} µs per operation; ` +
        `client CPU ${Math.round((clientCpu.user + clientCpu.system) / operations)} µs per operation ` +
        `(switches ${(clientSwitches / operations).toFixed(3)}); ` +
        `machine steal ${(stealShare * 100).toFixed(1)}%`,
    );
    for (const [i, pid] of pids.entries()) {
      const reads = after.io[i]!.reads - before.io[i]!.reads;
      const writes = after.io[i]!.writes - before.io[i]!.writes;
      const stats = after.stats[i];
      const was = before.stats[i];
      const per = (key: keyof MemberCounters): string =>
        stats === undefined || was === undefined ? "-" : ((stats[key] - was[key]) / operations).toFixed(3);
      console.log(
        `  server ${i + 1} (pid ${pid}) per operation: CPU ${Math.round((ticks[i]! * 10_000) / operations)} µs ` +
          `(system ${Math.round(((after.split[i]!.system - before.split[i]!.system) * 10_000) / operations)}), ` +
          `switches ${((after.switches[i]! - before.switches[i]!) / operations).toFixed(3)}, ` +
          `read calls ${(reads / operations).toFixed(3)}, write calls ${(writes / operations).toFixed(3)}` +
          (stats === undefined
            ? ""
            : `, passes ${per("passes")}, frames in ${per("framesReceived")}, out ${per("framesSent")}, ` +
              `WAL syncs ${per("walSyncs")}, WAL entries ${per("walEntries")}, leads ${stats.leads} groups`),
      );
    }
  } finally {
    await subject.stop();
  }
}

// A signal (a timeout's SIGTERM, Ctrl-C) stops every server this script started before it exits:
// members left behind would load the machine for every later measurement.
// A closed stdout (piped into `head`) must not kill the script before its `finally` stops them.
process.stdout.on("error", () => undefined);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAllChildren().finally(() => process.exit(130));
  });
}
await main();
