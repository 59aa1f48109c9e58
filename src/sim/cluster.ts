// The process model of the simulator. A SimCluster owns the scheduler, the network and one disk per
// node; each node runs a Process built by a factory from a fresh SimEnvironment. Nodes can crash
// (timers and transport dropped, the disk loses what it may), restart (a new Environment on the same
// disk, a new Process from the factory) and pause (timers and inbound frames frozen, then caught
// up). Every such event is recorded in the trace. The same process code runs here and on
// platform/node: this is the harness that makes a failure replay from its seed.
//
// Processes must be callback-driven: promises resolve in microtasks, outside virtual time, so an
// `await` in process code would make a run depend on when the scheduler yields.

import { assert } from "../lib/assert.js";
import { crc32 } from "../lib/bytes.js";
import { Prng } from "../lib/prng.js";
import type { Environment } from "../env/environment.js";
import type { Disk } from "../env/disk.js";
import { type LinkFaults, linkFaultsNone, SimNetwork } from "./network.js";
import type { EventId } from "./scheduler.js";
import { SimScheduler } from "./scheduler.js";
import { SimClock, type SimClockSkew, simClockSkewNone } from "./sim_clock.js";
import { SimDisk, type SimDiskFaults, simDiskFaultsDefault } from "./sim_disk.js";
import { SimLogger, type SimLogLevel } from "./sim_logger.js";
import { SimTransport } from "./sim_transport.js";
import type { Trace } from "./trace.js";

/** What a node runs. `stop()` is a graceful shutdown; a crash never calls it. */
export interface Process {
  stop(): void;
}

/** Builds a node's process from its environment (again on every restart). */
export type ProcessFactory<P extends Process> = (environment: Environment) => P;

/** The Environment of one incarnation of one simulated node. */
export class SimEnvironment implements Environment {
  constructor(
    readonly clock: SimClock,
    readonly seed: number,
    readonly transport: SimTransport,
    readonly disk: Disk,
    readonly logger: SimLogger,
  ) {}
}

/** Options of a {@link SimCluster}. */
export interface SimClusterOptions {
  /** The run's seed; every stream of the cluster derives from it by name. */
  readonly seed: number;
  readonly trace: Trace;
  /** Initial fault rates of every link. */
  readonly linkFaults?: LinkFaults;
  /** Lowest log level recorded in the trace. */
  readonly logLevel?: SimLogLevel;
  /** How long a `syncAsync` takes, in the node's local time (default simDiskSyncLatencyMsDefault). */
  readonly diskSyncLatencyMs?: number;
}

/** The default latency of a simulated asynchronous fdatasync. */
export const simDiskSyncLatencyMsDefault = 0.5;

/** Options of one node. */
export interface SimNodeOptions {
  readonly skew?: SimClockSkew;
  readonly diskFaults?: SimDiskFaults;
}

/** Most nodes in one cluster. */
export const simClusterNodesMax = 1_024;

interface SimNode<P extends Process> {
  readonly name: string;
  readonly factory: ProcessFactory<P>;
  readonly disk: SimDisk;
  readonly skew: SimClockSkew;
  incarnation: number;
  environment: SimEnvironment | null;
  process: P | null;
  resumeEvent: EventId | null;
}

/** Counters of process events. */
export interface SimClusterStats {
  crashes: number;
  restarts: number;
  pauses: number;
}

/** Named nodes running processes on one simulated network, with crash, restart and pause. */
export class SimCluster<P extends Process = Process> {
  readonly scheduler = new SimScheduler();
  readonly network: SimNetwork<Uint8Array>;
  readonly trace: Trace;
  readonly seed: number;
  readonly stats: SimClusterStats = { crashes: 0, restarts: 0, pauses: 0 };
  private readonly nodes = new Map<string, SimNode<P>>();
  private readonly logLevel: SimLogLevel;
  private readonly diskSyncLatencyMs: number;

  constructor(options: SimClusterOptions) {
    assert(Number.isSafeInteger(options.seed), "the seed must be an integer");
    this.diskSyncLatencyMs = options.diskSyncLatencyMs ?? simDiskSyncLatencyMsDefault;
    assert(this.diskSyncLatencyMs >= 0, "the disk sync latency is not negative");
    this.seed = options.seed;
    this.trace = options.trace;
    this.logLevel = options.logLevel ?? "info";
    this.network = new SimNetwork<Uint8Array>(
      this.scheduler,
      Prng.derive(options.seed, "network"),
      options.trace,
      {
        faults: options.linkFaults ?? linkFaultsNone(),
        describe: (frame) => `${frame.byteLength}B#${crc32(frame).toString(16).padStart(8, "0")}`,
        sizeBytes: (frame) => frame.byteLength,
      },
    );
  }

  /** Adds node `name` and starts its first incarnation. */
  addNode(name: string, factory: ProcessFactory<P>, options: SimNodeOptions = {}): P {
    assert(/^[A-Za-z0-9_.:-]+$/.test(name), `bad node name "${name}"`);
    assert(!this.nodes.has(name), `node ${name} exists already`);
    assert(this.nodes.size < simClusterNodesMax, `more than ${simClusterNodesMax} nodes`);
    const node: SimNode<P> = {
      name,
      factory,
      disk: new SimDisk(Prng.derive(this.seed, `disk/${name}`), options.diskFaults ?? simDiskFaultsDefault()),
      skew: options.skew ?? simClockSkewNone(),
      incarnation: 0,
      environment: null,
      process: null,
      resumeEvent: null,
    };
    this.nodes.set(name, node);
    return this.start(node);
  }

