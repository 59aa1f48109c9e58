// The `crdt` workload (TESTING.md T3): five replicas on SimScheduler and SimNetwork, random
// operations on every CRDT type at random replicas, under loss, duplication, delay, partitions
// and churn (members leave and rejoin, some losing their state and rejoining under a new
// ReplicaId). Then everything heals, anti-entropy runs to quiescence, and the checkers demand:
// byte-equal replicas (values and metadata), equality with the oracle join of every surviving
// delta, no lost acknowledged add (set-full, add-wins), counter bounds, and a bounded number of
// gossip rounds until quiet. With `differential=1`, the same operation schedule also runs under
// delta and under full-state replication, with order-insensitive operations, and both must end
// with equal values.

import { AssertionError } from "../../lib/assert.js";
import { Prng } from "../../lib/prng.js";
import { type CrdtMutants, mutantsFromName } from "../../protocol/crdt/index.js";
import { FaultProfile, type FaultName, faultNames, isFaultName } from "../fault_profile.js";
import { partitionLinks } from "../nemesis.js";
import { SimScheduler } from "../scheduler.js";
import { Trace } from "../trace.js";
import type { Workload, WorkloadResult, WorkloadRunOptions } from "../workload.js";
import {
  checkCounters,
  checkOracle,
  checkReplicasEqual,
  checkSetFull,
  excludeLostOps,
  settleOps,
} from "./crdt/checks.js";
import { CrdtCluster, type CrdtNode, workloadReplicatorConfig } from "./crdt/cluster.js";
import { StableLatencyTracker } from "./crdt/latency.js";
import { applyOp, type OpRecord, planOp, valueText, workloadKeys } from "./crdt/ops.js";

/** Tunables of one run. */
export interface CrdtRunParams {
  readonly operations: number;
  readonly nodeCount: number;
  readonly mode: "delta" | "full";
  readonly mutants: CrdtMutants;
  /** Only order-insensitive operations (for the differential run). */
  readonly orderFree: boolean;
  /** Whether a leaving member may lose its state. */
  readonly allowStateLoss: boolean;
  /** Most gossip rounds after the heal before the run is declared not to converge. */
  readonly roundsMax: number;
}

/** What one run produced. */
export interface CrdtRunOutcome {
  readonly failures: string[];
  readonly figures: Record<string, number>;
  readonly values: Record<string, string>;
  readonly profile: string;
}

const tickMs = 10;
const operationIntervalMs = 8;
const churnProbability = 0.02;
const stateLossProbability = 1 / 3;

/** Runs one seed of the workload with the given parameters. */
export function runCrdtSimulation(
  seed: number,
  enabled: readonly FaultName[] | null,
  trace: Trace,
  params: CrdtRunParams,
): CrdtRunOutcome {
  const scheduler = new SimScheduler();
  const profile = FaultProfile.fromSeed(Prng.derive(seed, "crdt-faults"), enabled);
  const cluster = new CrdtCluster(scheduler, trace, {
    nodeCount: params.nodeCount,
    tickMs,
    mode: params.mode,
    mutants: params.mutants,
    faults: profile.linkFaults,
    seed,
  });
  const latency = new StableLatencyTracker();
  const ticker = (): void => {
    cluster.tick();
    latency.check(cluster.upNodes(), scheduler.nowMs);
    scheduler.after(tickMs, ticker);
  };
  scheduler.after(tickMs, ticker);
  const ops: OpRecord[] = [];
  const figures: Record<string, number> = {
    operations: 0,
    lostOperations: 0,
    leaves: 0,
    stateLosses: 0,
    partitions: 0,
  };
  const prngs = {
    churn: Prng.derive(seed, "crdt-churn"),
    partition: Prng.derive(seed, "crdt-partition"),
    ops: Prng.derive(seed, "crdt-ops"),
  };
  let partitionHealAtMs = -1;
  for (let i = 0; i < params.operations; i++) {
    scheduler.runFor(operationIntervalMs);
    churnStep(cluster, ops, prngs.churn, params, figures);
    if (partitionHealAtMs >= 0 && scheduler.nowMs >= partitionHealAtMs) {
      cluster.network.heal();
      partitionHealAtMs = -1;
    }
    if (partitionHealAtMs < 0 && prngs.partition.chance(profile.partitionProbability / 10)) {
      partitionStart(cluster, prngs.partition, profile);
      partitionHealAtMs = scheduler.nowMs + prngs.partition.exponential(profile.partitionDurationMsMean);
      figures.partitions! += 1;
    }
    const plan = planOp(prngs.ops, params.orderFree);
    const node = prngs.ops.pick(cluster.upNodes());
    const record = applyOp(i, plan, node.replicator!, cluster.wallMs(node), params.mutants);
    if (record !== null) ops.push(record);
    if (record !== null) latency.track(record, scheduler.nowMs);
    cluster.flush(node);
  }
  figures.operations = ops.length;
  const outcome = finish(cluster, ops, params, figures, profile);
  const { p50, p95, p99 } = latency.percentiles();
  Object.assign(outcome.figures, {
    stableLatencyMsP50: p50,
    stableLatencyMsP95: p95,
    stableLatencyMsP99: p99,
  });
  return outcome;
}

