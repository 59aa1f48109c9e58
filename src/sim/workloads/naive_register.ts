// The `naive-register` workload: a deliberately wrong primary-backup register, kept as the proof
// that the harness and the checker can fail (issue 2). Servers hold one value. Whoever a client
// asks answers at once from its own copy, acknowledging a write before replicating it (a server
// pushes its value to the others lazily, every `replicate_ms`, fire-and-forget, last arrival wins)
// and before it is durable (the value is written to disk without a sync). Clients start at the primary, s1, and fail over to the next server when a request
// times out. With no faults every client talks to s1 alone, so the history is linearizable; with
// partitions, loss, pauses or crashes, clients reach backups that lag, and the cas-register checker
// finds stale reads and lost writes.
//
// Wire messages (JSON in the frame): client → server `{type:"request", id, f, value}`; server → client
// `{type:"response", id, ok, value}`; server → server `{type:"replicate", value}`.

import { assert } from "../../lib/assert.js";
import { Prng } from "../../lib/prng.js";
import type { Environment } from "../../env/environment.js";
import type { Cancel } from "../../env/clock.js";
import { type Address, address } from "../../types.js";
import { type Process, SimCluster } from "../cluster.js";
import { FaultProfile, type FaultName, faultNames, isFaultName } from "../fault_profile.js";
import { HistoryRecorder, type OpenOperation } from "../history_recorder.js";
import { Nemesis } from "../nemesis.js";
import type { Workload, WorkloadResult, WorkloadRunOptions } from "../workload.js";
import { checkRegisterHistory } from "./register_check.js";

/** The workload's tunables, from `--members` and `--param k=v`. */
export interface NaiveRegisterParams {
  /** Servers; s1 is the primary. */
  readonly members: number;
  readonly clients: number;
  readonly operationsPerClient: number;
  /** Local time a client waits for a response before it records `info` and fails over. */
  readonly requestTimeoutMs: number;
  /**
   * Unknown outcomes after which a client gives up. Each one may linearize anywhere later, so they
   * multiply the checker's work; a bound keeps every seed checkable within its budget.
   */
  readonly unknownsPerClientMax: number;
  /** Local time between a server's lazy pushes of a changed value to the others. */
  readonly replicateIntervalMs: number;
  /** Mean pause between a client's operations. */
  readonly thinkMsMean: number;
  /** Virtual time after which the nemesis heals everything and the run winds down. */
  readonly runMsMax: number;
  /** Wall-clock budget of the linearizability check. */
  readonly checkTimeoutMs: number;
}

/** Largest accepted `members` and `clients`, and operations per client. */
export const naiveRegisterMembersMax = 9;
export const naiveRegisterClientsMax = 16;
export const naiveRegisterOperationsMax = 500;

const registerFile = "register.json";
const valuesDomain = 5; // Writes and cas draw from 0..4, as Jepsen's cas-register does.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Scalar = number | null;

type Message =
  | { readonly type: "request"; readonly id: number; readonly f: string; readonly value: unknown }
  | { readonly type: "response"; readonly id: number; readonly ok: boolean; readonly value: unknown }
  | { readonly type: "replicate"; readonly value: Scalar };

function encode(message: Message): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

function decode(frame: Uint8Array): Message {
  return JSON.parse(decoder.decode(frame)) as Message;
}

/**
 * A server: answers every request from its own copy, then replicates blindly. It does not
 * deduplicate requests either: a duplicated request is applied and answered again, so a client may
 * read the second answer (a cas that swapped, reported as failed).
 */
class RegisterServer implements Process {
  private value: Scalar = null;
  /** Whether a client changed the value since the last push. */
  private isDirty = false;

  constructor(
    private readonly environment: Environment,
    private readonly peers: readonly Address[],
    replicateIntervalMs: number,
  ) {
    const disk = environment.disk;
    if (disk.exists(registerFile) && disk.size(registerFile) > 0) {
      const text = decoder.decode(disk.read(registerFile, 0, disk.size(registerFile)));
      // A torn write leaves a prefix of the JSON: the naive server starts empty rather than crash.
      try {
        this.value = (JSON.parse(text) as { value: Scalar }).value;
      } catch {
        this.value = null;
      }
    }
    environment.logger.info("server-start", { value: this.value });
    environment.transport.onFrame((from, frame) => this.receive(from, decode(frame)));
    environment.clock.every(replicateIntervalMs, () => this.replicate());
  }

  stop(): void {}

