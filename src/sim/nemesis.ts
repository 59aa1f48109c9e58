// The nemesis applies a FaultProfile to a SimCluster over virtual time: at random steps it starts
// and heals partitions (in the profile's mode and symmetry), swizzle-clogs links, crashes nodes and
// restarts them later, and pauses nodes. It never takes down more nodes than it is allowed, and
// `finish()` guarantees a final heal: partitions and clogs removed, loss and duplication off, every
// crashed node restarted, so that liveness and convergence can be checked after the storm.

import { assert } from "../lib/assert.js";
import type { Prng } from "../lib/prng.js";
import type { Process, SimCluster } from "./cluster.js";
import type { FaultProfile } from "./fault_profile.js";
import type { EventId } from "./scheduler.js";

/** Which nodes the nemesis may touch, and how hard. */
export interface NemesisOptions {
  /** Nodes that partitions and clogs split (servers and clients alike). */
  readonly networkTargets: readonly string[];
  /** Nodes that may crash and pause (usually the servers only). */
  readonly processTargets: readonly string[];
  /** Most process targets down (crashed) at once; a majority must survive for liveness. */
  readonly downNodesMax: number;
}

/** Counters of what the nemesis did. */
export interface NemesisStats {
  steps: number;
  partitions: number;
  heals: number;
  clogs: number;
  crashes: number;
  restarts: number;
  pauses: number;
}

/** Computes directed blocked links for one partition; pure apart from the Prng draws. */
export function partitionLinks(
  prng: Prng,
  nodes: readonly string[],
  mode: FaultProfile["partitionMode"],
): { readonly sides: readonly (readonly string[])[] } | { readonly ring: readonly [string, string][] } {
  assert(nodes.length >= 2, "a partition needs two nodes");
  const shuffled = prng.shuffle([...nodes]);
  switch (mode) {
    case "isolate_single":
      return { sides: [shuffled.slice(0, 1), shuffled.slice(1)] };
    case "uniform_size": {
      const size = prng.intBetween(1, shuffled.length - 1);
      return { sides: [shuffled.slice(0, size), shuffled.slice(size)] };
    }
    case "uniform_partition": {
      const left = shuffled.filter(() => prng.chance(0.5));
      if (left.length === 0 || left.length === shuffled.length)
        return { sides: [[shuffled[0]!], shuffled.slice(1)] };
      return { sides: [left, shuffled.filter((node) => !left.includes(node))] };
    }
    case "majorities_ring":
      return { ring: majoritiesRing(shuffled) };
  }
}

/**
 * Jepsen's majorities ring: nodes on a ring each see only their nearest neighbours, enough for a
 * majority, so every node sees a majority but no two see the same one. Returns the cut links, each
 * once as [a, b] with b ahead of a on the ring. Rings of fewer than four nodes cannot be cut this way
 * and fall back to isolating one node from its successor.
 */
function majoritiesRing(ring: readonly string[]): [string, string][] {
  const count = ring.length;
  const reach = Math.ceil(Math.floor(count / 2) / 2); // Neighbours seen on each side.
  const cut: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    for (let step = 1; step <= count - 1 - step; step++) {
      // Each unordered pair once: the one at ring distance `step` ahead.
      if (step > reach) cut.push([ring[i]!, ring[(i + step) % count]!]);
    }
    if (count % 2 === 0) {
      const step = count / 2;
      if (step > reach && i < step) cut.push([ring[i]!, ring[i + step]!]);
    }
  }
  if (cut.length === 0) cut.push([ring[0]!, ring[1 % count]!]);
  return cut;
}

/** Drives a {@link FaultProfile} against a {@link SimCluster}. */
export class Nemesis<P extends Process> {
  readonly stats: NemesisStats = {
    steps: 0,
    partitions: 0,
    heals: 0,
    clogs: 0,
    crashes: 0,
    restarts: 0,
    pauses: 0,
  };
  private stepEvent: EventId | null = null;
  private partitionEndMs: number | null = null;
  private running = false;
  private finished = false;

  constructor(
    private readonly cluster: SimCluster<P>,
    readonly profile: FaultProfile,
    private readonly prng: Prng,
    private readonly options: NemesisOptions,
  ) {
    assert(options.downNodesMax >= 0 && options.downNodesMax <= options.processTargets.length);
    for (const name of [...options.networkTargets, ...options.processTargets]) {
      assert(cluster.nodeNames.includes(name), `nemesis target ${name} is not a node`);
    }
  }