function churnStep(
  cluster: CrdtCluster,
  ops: readonly OpRecord[],
  prng: Prng,
  params: CrdtRunParams,
  figures: Record<string, number>,
): void {
  if (!prng.chance(churnProbability)) return;
  const node = prng.pick(cluster.nodes);
  const loseState = prng.chance(stateLossProbability) && params.allowStateLoss;
  if (!node.isUp) {
    cluster.join(node);
    return;
  }
  if (cluster.upNodes().length <= 1) return;
  if (loseState) {
    const survivors = cluster.nodes.filter((other) => other !== node && other.replicator !== null);
    figures.lostOperations! += excludeLostOps(ops, survivors);
    figures.stateLosses! += 1;
  }
  figures.leaves! += 1;
  cluster.leave(node, loseState);
}

function partitionStart(cluster: CrdtCluster, prng: Prng, profile: FaultProfile): void {
  const names = cluster.nodes.map((node) => node.name);
  const cut = partitionLinks(prng, names, profile.partitionMode);
  if ("sides" in cut) {
    if (profile.partitionSymmetry === "symmetric") cluster.network.partition(cut.sides);
    else cluster.network.partitionOneWay(cut.sides[0]!, cut.sides[1]!);
    return;
  }
  for (const [from, to] of cut.ring) cluster.network.partitionOneWay([from], [to]);
}

/** Heals everything, runs anti-entropy to quiescence and checks the outcome. */
function finish(
  cluster: CrdtCluster,
  ops: OpRecord[],
  params: CrdtRunParams,
  figures: Record<string, number>,
  profile: FaultProfile,
): CrdtRunOutcome {
  cluster.network.heal();
  cluster.network.setFaults({ ...profile.linkFaults, lossProbability: 0, duplicateProbability: 0 });
  for (const node of cluster.nodes) if (!node.isUp) cluster.join(node);
  const gossipTicks = workloadReplicatorConfig(params.mode, params.mutants).gossipIntervalTicks;
  const healMs = cluster.scheduler.nowMs;
  let converged = false;
  for (let tick = 0; tick < params.roundsMax * gossipTicks && !converged; tick++) {
    cluster.scheduler.runFor(tickMs);
    converged = cluster.isQuiet() && checkReplicasEqual(cluster.upNodes()).length === 0;
  }
  const rounds = Math.ceil((cluster.scheduler.nowMs - healMs) / (tickMs * gossipTicks));
  figures.roundsUntilQuiet = rounds;
  collectStats(cluster.nodes, figures);
  const up = cluster.upNodes();
  const failures: string[] = [];
  if (!converged) failures.push(`not quiet and equal after ${params.roundsMax} gossip rounds`);
  failures.push(...checkReplicasEqual(up));
  const reference = up[0]!;
  failures.push(...settleOps(reference, ops));
  figures.lostOperations = ops.filter((op) => !op.included).length; // Unacknowledged, died with their replica.
  failures.push(
    ...checkOracle(reference, ops),
    ...checkSetFull(reference, ops),
    ...checkCounters(reference, ops),
  );
  const values: Record<string, string> = {};
  for (const key of Object.keys(workloadKeys)) values[key] = valueText(reference.replicator!.store.get(key));
  return { failures, figures, values, profile: profile.describe() };
}

function collectStats(nodes: readonly CrdtNode[], figures: Record<string, number>): void {
  let bytes = 0;
  let messages = 0;
  let drift = 0;
  let nonCausal = 0;
  for (const node of nodes) {
    const stats = node.replicator!.stats;
    bytes += stats.bytesSent;
    messages += stats.messagesSent;
    drift += stats.driftRefused;
    nonCausal += stats.nonCausalRefused;
  }
  figures.bytesSent = bytes;
  figures.messagesSent = messages;
  figures.driftRefused = drift;
  figures.nonCausalRefused = nonCausal;
}