  private receive(from: Address, message: Message): void {
    if (message.type === "replicate") {
      this.store(message.value);
      return;
    }
    if (message.type !== "request") return;
    const reply = (ok: boolean, value: unknown): void => {
      this.environment.transport.send(from, encode({ type: "response", id: message.id, ok, value }));
    };
    switch (message.f) {
      case "read":
        reply(true, this.value);
        return;
      case "write":
        this.store(message.value as Scalar);
        this.isDirty = true;
        reply(true, message.value); // Acknowledged before replication: the deliberate bug.
        return;
      case "cas": {
        const [expected, next] = message.value as [Scalar, Scalar];
        if (this.value !== expected) {
          reply(false, message.value);
          return;
        }
        this.store(next);
        this.isDirty = true;
        reply(true, message.value);
        return;
      }
    }
  }

  private store(value: Scalar): void {
    this.value = value;
    // Not synced: a crash may lose or tear it, and the server was already acknowledged.
    const bytes = encoder.encode(JSON.stringify({ value }));
    this.environment.disk.write(registerFile, 0, bytes);
    this.environment.disk.truncate(registerFile, bytes.byteLength);
  }

  private replicate(): void {
    if (!this.isDirty) return;
    this.isDirty = false;
    for (const peer of this.peers)
      this.environment.transport.send(peer, encode({ type: "replicate", value: this.value }));
  }
}

/** A client: one operation at a time, failing over to the next server on a timeout. */
class RegisterClient implements Process {
  private readonly prng: Prng;
  private serverIndex = 0;
  private requestId = 0;
  private completed = 0;
  private unknowns = 0;
  private pending: {
    readonly id: number;
    readonly operation: OpenOperation;
    readonly cancel: Cancel;
  } | null = null;
  isDone = false;

  constructor(
    private readonly environment: Environment,
    private readonly name: string,
    private readonly servers: readonly Address[],
    private readonly recorder: HistoryRecorder,
    private readonly params: NaiveRegisterParams,
  ) {
    this.prng = Prng.derive(environment.seed, "client");
    environment.transport.onFrame((_from, frame) => this.receive(decode(frame)));
    environment.clock.after(this.prng.exponential(params.thinkMsMean), () => this.invoke());
  }

  stop(): void {}

  private invoke(): void {
    assert(this.pending === null, "one operation at a time");
    const isFinished =
      this.completed >= this.params.operationsPerClient || this.unknowns >= this.params.unknownsPerClientMax;
    if (isFinished) {
      this.isDone = true;
      return;
    }
    const roll = this.prng.below(4);
    const f = roll < 2 ? "read" : roll === 2 ? "write" : "cas";
    const value =
      f === "read"
        ? null
        : f === "write"
          ? this.prng.below(valuesDomain)
          : [this.prng.below(valuesDomain), this.prng.below(valuesDomain)];
    const operation = this.recorder.invoke(this.name, f, value);
    this.requestId += 1;
    const id = this.requestId;
    const cancel = this.environment.clock.after(this.params.requestTimeoutMs, () => this.timeout(id));
    this.pending = { id, operation, cancel };
    this.environment.transport.send(
      this.servers[this.serverIndex]!,
      encode({ type: "request", id, f, value }),
    );
  }

  private receive(message: Message): void {
    if (message.type !== "response" || this.pending === null || message.id !== this.pending.id) return;
    const { operation, cancel } = this.pending;
    cancel();
    this.pending = null;
    if (message.ok) this.recorder.ok(operation, message.value);
    else this.recorder.fail(operation, message.value);
    this.next();
  }

  private timeout(id: number): void {
    if (this.pending === null || this.pending.id !== id) return;
    this.recorder.info(this.pending.operation);
    this.pending = null;
    this.unknowns += 1;
    this.serverIndex = (this.serverIndex + 1) % this.servers.length; // Fail over.
    this.next();
  }

  private next(): void {
    this.completed += 1;
    this.environment.clock.after(this.prng.exponential(this.params.thinkMsMean), () => this.invoke());
  }
}

