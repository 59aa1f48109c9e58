// Fault rates drawn per seed, as TigerBeetle's VOPR draws them: each seed gets its own mix of
// delay, loss, duplication, clogging, partitions (with a mode and a symmetry), crashes, pauses and
// clock drift, so that a swarm of seeds covers quiet runs, noisy runs and everything between
// (swarm testing: with no `--faults` list, each fault is switched on with probability one half).
// A `--faults` list switches exactly the named faults on and draws only their rates.

import { assert } from "../lib/assert.js";
import type { Prng } from "../lib/prng.js";
import { type LinkFaults, linkFaultsNone } from "./network.js";
import type { SimClockSkew } from "./sim_clock.js";

/** The faults a profile can switch on, by the name `--faults` uses. */
export const faultNames = [
  "delay",
  "loss",
  "duplicate",
  "clog",
  "partition",
  "crash",
  "pause",
  "drift",
] as const;

/** One of {@link faultNames}. */
export type FaultName = (typeof faultNames)[number];

/** How the nemesis splits nodes (VOPR's partition modes, plus Jepsen's majorities ring). */
export const partitionModes = [
  "uniform_size",
  "uniform_partition",
  "isolate_single",
  "majorities_ring",
] as const;

/** One of {@link partitionModes}. */
export type PartitionMode = (typeof partitionModes)[number];

/** Whether a partition cuts both directions of a link or one. */
export const partitionSymmetries = ["symmetric", "asymmetric"] as const;

/** One of {@link partitionSymmetries}. */
export type PartitionSymmetry = (typeof partitionSymmetries)[number];

/** Largest drawn clock rate deviation: clocks run between 5 % slow and 5 % fast. */
export const clockRateDeviationMaxLimit = 0.05;

/** Whether `name` is a fault name. */
export function isFaultName(name: string): name is FaultName {
  return (faultNames as readonly string[]).includes(name);
}

/**
 * Parses a `--faults` list (`partition,crash`; `none` or an empty list for no faults). Returns the
 * names, or the first unknown name.
 */
export function parseFaultList(list: string): { readonly names: FaultName[] } | { readonly unknown: string } {
  const names: FaultName[] = [];
  for (const raw of list.split(",")) {
    const name = raw.trim();
    if (name === "" || name === "none") continue;
    if (!isFaultName(name)) return { unknown: name };
    if (!names.includes(name)) names.push(name);
  }
  return { names };
}

function uniform(prng: Prng, min: number, max: number): number {
  assert(min <= max);
  return min + prng.next() * (max - min);
}

/** One seed's fault rates. Probabilities are per nemesis step unless named otherwise. */
export class FaultProfile {
  private constructor(
    /** The faults switched on, in {@link faultNames} order. */
    readonly enabled: readonly FaultName[],
    /** Delay, loss and duplication of every link. */
    readonly linkFaults: LinkFaults,
    /** Mean virtual time between nemesis steps. */
    readonly nemesisStepMsMean: number,
    readonly clogProbability: number,
    readonly clogDurationMsMean: number,
    readonly partitionProbability: number,
    readonly partitionMode: PartitionMode,
    readonly partitionSymmetry: PartitionSymmetry,
    readonly partitionDurationMsMean: number,
    readonly crashProbability: number,
    readonly restartDelayMsMean: number,
    readonly pauseProbability: number,
    readonly pauseDurationMsMean: number,
    /** Each node's clock rate is drawn in [1 - this, 1 + this]. */
    readonly clockRateDeviationMax: number,
    /** Each node's monotonic offset and wall-clock offset are drawn within ± this. */
    readonly clockOffsetMsMax: number,
  ) {
    assert(clockRateDeviationMax >= 0 && clockRateDeviationMax <= clockRateDeviationMaxLimit);
    assert(nemesisStepMsMean > 0);
  }

  /** A profile with every fault off: a quiet LAN. */
  static none(): FaultProfile {
    return FaultProfile.fromSeedWith(null, []);
  }

  /**
   * Draws a profile. With `enabled` null, each fault is on with probability one half (swarm
   * testing); otherwise exactly the listed faults are on. Rates are drawn for the faults that are on.
   */
  static fromSeed(prng: Prng, enabled: readonly FaultName[] | null = null): FaultProfile {
    return FaultProfile.fromSeedWith(prng, enabled);
  }

