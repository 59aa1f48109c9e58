// `npm run bench`: starts a Shoal cluster, a 3-member etcd 3.4 cluster and redis-server (AOF
// everysec and always) on 127.0.0.1, runs each scenario with identical load on Shoal and the
// peers, prints markdown tables and writes them to bench/results/<date>.md. Everything it
// started is stopped by PID in a `finally` and on SIGINT/SIGTERM.
// Run: npm run bench -- [--quick] [--runs 3] [--duration-ms 5000] [--ops 200000] ...

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { Command } from "commander";
import type { Etcd3 } from "etcd3";
import type { Redis } from "ioredis";
import type { Shoal } from "../src/index.js";
import { memberOptionsDefault } from "../src/runtime/index.js";
import { createCpMachine } from "../src/structures/index.js";
import { nodeId } from "../src/types.js";
import {
  etcdFailover,
  etcdMatchingTiming,
  type FailoverSystem,
  failoverKey,
  failoverLimits,
  failoverMarkdown,
  medianOf,
  runFailovers,
  shoalFailover,
} from "./failover.js";
import type { KeyDistribution } from "./load.js";
import {
  etcdStability,
  runStability,
  type StabilityOutcome,
  shoalStability,
  spuriousElections,
  stabilityLimits,
  stabilityMarkdown,
} from "./stability.js";
import { type TargetInputs, targetRows, targetsMarkdown } from "./targets_summary.js";
import { measureRaftTraffic, measureSwimTraffic, simLimits, simMarkdown } from "./sim.js";
import {
  runSwimDetections,
  shoalSwimSystem,
  swimDetectionBoundMs,
  swimDetectLimits,
  swimDetectMarkdown,
} from "./swim_detect.js";
import {
  EtcdCluster,
  ensurePeerPackages,
  hasProgram,
  programVersion,
  RedisServer,
  repositoryRoot,
  ShoalCluster,
  stopAllChildren,
} from "./peers.js";
import { type Environment, resultsMarkdown, type Scenario } from "./report.js";
import {
  type BenchShape,
  type ProgressSink,
  runScenario,
  type ScenarioSpec,
  type Target,
} from "./scenarios.js";
import {
  benchMapName,
  connectShoal,
  etcdClient,
  etcdReady,
  etcdTarget,
  redisClient,
  redisReady,
  redisTarget,
  shoalTarget,
  targetLimits,
} from "./targets.js";

/** Every scenario the bench knows, in the order it runs them. */
export const scenarioIds = [
  "cp-write",
  "cp-read",
  "ap-counter",
  "ap-set",
  "atomic",
  "lock",
  "failover",
  "swim-detect",
  "sim",
  "stability",
] as const;
type ScenarioId = (typeof scenarioIds)[number];

interface Options {
  quick: boolean;
  runs: string;
  durationMs: string;
  ops: string;
  concurrency: string;
  keys: string;
  distribution: string;
  valueBytes: string;
  partitions: string;
  seed: string;
  warmupMs: string;
  failoverRuns: string;
  swimMembers: string;
  swimRuns: string;
  simVoters: string;
  simWrites: string;
  simClients: string;
  simSwimSizes: string;
  simSwimSeconds: string;
  simSeed: string;
  simReorder: boolean;
  stabilityMs: string;
  scenarios: string;
  peers: boolean;
  install: boolean;
  out?: string;
  profile?: string;
}

function shapeOf(options: Options): BenchShape {
  const distribution = options.distribution as KeyDistribution;
  if (distribution !== "uniform" && distribution !== "zipfian")
    throw new Error(`unknown distribution ${distribution}`);
  const quick = options.quick;
  return {
    concurrencies: (quick ? "1,16" : options.concurrency).split(",").map(Number),
    runs: quick ? 1 : Number(options.runs),
    durationMs: quick ? 500 : Number(options.durationMs),
    opsMax: quick ? 2_000 : Number(options.ops),
    keys: quick ? 100 : Number(options.keys),
    distribution,
    valueBytes: Number(options.valueBytes),
    seed: Number(options.seed),
    warmupMs: quick ? 0 : Number(options.warmupMs),
  };
}