function paramNumber(params: Readonly<Record<string, string>>, name: string, fallback: number): number {
  const raw = params[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`--param ${name} must be a non-negative integer`);
  return value;
}

/** Runs one seed with command-line options (the Workload contract). */
export function runCrdtWorkload(options: WorkloadRunOptions): WorkloadResult {
  const mutants = mutantsFromName(options.params["mutant"] ?? "none");
  if (mutants === null) throw new Error(`unknown mutant ${options.params["mutant"]}`);
  const enabled = options.faults === null ? null : options.faults.filter(isFaultName);
  const base: CrdtRunParams = {
    operations: paramNumber(options.params, "ops", 300),
    nodeCount: paramNumber(options.params, "nodes", 5),
    mode: options.params["mode"] === "full" ? "full" : "delta",
    mutants,
    orderFree: false,
    allowStateLoss: true,
    roundsMax: paramNumber(options.params, "rounds_max", 200),
  };
  let main: CrdtRunOutcome;
  const failures: string[] = [];
  try {
    main = runCrdtSimulation(options.seed, enabled, options.trace, base);
    failures.push(...main.failures);
    if (paramNumber(options.params, "differential", 1) === 1) {
      failures.push(...differential(options.seed, enabled, base));
    }
  } catch (error) {
    // An assertion inside a replica is a failed seed, reported with the seed like any other.
    if (!(error instanceof AssertionError)) throw error;
    const message = `assertion failed: ${error.message}`;
    return { ok: false, summary: `crdt seed=${options.seed} ${message}`, failures: [message], figures: {} };
  }
  const figures = main.figures;
  return {
    ok: failures.length === 0,
    summary: `crdt seed=${options.seed} ops=${figures.operations} lost=${figures.lostOperations} leaves=${figures.leaves} state-losses=${figures.stateLosses} rounds=${figures.roundsUntilQuiet} ${main.profile} ${failures.length === 0 ? "converged" : "FAILED"}`,
    failures,
    figures,
  };
}

/** Runs the same schedule under delta and full-state replication; their values must agree. */
function differential(seed: number, enabled: readonly FaultName[] | null, base: CrdtRunParams): string[] {
  const common = { ...base, orderFree: true, allowStateLoss: false };
  const delta = runCrdtSimulation(seed, enabled, new Trace(), { ...common, mode: "delta" });
  const full = runCrdtSimulation(seed, enabled, new Trace(), { ...common, mode: "full" });
  const failures = [
    ...delta.failures.map((f) => `differential delta: ${f}`),
    ...full.failures.map((f) => `differential full: ${f}`),
  ];
  for (const key of Object.keys(delta.values)) {
    if (delta.values[key] !== full.values[key]) {
      failures.push(
        `differential: ${key} is ${delta.values[key]} under delta but ${full.values[key]} under full state`,
      );
    }
  }
  return failures;
}

/** The `crdt` workload for `shoal sim`. */
export const crdtWorkload: Workload = {
  name: "crdt",
  description:
    "Delta-CRDT convergence: 5 replicas, every type, loss/duplication/partitions/churn, then heal; checks byte-equality, oracle join, set-full, counters, rounds to quiet, delta vs full-state differential (params: ops, nodes, mode, mutant=m10|m11, differential=0|1, rounds_max)",
  faultNames: faultNames.filter((name) => ["delay", "loss", "duplicate", "partition"].includes(name)),
  run: runCrdtWorkload,
  summarize(results) {
    const rounds = results.map((result) => result.figures["roundsUntilQuiet"] ?? 0);
    const failed = results.filter((result) => !result.ok).length;
    const p99s = results.map((result) => result.figures["stableLatencyMsP99"] ?? 0);
    const roundsMean = rounds.reduce((a, b) => a + b, 0) / Math.max(1, rounds.length);
    return (
      `crdt: ${results.length - failed}/${results.length} seeds converged; rounds until quiet ` +
      `max=${Math.max(0, ...rounds)} mean=${roundsMean.toFixed(1)}; set-full stable latency p99 max=${Math.max(0, ...p99s)} virtual ms`
    );
  },
};