  private static fromSeedWith(prng: Prng | null, enabled: readonly FaultName[] | null): FaultProfile {
    const on = faultNames.filter((name) =>
      enabled === null ? prng?.chance(0.5) === true : enabled.includes(name),
    );
    // Every rate is drawn whether or not its fault is on, so switching one fault off in a list does
    // not shift the draws of the others.
    const draw = (min: number, max: number): number => (prng === null ? min : uniform(prng, min, max));
    const pick = <T>(items: readonly T[]): T => (prng === null ? items[0]! : prng.pick(items));
    const rates = {
      delayMsMin: draw(0.5, 5),
      delayMsMean: draw(1, 50),
      loss: draw(0, 0.3),
      duplicate: draw(0, 0.5),
      stepMs: draw(20, 500),
      clog: draw(0.05, 0.5),
      clogMs: draw(10, 500),
      partition: draw(0.05, 0.5),
      mode: pick(partitionModes),
      symmetry: pick(partitionSymmetries),
      partitionMs: draw(50, 2_000),
      crash: draw(0.01, 0.2),
      restartMs: draw(50, 2_000),
      pause: draw(0.01, 0.2),
      pauseMs: draw(10, 1_000),
      drift: draw(0, clockRateDeviationMaxLimit),
      offsetMs: draw(0, 10_000),
    };
    const has = (name: FaultName): boolean => on.includes(name);
    const quiet = linkFaultsNone();
    const linkFaults: LinkFaults = {
      delayMsMin: has("delay") ? rates.delayMsMin : quiet.delayMsMin,
      delayMsMean: has("delay") ? rates.delayMsMean : quiet.delayMsMean,
      lossProbability: has("loss") ? rates.loss : 0,
      duplicateProbability: has("duplicate") ? rates.duplicate : 0,
    };
    return new FaultProfile(
      on,
      linkFaults,
      rates.stepMs,
      has("clog") ? rates.clog : 0,
      rates.clogMs,
      has("partition") ? rates.partition : 0,
      rates.mode,
      rates.symmetry,
      rates.partitionMs,
      has("crash") ? rates.crash : 0,
      rates.restartMs,
      has("pause") ? rates.pause : 0,
      rates.pauseMs,
      has("drift") ? rates.drift : 0,
      has("drift") ? rates.offsetMs : 0,
    );
  }

  /** Whether fault `name` is on. */
  has(name: FaultName): boolean {
    return this.enabled.includes(name);
  }

  /** Draws one node's clock skew within this profile's drift and offset bounds. */
  drawSkew(prng: Prng): SimClockSkew {
    const deviation = this.clockRateDeviationMax;
    const offsetMs = this.clockOffsetMsMax;
    return {
      rate: deviation === 0 ? 1 : uniform(prng, 1 - deviation, 1 + deviation),
      offsetMs: offsetMs === 0 ? 0 : uniform(prng, 0, offsetMs),
      wallOffsetMs: offsetMs === 0 ? 0 : uniform(prng, -offsetMs, offsetMs),
    };
  }

  /** One line naming the faults and their main rates, for summaries and traces. */
  describe(): string {
    if (this.enabled.length === 0) return "faults=none";
    const parts = [`faults=${this.enabled.join(",")}`];
    const percent = (value: number): string => `${(value * 100).toFixed(0)}%`;
    if (this.has("delay"))
      parts.push(
        `delay=${this.linkFaults.delayMsMin.toFixed(1)}+${this.linkFaults.delayMsMean.toFixed(1)}ms`,
      );
    if (this.has("loss")) parts.push(`loss=${percent(this.linkFaults.lossProbability)}`);
    if (this.has("duplicate")) parts.push(`dup=${percent(this.linkFaults.duplicateProbability)}`);
    if (this.has("partition")) parts.push(`partition=${this.partitionMode}/${this.partitionSymmetry}`);
    if (this.has("crash")) parts.push(`crash=${percent(this.crashProbability)}`);
    if (this.has("pause")) parts.push(`pause=${percent(this.pauseProbability)}`);
    if (this.has("drift")) parts.push(`drift=±${percent(this.clockRateDeviationMax)}`);
    return parts.join(" ");
  }
}