function packageVersion(name: string): string {
  const file = join(repositoryRoot, "node_modules", name, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

function progressSink(): ProgressSink {
  const tty = process.stdout.isTTY === true;
  return (line, final) => {
    if (tty) process.stdout.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    else if (final) process.stdout.write(`${line}\n`);
  };
}

/** The systems running for one bench invocation. */
interface Systems {
  shoal: Target;
  shoalCluster: ShoalCluster | null;
  etcdCluster: EtcdCluster | null;
  shoalWrite: (key: string, value: string) => Promise<void>;
  etcd: Target;
  redisEverysec: Target;
  redisAlways: Target;
  notes: string[];
  close: () => Promise<void>;
}

async function startPeers(
  options: Options,
  systems: Systems,
  closers: (() => Promise<void>)[],
): Promise<void> {
  if (!options.peers) {
    const skipped = (name: string): Target => ({ name, ops: {}, unavailable: "skipped (--no-peers)" });
    systems.etcd = skipped("etcd");
    systems.redisEverysec = skipped("Redis AOF everysec");
    systems.redisAlways = skipped("Redis AOF always");
    systems.notes.push("Peers skipped (--no-peers).");
    return;
  }
  if (options.install) systems.notes.push(`Peer packages: ${ensurePeerPackages()}.`);
  if (hasProgram("etcd")) {
    const etcd = new EtcdCluster(3);
    closers.push(() => etcd.stop());
    try {
      await etcd.start(etcdReady);
      const client: Etcd3 = etcdClient(etcd.clientUrls);
      closers.push(async () => client.close());
      systems.etcd = etcdTarget(client);
      systems.etcdCluster = etcd;
    } catch (error) {
      systems.etcd = { name: "etcd", ops: {}, unavailable: `did not start: ${String(error)}` };
    }
  }
  for (const mode of ["everysec", "always"] as const) {
    if (!hasProgram("redis-server")) break;
    const server = new RedisServer(mode);
    closers.push(() => server.stop());
    try {
      await server.start(redisReady);
      const client: Redis = redisClient(server.port);
      await client.connect();
      closers.push(async () => client.disconnect());
      const target = redisTarget(client, `AOF ${mode}`);
      if (mode === "everysec") systems.redisEverysec = target;
      else systems.redisAlways = target;
    } catch (error) {
      const target = { name: `Redis AOF ${mode}`, ops: {}, unavailable: `did not start: ${String(error)}` };
      if (mode === "everysec") systems.redisEverysec = target;
      else systems.redisAlways = target;
    }
  }
}

async function startSystems(options: Options, progress: ProgressSink): Promise<Systems> {
  const closers: (() => Promise<void>)[] = [];
  const missing = (name: string, why: string): Target => ({ name, ops: {}, unavailable: why });
  const systems: Systems = {
    shoal: missing("Shoal", "not started"),
    shoalCluster: null,
    etcdCluster: null,
    shoalWrite: async () => {
      throw new Error("Shoal not started");
    },
    etcd: missing("etcd", "etcd not installed"),
    redisEverysec: missing("Redis AOF everysec", "redis-server not installed"),
    redisAlways: missing("Redis AOF always", "redis-server not installed"),
    notes: [],
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
  try {
    progress("starting a 3-member Shoal cluster", true);
    const profile = options.profile === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", options.profile];
    const cluster = new ShoalCluster(3, Number(options.partitions), profile);
    closers.push(() => cluster.stop());
    await cluster.start();
    progress(`Shoal members started, pids ${cluster.children.map((c) => c.process.pid).join(",")}`, true);
    const shoal: Shoal = await connectShoal(cluster.endpoints, cluster.secret);
    closers.push(() => shoal.close());
    systems.shoal = shoalTarget(shoal);
    systems.shoalCluster = cluster;
    systems.shoalWrite = (key, value) => shoal.map<string>(benchMapName).put(key, value);
    progress("starting peers", true);
    await startPeers(options, systems, closers);
  } catch (error) {
    await systems.close();
    throw error;
  }
  return systems;
}

/** Starts its own `--swim-members` cluster, kills a member `--swim-runs` times, stops the cluster. */
async function swimDetect(options: Options, progress: ProgressSink): Promise<string> {
  const size = Number(options.swimMembers);
  const runs = options.quick ? 1 : Number(options.swimRuns);
  progress(`starting a ${size}-member Shoal cluster for swim-detect`, true);
  const cluster = new ShoalCluster(size, Number(options.partitions));
  try {
    await cluster.start();
    const results = await runSwimDetections(shoalSwimSystem(cluster), runs, progress);
    const tickMs = memberOptionsDefault(nodeId("bench"), createCpMachine).tickMs;
    return swimDetectMarkdown(results, [
      `${size} \`shoal start\` members, ${options.partitions} partitions, no client load; ${runs} run(s), killing n2, n3, … in turn; status of every other member polled every ${swimDetectLimits.pollMs} ms.`,
      `SWIM LAN profile at ${tickMs} ms ticks; its own bound on full detection for ${size} members: ${swimDetectionBoundMs(size, tickMs)} ms.`,
    ]);
  } finally {
    await cluster.stop();
  }
}

/** The simulated figures: Raft traffic per write and at rest, SWIM traffic per member. */
function simulated(options: Options, progress: ProgressSink): string {
  const quick = options.quick;
  const voters = (quick ? "3" : options.simVoters).split(",").map(Number);
  const writes = quick ? 200 : Number(options.simWrites);
  const sizes = (quick ? "16" : options.simSwimSizes).split(",").map(Number);
  const windowMs = (quick ? 10 : Number(options.simSwimSeconds)) * 1_000;
  const seed = Number(options.simSeed);
  const clients = Number(options.simClients);
  const valueBytes = Number(options.valueBytes);
  const raft = voters.map((count) => {
    progress(`sim: ${count} members, ${writes} writes`, false);
    const reorder = options.simReorder;
    const result = measureRaftTraffic({ voters: count, writes, valueBytes, seed, clients, reorder });
    progress(`sim: ${count} members, ${writes} writes in ${(result.wallMs / 1_000).toFixed(1)} s wall`, true);
    return result;
  });
  const swim = sizes.map((count) => {
    progress(`sim: SWIM ${count} members`, false);
    const result = measureSwimTraffic(count, windowMs, seed);
    progress(
      `sim: SWIM ${count} members, ${result.messagesPerMemberPerSecond.toFixed(2)} msgs/member/s`,
      true,
    );
    return result;
  });
  return simMarkdown(raft, swim, [
    `Raft: the real Member code (real CP machine, default 50 ms ticks, heartbeats every 100 ms) on the simulator, one partition (group 1) plus the configuration group (group 0), replicas = members; ${clients} clients keep one ${valueBytes}-byte map put each in flight until ${writes} are acknowledged; seed ${seed}; fault-free links, ${options.simReorder ? "jittered delays (1 ms + exp(0.5 ms)) that reorder frames" : "1 ms fixed delay, frames in order as on TCP"}.`,
    `"msgs/write" counts member-to-member frames (wire frames; a raft-batch carries every Raft message for one peer) from the first write to ${simLimits.tailMs} ms after the last acknowledgement, divided by acknowledged writes; "net" subtracts the at-rest rate over the same window; "at rest" is a ${simLimits.restMs / 1_000} s quiet window ${simLimits.settleMs / 1_000} s after forming; client frames are counted apart.`,
    `SWIM: the swim workload's cluster of pure SWIM cores (LAN profile, 50 ms ticks, Lifeguard on), no faults; messages sent over ${windowMs / 1_000} virtual seconds after every view is full, per member per second.`,
  ]);
}

/** Loads Shoal (and etcd, alongside) for `--stability-ms` and counts elections. */
async function stability(
  options: Options,
  systems: Systems,
  progress: ProgressSink,
  outcome: Outcome,
): Promise<string> {
  const durationMs = options.quick ? 10_000 : Number(options.stabilityMs);
  const cluster = systems.shoalCluster;
  if (cluster === null) throw new Error("stability needs the Shoal cluster");
  const list = [shoalStability(cluster, systems.shoal)];
  const notes = [
    `${durationMs / 1_000} s of load at c=${stabilityLimits.concurrency} per system (half puts of 100-byte values, half linearizable gets, ${stabilityLimits.keys} keys), every system loaded at once; the run starts once every term, leader and the transfer count held for ${stabilityLimits.settleQuietMs / 1_000} s (leader balancing after formation done); terms and leaders read then, every ${stabilityLimits.sampleMs / 1_000} s, and after.`,
    "Shoal: 3 members, 50 ms ticks, heartbeats every 100 ms, elections after 500–1000 ms; a leadership transfer by leader balancing raises a term on purpose and is counted apart (PASS: term changes ≤ transfers).",
  ];
  if (systems.etcdCluster !== null && systems.etcd.unavailable === undefined && hasProgram("etcdctl")) {
    list.push(etcdStability(systems.etcdCluster, systems.etcd));
    notes.push(
      "etcd: 3 members, its default timing (heartbeats every 100 ms, elections after 1000–2000 ms); raft_term from `etcdctl endpoint status`.",
    );
  } else notes.push("etcd: not measured (skipped or not installed).");
  const outcomes = await runStability(list, durationMs, Number(options.seed), progress);
  const etcd = outcomes.find((o) => o.name === "etcd");
  outcome.stability = {
    durationMs,
    shoalSpurious: spuriousElections(outcomes[0] as StabilityOutcome),
    etcdSpurious: etcd === undefined ? null : spuriousElections(etcd),
  };
  return stabilityMarkdown(outcomes, notes);
}

/** Kills the leader of one key's group `--failover-runs` times on Shoal and on a fresh etcd. */
async function failover(
  options: Options,
  systems: Systems,
  progress: ProgressSink,
  outcome: Outcome,
): Promise<string> {
  const runs = options.quick ? 1 : Number(options.failoverRuns);
  const cluster = systems.shoalCluster;
  if (cluster === null) throw new Error("failover needs the Shoal cluster");
  const list: FailoverSystem[] = [
    shoalFailover(cluster, (v) => systems.shoalWrite(failoverKey, v), benchMapName),
  ];
  const notes = [
    `${runs} run(s) per system, ${failoverLimits.writers} writers on one key; median kept.`,
    "Shoal: 50 ms ticks, heartbeats every 100 ms, elections after 500–1000 ms (its defaults); a follower whose connection to its leader closes campaigns after 1–3 ticks (runtime/leader_watch.ts), and SIGKILL closes the leader's sockets at once, so a silent failure (power loss, partition) would wait the election timeout instead.",
  ];
  let etcd: EtcdCluster | null = null;
  let client: Etcd3 | null = null;
  try {
    if (options.peers && hasProgram("etcd") && hasProgram("etcdctl")) {
      progress("starting a fresh 3-member etcd with matching timing for failover", true);
      etcd = new EtcdCluster(3, etcdMatchingTiming);
      await etcd.start(etcdReady);
      const urls = etcd.clientUrls;
      const etcdClientNow = etcdClient(urls);
      client = etcdClientNow;
      const ready = (): Promise<boolean> =>
        etcdReady(urls.filter((_, i) => etcd?.children[i]?.running === true));
      list.push(
        etcdFailover(
          etcd,
          (v) =>
            etcdClientNow
              .put(failoverKey)
              .value(v)
              .then(() => undefined),
          ready,
        ),
      );
      notes.push(`etcd: ${etcdMatchingTiming.join(" ")} (randomized in [500, 1000) ms), one etcd3 client.`);
    } else notes.push("etcd: not measured (skipped or not installed).");
    const times = await runFailovers(list, runs, progress);
    const etcdTimes = times.get("etcd");
    outcome.failover = {
      shoalMs: medianOf(times.get("Shoal") ?? []),
      etcdMs: etcdTimes === undefined ? null : medianOf(etcdTimes),
    };
    return failoverMarkdown(times, notes);
  } finally {
    client?.close();
    await etcd?.stop();
  }
}

function specs(systems: Systems, valueBytes: number): Record<LoadScenarioId, ScenarioSpec> {
  return {
    "cp-write": {
      id: "cp-write",
      title: "CP write: Shoal map put vs etcd put",
      description: `One put of a ${valueBytes}-byte value per operation, acknowledged after the write is committed.`,
      op: "put",
      preload: false,
      shoal: systems.shoal,
      peers: [systems.etcd],
    },
    "cp-read": {
      id: "cp-read",
      title: "Linearizable read: Shoal map get vs etcd get",
      description:
        "One linearizable get of a preloaded key per operation (etcd's default, non-serializable read).",
      op: "get",
      preload: true,
      shoal: systems.shoal,
      peers: [systems.etcd],
    },
    "ap-counter": {
      id: "ap-counter",
      title: "AP counter increment: Shoal counter vs Redis INCR",
      description: "One increment by 1 per operation. Redis is the single-node, unreplicated reference.",
      op: "incr",
      preload: false,
      shoal: systems.shoal,
      peers: [systems.redisEverysec, systems.redisAlways],
    },
    "ap-set": {
      id: "ap-set",
      title: "AP set add: Shoal set add vs Redis SADD",
      description: `One add per operation to the set of the drawn key, of the next of ${targetLimits.setElements} elements in turn. Redis is the single-node, unreplicated reference.`,
      op: "sadd",
      preload: false,
      shoal: systems.shoal,
      peers: [systems.redisEverysec, systems.redisAlways],
    },
    atomic: {
      id: "atomic",
      title: "Atomic increment: Shoal atomicLong vs an etcd transaction counter",
      description:
        "Shoal incrementAndGet vs etcd get + txn(if mod revision unchanged then put), retried on conflict.",
      op: "atomic",
      preload: false,
      shoal: systems.shoal,
      peers: [systems.etcd],
    },
    lock: {
      id: "lock",
      title: "Lock acquire + release: Shoal lock vs etcd lock",
      description: "One acquire (10 s lease) followed by its release per operation.",
      op: "lock",
      preload: false,
      shoal: systems.shoal,
      peers: [systems.etcd],
    },
  };
}

function environmentOf(notes: readonly string[]): Environment {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    command: `npm run bench --${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(" ")}` : ""}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? "unknown",
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    versions: {
      shoal: packageVersion("../"),
      etcd: programVersion("etcd", ["--version"]),
      "redis-server": programVersion("redis-server", ["--version"]),
      etcd3: packageVersion("etcd3"),
      ioredis: packageVersion("ioredis"),
      "hdr-histogram-js": packageVersion("hdr-histogram-js"),
    },
    notes,
  };
}

/** Scenarios measured with the load generator on the bench's Shoal cluster and peers. */
const loadScenarioIds = ["cp-write", "cp-read", "ap-counter", "ap-set", "atomic", "lock"] as const;
type LoadScenarioId = (typeof loadScenarioIds)[number];

function isLoadScenario(id: ScenarioId): id is LoadScenarioId {
  return (loadScenarioIds as readonly string[]).includes(id);
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");
}

/** What the scenarios produced: load tables, other sections, and notes for the header. */
interface Outcome {
  readonly tables: Scenario[];
  readonly sections: string[];
  readonly notes: string[];
  failover: TargetInputs["failover"];
  stability: TargetInputs["stability"];
}

/** The command that measures scenario `id` alone, with this invocation's other options. */
function commandFor(id: ScenarioId): string {
  const args: string[] = [];
  const given = process.argv.slice(2);
  for (let i = 0; i < given.length; i++) {
    const arg = given[i] as string;
    if (arg === "--scenarios" || arg === "--out" || arg === "--profile") i++;
    else if (!/^--(scenarios|out|profile)=/.test(arg)) args.push(arg);
  }
  return `npm run bench -- --scenarios ${id}${args.length > 0 ? ` ${args.join(" ")}` : ""}`;
}

/** `section` with the command that measures it alone on its own line under its heading. */
function withCommand(id: ScenarioId, section: string): string {
  const [heading, ...rest] = section.split("\n");
  return [heading, "", `Command: \`${commandFor(id)}\``, ...rest].join("\n");
}

/** Runs the scenarios that need the 3-member Shoal cluster (and the peers, unless --no-peers). */
async function runOnSystems(
  options: Options,
  wanted: readonly ScenarioId[],
  shape: BenchShape,
  progress: ProgressSink,
  outcome: Outcome,
): Promise<void> {
  const systems = await startSystems(options, progress);
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping everything the bench started\n`);
    void systems
      .close()
      .then(stopAllChildren)
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  try {
    const all = specs(systems, shape.valueBytes);
    for (const id of wanted)
      if (isLoadScenario(id))
        outcome.tables.push({ ...(await runScenario(all[id], shape, progress)), command: commandFor(id) });
    if (wanted.includes("failover"))
      outcome.sections.push(withCommand("failover", await failover(options, systems, progress, outcome)));
    if (wanted.includes("stability"))
      outcome.sections.push(withCommand("stability", await stability(options, systems, progress, outcome)));
  } finally {
    await systems.close();
    await stopAllChildren();
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
  }
  outcome.notes.push(
    `Shoal: 3 \`shoal start\` members, ${options.partitions} partitions, one \`connect()\` client; etcd: 3 members, default durability, one etcd3 client; Redis: one ioredis client. All on 127.0.0.1, on the same machine as the load generator.`,
    ...systems.notes,
  );
}