  /** Applies the link faults and starts stepping. */
  start(): void {
    assert(!this.running && !this.finished, "a nemesis starts once");
    this.running = true;
    this.cluster.network.setFaults(this.profile.linkFaults);
    this.cluster.trace.record(this.cluster.scheduler.nowMs, `nemesis start ${this.profile.describe()}`);
    this.scheduleStep();
  }

  /** Stops injecting faults and heals everything: the final heal. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    if (this.stepEvent !== null) this.cluster.scheduler.cancel(this.stepEvent);
    this.stepEvent = null;
    this.partitionEndMs = null;
    this.cluster.network.heal();
    this.cluster.network.setFaults({
      ...this.profile.linkFaults,
      lossProbability: 0,
      duplicateProbability: 0,
    });
    for (const name of this.options.processTargets) {
      if (!this.cluster.isUp(name)) {
        this.cluster.restart(name);
        this.stats.restarts += 1;
      }
    }
    this.cluster.trace.record(this.cluster.scheduler.nowMs, "nemesis final-heal");
  }

  private scheduleStep(): void {
    const delayMs = 1 + this.prng.exponential(this.profile.nemesisStepMsMean);
    this.stepEvent = this.cluster.scheduler.after(delayMs, () => {
      this.stepEvent = null;
      if (!this.running) return;
      this.step();
      this.scheduleStep();
    });
  }

  private step(): void {
    this.stats.steps += 1;
    const nowMs = this.cluster.scheduler.nowMs;
    if (this.partitionEndMs !== null && nowMs >= this.partitionEndMs) {
      this.partitionEndMs = null;
      this.cluster.network.heal();
      this.stats.heals += 1;
    } else if (this.partitionEndMs === null && this.prng.chance(this.profile.partitionProbability)) {
      this.partition();
      this.partitionEndMs = nowMs + 1 + this.prng.exponential(this.profile.partitionDurationMsMean);
    }
    if (this.prng.chance(this.profile.clogProbability)) this.swizzleClog();
    if (this.prng.chance(this.profile.crashProbability)) this.crashOne();
    if (this.prng.chance(this.profile.pauseProbability)) this.pauseOne();
  }

  private partition(): void {
    const targets = this.options.networkTargets;
    if (targets.length < 2) return;
    const network = this.cluster.network;
    const symmetric = this.profile.partitionSymmetry === "symmetric";
    const cut = partitionLinks(this.prng, targets, this.profile.partitionMode);
    if ("sides" in cut) {
      const [left, right] = cut.sides;
      assert(left !== undefined && right !== undefined && cut.sides.length === 2);
      if (symmetric) network.partition(cut.sides);
      else network.partitionOneWay(left, right);
    } else {
      for (const [a, b] of cut.ring) {
        network.partitionOneWay([a], [b]);
        if (symmetric) network.partitionOneWay([b], [a]);
      }
    }
    this.stats.partitions += 1;
  }

  /**
   * Swizzle-clog: clog every link to and from a random subset of nodes, each node for its own random
   * time, so they come back one at a time in a random order.
   */
  private swizzleClog(): void {
    const targets = this.options.networkTargets;
    if (targets.length < 2) return;
    const chosen = this.prng.shuffle([...targets]).slice(0, this.prng.intBetween(1, targets.length - 1));
    for (const node of chosen) {
      const durationMs = 1 + this.prng.exponential(this.profile.clogDurationMsMean);
      for (const other of targets) {
        if (other === node) continue;
        this.cluster.network.clog(node, other, durationMs);
        this.cluster.network.clog(other, node, durationMs);
      }
    }
    this.stats.clogs += 1;
  }

  private crashOne(): void {
    const up = this.options.processTargets.filter((name) => this.cluster.isUp(name));
    const down = this.options.processTargets.length - up.length;
    if (up.length === 0 || down >= this.options.downNodesMax) return;
    const victim = this.prng.pick(up);
    this.cluster.crash(victim);
    this.stats.crashes += 1;
    const restartMs = 1 + this.prng.exponential(this.profile.restartDelayMsMean);
    this.cluster.scheduler.after(restartMs, () => {
      if (this.finished || this.cluster.isUp(victim)) return;
      this.cluster.restart(victim);
      this.stats.restarts += 1;
    });
  }

  private pauseOne(): void {
    const candidates = this.options.processTargets.filter(
      (name) => this.cluster.isUp(name) && !this.cluster.isPaused(name),
    );
    if (candidates.length === 0) return;
    const victim = this.prng.pick(candidates);
    this.cluster.pause(victim, 1 + this.prng.exponential(this.profile.pauseDurationMsMean));
    this.stats.pauses += 1;
  }
}