  /** Node names in the order they were added. */
  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Whether `name` is running (paused counts as running). */
  isUp(name: string): boolean {
    return this.node(name).environment !== null;
  }

  /** Whether `name` is paused. */
  isPaused(name: string): boolean {
    return this.node(name).resumeEvent !== null;
  }

  /** The running process of `name`. */
  process(name: string): P {
    const process = this.node(name).process;
    assert(process !== null, `node ${name} is down`);
    return process;
  }

  /** The environment of the running incarnation of `name`. */
  environment(name: string): SimEnvironment {
    const environment = this.node(name).environment;
    assert(environment !== null, `node ${name} is down`);
    return environment;
  }

  /** The disk of `name`, which survives its crashes. */
  disk(name: string): SimDisk {
    return this.node(name).disk;
  }

  /** How many times `name` has started. */
  incarnation(name: string): number {
    return this.node(name).incarnation;
  }

  /** Kills `name` abruptly: timers and transport go, and the disk keeps only what it may. */
  crash(name: string): void {
    const node = this.node(name);
    assert(node.environment !== null, `crash of ${name}, which is down`);
    if (node.resumeEvent !== null) this.scheduler.cancel(node.resumeEvent);
    node.resumeEvent = null;
    node.environment.clock.stop();
    node.environment.transport.close();
    node.environment = null;
    node.process = null;
    const report = node.disk.crash();
    this.stats.crashes += 1;
    this.trace.record(
      this.scheduler.nowMs,
      `node ${name} crash kept=${report.opsKept} lost=${report.opsLost} torn=${report.writesTorn} ` +
        `entries-kept=${report.entriesKept} entries-lost=${report.entriesLost}`,
    );
  }

  /** Crashes `name` right after its disk's `mutationCount`-th mutating call (see SimDisk.stats). */
  crashAfterDiskMutations(name: string, mutationCount: number): void {
    const node = this.node(name);
    node.disk.crashAfterMutations(mutationCount, () => {
      if (node.environment !== null) this.crash(name);
    });
  }

  /** Starts a new incarnation of a crashed or stopped node on its own disk. */
  restart(name: string): P {
    const node = this.node(name);
    assert(node.environment === null, `restart of ${name}, which is up`);
    this.stats.restarts += 1;
    return this.start(node);
  }

  /** Freezes `name` for `durationMs` of virtual time: its clock runs on, its timers and inbox wait. */
  pause(name: string, durationMs: number): void {
    const node = this.node(name);
    assert(durationMs > 0 && Number.isFinite(durationMs), `bad pause duration ${durationMs}`);
    assert(node.environment !== null, `pause of ${name}, which is down`);
    assert(node.resumeEvent === null, `pause of ${name}, which is paused`);
    const environment = node.environment;
    environment.clock.pause();
    environment.transport.pause();
    this.stats.pauses += 1;
    this.trace.record(this.scheduler.nowMs, `node ${name} pause ${durationMs.toFixed(3)}ms`);
    node.resumeEvent = this.scheduler.after(durationMs, () => {
      node.resumeEvent = null;
      assert(node.environment === environment, "a crash cancels the resume");
      this.trace.record(this.scheduler.nowMs, `node ${name} resume`);
      environment.transport.resume();
      environment.clock.resume();
    });
  }

  /** Stops `name` gracefully: `process.stop()`, then timers and transport go. The disk keeps all. */
  stopNode(name: string): void {
    const node = this.node(name);
    assert(node.process !== null && node.environment !== null, `stop of ${name}, which is down`);
    if (node.resumeEvent !== null) {
      this.scheduler.cancel(node.resumeEvent);
      node.resumeEvent = null;
      node.environment.clock.resume();
      node.environment.transport.resume();
    }
    node.process.stop();
    node.environment.clock.stop();
    node.environment.transport.close();
    node.environment = null;
    node.process = null;
    this.trace.record(this.scheduler.nowMs, `node ${name} stop`);
  }

  /** Stops every running node gracefully. */
  shutdown(): void {
    for (const node of this.nodes.values()) if (node.process !== null) this.stopNode(node.name);
  }

  private start(node: SimNode<P>): P {
    assert(node.process === null && node.environment === null);
    node.incarnation += 1;
    const clock = new SimClock(this.scheduler, node.skew);
    const syncLatencyMs = this.diskSyncLatencyMs;
    const environment = new SimEnvironment(
      clock,
      Prng.deriveSeed(this.seed, `node/${node.name}/${node.incarnation}`),
      new SimTransport(this.network, this.scheduler, node.name),
      node.disk.open((complete) => clock.after(syncLatencyMs, complete)),
      new SimLogger(this.trace, this.scheduler, node.name, this.logLevel),
    );
    node.environment = environment;
    this.trace.record(this.scheduler.nowMs, `node ${node.name} start incarnation=${node.incarnation}`);
    const process = node.factory(environment);
    // The factory may have crashed the node itself (a disk crash point inside recovery).
    if (node.environment === environment) node.process = process;
    return process;
  }

  private node(name: string): SimNode<P> {
    const node = this.nodes.get(name);
    assert(node !== undefined, `no node named ${name}`);
    return node;
  }
}