async function main(options: Options): Promise<void> {
  const shape = shapeOf(options);
  const wanted = options.scenarios.split(",") as ScenarioId[];
  for (const id of wanted) if (!scenarioIds.includes(id)) throw new Error(`unknown scenario ${id}`);
  const progress = progressSink();
  const loadAtStart = loadAverage();
  const outcome: Outcome = { tables: [], sections: [], notes: [], failover: null, stability: null };
  if (wanted.some((id) => isLoadScenario(id) || id === "failover" || id === "stability"))
    await runOnSystems(options, wanted, shape, progress, outcome);
  if (wanted.includes("swim-detect"))
    outcome.sections.push(withCommand("swim-detect", await swimDetect(options, progress)));
  if (wanted.includes("sim")) outcome.sections.push(withCommand("sim", simulated(options, progress)));
  const shapeNote = `Load: concurrency ${shape.concurrencies.join(", ")}; ${shape.runs} run(s) each; each run ${shape.durationMs} ms or ${shape.opsMax} operations, whichever first, after a discarded ${shape.warmupMs} ms warm-up run per system at each concurrency; ${shape.keys} keys, ${shape.distribution}; ${shape.valueBytes}-byte values; seed ${shape.seed}.`;
  const loadNote = `Machine load average (1 / 5 / 15 min) at start: ${loadAtStart}; at end: ${loadAverage()}. Other work on the machine shares its cores with every system measured.`;
  const notes = [...(outcome.tables.length > 0 ? [shapeNote] : []), ...outcome.notes, loadNote];
  const summary = targetsMarkdown(
    targetRows({ tables: outcome.tables, failover: outcome.failover, stability: outcome.stability }),
  );
  const markdown = resultsMarkdown(environmentOf(notes), outcome.tables, outcome.sections, summary);
  const day = new Date().toISOString().slice(0, 10);
  const out =
    options.out ?? join(repositoryRoot, "bench", "results", `${day}${options.quick ? "-quick" : ""}.md`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdown);
  process.stdout.write(`\n${markdown}\nwritten to ${out}\n`);
}