function integerParam(
  params: Readonly<Record<string, string>>,
  name: string,
  fallback: number,
  max: number,
): number {
  const raw = params[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  assert(
    Number.isSafeInteger(value) && value >= 1 && value <= max,
    `${name === "members" ? "--members" : `--param ${name}`} must be an integer in 1..${max}, got "${raw}"`,
  );
  return value;
}

/** Reads the workload's params, with defaults. */
export function naiveRegisterParams(params: Readonly<Record<string, string>>): NaiveRegisterParams {
  return {
    members: integerParam(params, "members", 3, naiveRegisterMembersMax),
    clients: integerParam(params, "clients", 3, naiveRegisterClientsMax),
    operationsPerClient: integerParam(params, "ops", 100, naiveRegisterOperationsMax),
    requestTimeoutMs: integerParam(params, "timeout_ms", 100, 60_000),
    unknownsPerClientMax: integerParam(params, "unknowns_max", 6, naiveRegisterOperationsMax),
    replicateIntervalMs: integerParam(params, "replicate_ms", 50, 60_000),
    thinkMsMean: integerParam(params, "think_ms", 50, 60_000),
    runMsMax: integerParam(params, "run_ms", 60_000, 3_600_000),
    checkTimeoutMs: integerParam(params, "check_timeout_ms", 20_000, 600_000),
  };
}

function drawProfile(options: WorkloadRunOptions): FaultProfile {
  const prng = Prng.derive(options.seed, "faults");
  if (options.faults === null) return FaultProfile.fromSeed(prng);
  const names: FaultName[] = options.faults.filter(isFaultName);
  assert(names.length === options.faults.length, `unknown fault in ${options.faults.join(",")}`);
  return FaultProfile.fromSeed(prng, names);
}

/** Runs one seed: builds the cluster, runs the clients under the nemesis, checks the history. */
function runNaiveRegister(options: WorkloadRunOptions): WorkloadResult {
  const params = naiveRegisterParams(options.params);
  const profile = drawProfile(options);
  const cluster = new SimCluster({ seed: options.seed, trace: options.trace });
  const recorder = new HistoryRecorder(() => cluster.scheduler.nowMs);
  const servers = Array.from({ length: params.members }, (_, i) => `s${i + 1}`);
  const clientNames = Array.from({ length: params.clients }, (_, i) => `c${i + 1}`);
  const skewPrng = Prng.derive(options.seed, "skew");
  for (const name of servers) {
    const peers = servers.filter((peer) => peer !== name).map(address);
    cluster.addNode(
      name,
      (environment) => new RegisterServer(environment, peers, params.replicateIntervalMs),
      { skew: profile.drawSkew(skewPrng) },
    );
  }
  const clients = clientNames.map(
    (name) =>
      cluster.addNode(
        name,
        (environment) => new RegisterClient(environment, name, servers.map(address), recorder, params),
        { skew: profile.drawSkew(skewPrng) },
      ) as RegisterClient,
  );
  const nemesis = new Nemesis(cluster, profile, Prng.derive(options.seed, "nemesis"), {
    networkTargets: [...servers, ...clientNames],
    processTargets: servers,
    downNodesMax: Math.floor((params.members - 1) / 2),
  });
  nemesis.start();
  const allDone = (): boolean => clients.every((client) => client.isDone);
  cluster.scheduler.runUntilCondition(allDone, params.runMsMax);
  nemesis.finish();
  // Let what is in flight land, so late completions are recorded; clients never invoke again.
  cluster.scheduler.runFor(params.requestTimeoutMs * 2);
  const virtualMs = cluster.scheduler.nowMs;
  const check = checkRegisterHistory(recorder.events, params.checkTimeoutMs);
  const counts = recorder.counts();
  const failures: string[] = [];
  if (check.verdict !== "ok") failures.push(`cas-register checker: ${check.verdict}: ${check.detail}`);
  if (!allDone()) failures.push(`clients not done after ${params.runMsMax} ms of virtual time`);
  return {
    ok: failures.length === 0,
    summary:
      `naive-register seed=${options.seed} ops=${counts.invoke} ok=${counts.ok} fail=${counts.fail} ` +
      `info=${counts.info + counts.open} ${profile.describe()} verdict=${check.verdict}`,
    failures,
    figures: {
      operations: counts.invoke,
      operationsOk: counts.ok,
      operationsInfo: counts.info + counts.open,
      simulatorEvents: cluster.scheduler.eventsProcessed,
      virtualMs,
      checkMs: check.elapsedMs,
      illegal: check.verdict === "illegal" ? 1 : 0,
      unknown: check.verdict === "unknown" ? 1 : 0,
    },
    history: recorder.events,
  };
}

function summarizeNaiveRegister(results: readonly WorkloadResult[]): string {
  let illegal = 0;
  let unknown = 0;
  let operations = 0;
  for (const result of results) {
    illegal += result.figures.illegal ?? 0;
    unknown += result.figures.unknown ?? 0;
    operations += result.figures.operations ?? 0;
  }
  const linearizable = results.length - illegal - unknown;
  return (
    `naive-register: ${results.length} seeds, ${linearizable} linearizable, ${illegal} illegal, ` +
    `${unknown} unknown, ${operations} operations`
  );
}

/** The `naive-register` workload for `shoal sim`. */
export const naiveRegisterWorkload: Workload = {
  name: "naive-register",
  description:
    "a deliberately wrong primary-backup register (acknowledges before replicating, clients fail over); " +
    "linearizable without faults, caught by the cas-register checker under partitions",
  faultNames,
  run: runNaiveRegister,
  summarize: summarizeNaiveRegister,
};