const program = new Command("bench")
  .description("Shoal side by side with etcd and Redis on this machine")
  .option("--quick", "smoke run: c=1,16, one short run each", false)
  .option("--runs <n>", "runs per scenario and concurrency (median kept)", "3")
  .option("--duration-ms <ms>", "longest a run lasts", "5000")
  .option("--ops <n>", "most operations in a run", "200000")
  .option("--concurrency <list>", "comma-separated concurrencies", "1,16,64")
  .option("--keys <n>", "key space size", "1000")
  .option("--distribution <d>", "uniform or zipfian", "uniform")
  .option("--value-bytes <n>", "value size for writes", "100")
  .option("--partitions <p>", "Shoal partitions", "16")
  .option("--seed <n>", "seed of the key draws", "1")
  .option("--warmup-ms <ms>", "discarded warm-up run per system before each scenario", "1000")
  .option("--failover-runs <n>", "leader kills per system in the failover scenario", "5")
  .option("--swim-members <n>", "members of the swim-detect cluster", "5")
  .option("--swim-runs <n>", "member kills in the swim-detect scenario", "5")
  .option("--sim-voters <list>", "cluster sizes of the simulated Raft traffic (sim scenario)", "3,5,7")
  .option("--sim-writes <n>", "acknowledged writes per simulated cluster", "2000")
  .option("--sim-clients <n>", "simulated clients, one write in flight each", String(simLimits.clients))
  .option("--sim-swim-sizes <list>", "SWIM cluster sizes of the simulated SWIM traffic", "16,64,256")
  .option("--sim-swim-seconds <s>", "virtual seconds of each SWIM traffic window", "60")
  .option("--sim-seed <n>", "seed of the simulations", "1")
  .option(
    "--sim-reorder",
    "sim: jittered link delays that reorder frames (default: FIFO links, as TCP)",
    false,
  )
  .option("--stability-ms <ms>", "length of the loaded run of the stability scenario", "600000")
  .option(
    "--scenarios <list>",
    `comma-separated, of ${scenarioIds.join(",")}`,
    "cp-write,cp-read,ap-counter,ap-set,swim-detect,sim",
  )
  .option("--no-peers", "measure Shoal only")
  .option("--no-install", "do not apt-get install missing peers")
  .option("--out <file>", "results file (default bench/results/<date>.md)")
  .option("--profile <dir>", "write each Shoal member's CPU profile (node --cpu-prof) into <dir>");

program.parse(process.argv);
try {
  await main(program.opts<Options>());
} catch (error) {
  await stopAllChildren();
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
