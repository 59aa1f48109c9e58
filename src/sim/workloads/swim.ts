// The `swim` simulation workload (TESTING.md T9): a SWIM cluster on the simulator, run in phases
// for one seed, and checked at the end.
//
//   1. bootstrap: member m00 starts, the others join through it; wait until every view is full;
//   2. faults (`--minutes`, default 10): message loss (`--loss`, default 0.1; fault "loss"), 1–4
//      members slow in bursts (`--slow`; fault "pause"), crashes of healthy members (`--crashes`,
//      default 2) and one graceful leave (fault "crash");
//   3. partition: the live members split in halves for `--partition-seconds` (default 60), then heal;
//   4. settle: every live member must come to see exactly the live members alive, and the crashed or
//      departed ones not alive. A wrong final view fails the seed.
//
// Figures: detection time of each crash (crash → first member declares it dead, and → all
// members do), false positives (a member that is up declared dead), messages per member per
// second, convergence time after the partition heals. `--faults` picks phases by name; other
// parameters arrive as `--param minutes=10` and the like.

import { Prng } from "../../lib/prng.js";
import {
  MemberState,
  type SwimConfig,
  swimConfigLan,
  swimConfigWithoutLifeguard,
} from "../../protocol/swim/index.js";
import type { NodeId } from "../../types.js";
import { linkFaultsNone } from "../network.js";
import type { Workload, WorkloadResult, WorkloadRunOptions } from "../workload.js";
import { type ObservedEvent, type SlowProfile, SwimSimCluster } from "./swim/swim_sim_cluster.js";

/** The fault names `--faults` accepts. */
export const swimFaultNames = ["loss", "pause", "crash", "partition"] as const;

/** The numbers one run uses, from `params` with defaults. */
export interface SwimWorkloadParams {
  readonly members: number;
  readonly isLifeguardOn: boolean;
  readonly faultMinutes: number;
  readonly lossProbability: number;
  /** Slow members; null draws 1–4 from the seed. */
  readonly slowCount: number | null;
  readonly crashCount: number;
  readonly partitionSeconds: number;
  readonly tickMs: number;
  readonly checkInvariants: boolean;
  /** A named bug to plant (`--mutant M12`: no incarnation refutation), or null. */
  readonly mutant: "M12" | null;
}

/** Slow bursts: 0.5–5 s long, about every 5 s (TESTING.md T9). */
export const swimSlowProfile: SlowProfile = { gapMsMean: 5_000, burstMsMin: 500, burstMsMax: 5_000 };

const bootstrapMsMax = 120_000;
const settleMsMax = 15 * 60_000;
const pollMs = 250;

/** Reads the workload's parameters (`--members 32` arrives as members: "32"). */
export function swimWorkloadParams(params: Readonly<Record<string, string>>): SwimWorkloadParams {
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const text = params[name];
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new RangeError(`--${name} must be a number in [${min}, ${max}], got ${text}`);
    }
    return value;
  };
  const lifeguard = params["lifeguard"] ?? "on";
  if (lifeguard !== "on" && lifeguard !== "off") throw new RangeError("--lifeguard must be on or off");
  return {
    members: Math.floor(number("members", 16, 3, 512)),
    isLifeguardOn: lifeguard === "on",
    faultMinutes: number("minutes", 10, 0, 24 * 60),
    lossProbability: number("loss", 0.1, 0, 0.9),
    slowCount: params["slow"] === undefined ? null : Math.floor(number("slow", 0, 0, 64)),
    crashCount: Math.floor(number("crashes", 2, 0, 64)),
    partitionSeconds: number("partition-seconds", 60, 0, 3_600),
    tickMs: number("tick-ms", 50, 1, 1_000),
    checkInvariants: (params["invariants"] ?? "off") === "on",
    mutant: swimMutant(params["mutant"]),
  };
}

function swimMutant(text: string | undefined): "M12" | null {
  if (text === undefined || text === "none") return null;
  if (text !== "M12") throw new RangeError(`--mutant must be M12 or none, got ${text}`);
  return text;
}

/** Returns the SWIM configuration a run uses. */
export function swimWorkloadConfig(parameters: SwimWorkloadParams): SwimConfig {
  const lan = swimConfigLan(parameters.tickMs);
  const config = parameters.isLifeguardOn ? lan : swimConfigWithoutLifeguard(lan);
  return parameters.mutant === "M12" ? { ...config, isRefutationEnabled: false } : config;
}

/** Runs one seed. */
export function runSwimWorkload(options: WorkloadRunOptions): WorkloadResult {
  const parameters = swimWorkloadParams(options.params);
  const faults = new Set<string>(options.faults ?? swimFaultNames);
  const prng = Prng.derive(options.seed, "swim-workload");
  const cluster = new SwimSimCluster({
    config: swimWorkloadConfig(parameters),
    prng: prng.fork(),
    trace: options.trace,
    faults: linkFaultsNone(),
    checkInvariants: parameters.checkInvariants,
  });
  const run = new SwimRun(cluster, parameters, faults, prng);
  return run.execute();
}

class SwimRun {
  private readonly names: NodeId[] = [];
  private readonly departedMs = new Map<NodeId, number>();
  private readonly crashedMs = new Map<NodeId, number>();
  private readonly slowMembers = new Set<NodeId>();
  private readonly failures: string[] = [];
  private partitionStartMs = Number.POSITIVE_INFINITY;
  private partitionEndMs = Number.POSITIVE_INFINITY;
  private convergenceMs = -1;

  constructor(
    private readonly cluster: SwimSimCluster,
    private readonly parameters: SwimWorkloadParams,
    private readonly faults: ReadonlySet<string>,
    private readonly prng: Prng,
  ) {}

  execute(): WorkloadResult {
    this.bootstrap();
    const measureStartMs = this.cluster.nowMs;
    if (this.failures.length === 0) this.faultPhase();
    if (this.failures.length === 0) this.partitionPhase();
    if (this.failures.length === 0) this.settle();
    return this.result(measureStartMs);
  }

  private bootstrap(): void {
    for (let i = 0; i < this.parameters.members; i++) {
      const name = `m${String(i).padStart(2, "0")}`;
      this.names.push(name as NodeId);
      this.cluster.addMember(name, i === 0 ? [] : ["m00"]);
    }
    if (!this.runUntil(() => this.wrongViews().length === 0, this.cluster.nowMs + bootstrapMsMax)) {
      this.failures.push(`bootstrap: views not full after ${bootstrapMsMax} ms: ${this.wrongViews()[0]}`);
    }
  }

  private faultPhase(): void {
    const durationMs = this.parameters.faultMinutes * 60_000;
    if (this.faults.has("loss")) {
      this.cluster.network.setFaults({
        ...linkFaultsNone(),
        lossProbability: this.parameters.lossProbability,
      });
    }
    const candidates = this.prng.shuffle(this.names.slice(1));
    if (this.faults.has("pause")) {
      const count = this.parameters.slowCount ?? this.prng.intBetween(1, 4);
      for (const name of candidates.splice(0, Math.min(count, candidates.length - 2))) {
        this.slowMembers.add(name);
        this.cluster.setSlow(name, swimSlowProfile);
      }
    }
    const startMs = this.cluster.nowMs;
    if (this.faults.has("crash")) {
      for (const name of candidates.splice(0, Math.min(this.parameters.crashCount, candidates.length - 2))) {
        const atMs = startMs + this.prng.next() * durationMs * 0.8;
        this.cluster.scheduler.at(atMs, () => this.crash(name));
      }
    }
    if (this.faults.has("crash") && candidates.length > 2)
      this.scheduleLeave(candidates[0]!, startMs, durationMs);
    this.cluster.scheduler.runUntil(startMs + durationMs);
    this.cluster.network.setFaults(linkFaultsNone());
    for (const name of this.slowMembers) this.cluster.setSlow(name, null);
  }

  private scheduleLeave(name: NodeId, startMs: number, durationMs: number): void {
    const atMs = startMs + this.prng.next() * durationMs * 0.8;
    this.cluster.scheduler.at(atMs, () => {
      if (this.cluster.isCrashed(name)) return;
      this.cluster.member(name).leave();
      this.departedMs.set(name, this.cluster.nowMs);
      const stop = (): void => {
        if (this.cluster.isCrashed(name)) return;
        if (this.cluster.member(name).isLeaveDisseminated) this.cluster.crash(name);
        else this.cluster.scheduler.after(pollMs, stop);
      };
      stop();
    });
  }

  private crash(name: NodeId): void {
    if (this.cluster.isCrashed(name)) return;
    this.cluster.crash(name);
    this.crashedMs.set(name, this.cluster.nowMs);
    this.departedMs.set(name, this.cluster.nowMs);
  }

  private partitionPhase(): void {
    if (!this.faults.has("partition") || this.parameters.partitionSeconds <= 0) return;
    const live = this.prng.shuffle(this.cluster.liveMembers());
    const half = Math.floor(live.length / 2);
    this.partitionStartMs = this.cluster.nowMs;
    this.cluster.network.partition([live.slice(0, half), live.slice(half)]);
    this.cluster.scheduler.runFor(this.parameters.partitionSeconds * 1_000);
    this.cluster.network.heal();
    const healMs = this.cluster.nowMs;
    if (this.runUntil(() => this.wrongViews().length === 0, healMs + settleMsMax)) {
      this.convergenceMs = this.cluster.nowMs - healMs;
    }
    this.partitionEndMs = this.cluster.nowMs;
  }

  private settle(): void {
    const deadlineMs = this.cluster.nowMs + settleMsMax;
    if (!this.runUntil(() => this.wrongViews().length === 0, deadlineMs)) {
      const wrong = this.wrongViews();
      this.failures.push(`final views wrong at ${wrong.length} places, first: ${wrong[0]}`);
    }
  }

  private runUntil(done: () => boolean, deadlineMs: number): boolean {
    while (this.cluster.nowMs < deadlineMs) {
      if (done()) return true;
      this.cluster.scheduler.runUntil(Math.min(deadlineMs, this.cluster.nowMs + pollMs));
    }
    return done();
  }

  /** Lists every (observer, subject) pair whose view is wrong: up members alive, departed ones not. */
  private wrongViews(): string[] {
    const wrong: string[] = [];
    const live = this.cluster.liveMembers();
    // A cheap necessary condition first: each member counts exactly the up members as active.
    const upCount = live.filter((name) => !this.departedMs.has(name)).length;
    for (const observer of live) {
      const expected = this.departedMs.has(observer) ? upCount : upCount - 1;
      if (this.cluster.member(observer).activeMemberCount !== expected) {
        wrong.push(
          `${observer} counts ${this.cluster.member(observer).activeMemberCount} active members, not ${expected}`,
        );
        return wrong;
      }
    }
    for (const observer of live) {
      const core = this.cluster.member(observer);
      for (const subject of this.names) {
        if (subject === observer) continue;
        const state = core.memberView(subject)?.state ?? null;
        const isUp = !this.cluster.isCrashed(subject) && !this.departedMs.has(subject);
        const isRight = isUp
          ? state === MemberState.Alive
          : state === null || state === MemberState.Dead || state === MemberState.Left;
        if (!isRight) wrong.push(`${observer} sees ${subject} as ${state ?? "unknown"}`);
      }
    }
    return wrong;
  }

  private result(measureStartMs: number): WorkloadResult {
    const figures: Record<string, number> = {};
    const endMs = this.cluster.nowMs;
    this.detectionFigures(figures);
    const falsePositives = this.falsePositives();
    const excludedMs = Math.max(
      0,
      Math.min(endMs, this.partitionEndMs) - Math.min(endMs, this.partitionStartMs),
    );
    const measuredHours = Math.max(0, endMs - measureStartMs - excludedMs) / 3_600_000;
    const healthyCount = this.names.length - this.slowMembers.size - this.departedMs.size;
    figures["falsePositivesHealthy"] = falsePositives.healthy;
    figures["falsePositivesSlowSubject"] = falsePositives.slowSubject;
    figures["falsePositivesAtSlowObserver"] = falsePositives.atSlowObserver;
    figures["healthyMemberHours"] = healthyCount * measuredHours;
    figures["messagesSent"] = this.cluster.network.stats.sent;
    figures["memberSeconds"] = this.memberSeconds(endMs);
    figures["convergenceMs"] = this.convergenceMs;
    figures["slowMembers"] = this.slowMembers.size;
    if (this.partitionStartMs !== Number.POSITIVE_INFINITY && this.convergenceMs < 0) {
      this.failures.push("views did not converge after the partition healed");
    }
    const summary =
      `members=${this.names.length} slow=${this.slowMembers.size} crashed=${this.crashedMs.size} ` +
      `fp(healthy)=${falsePositives.healthy} fp(slow subject)=${falsePositives.slowSubject} ` +
      `convergence=${this.convergenceMs}ms messages=${this.cluster.network.stats.sent}`;
    return { ok: this.failures.length === 0, summary, failures: this.failures, figures };
  }

  private memberSeconds(endMs: number): number {
    let total = 0;
    for (const name of this.names) total += (this.departedMs.get(name) ?? endMs) / 1_000;
    return total;
  }

  private detectionFigures(figures: Record<string, number>): void {
    let index = 0;
    for (const [subject, crashMs] of this.crashedMs) {
      const firstByObserver = new Map<NodeId, number>();
      for (const observed of this.cluster.observed) {
        if (observed.event.member !== subject || observed.timeMs < crashMs) continue;
        if (observed.event.kind !== "dead" && observed.event.kind !== "left") continue;
        if (!firstByObserver.has(observed.observer)) firstByObserver.set(observed.observer, observed.timeMs);
      }
      const live = this.cluster.liveMembers().filter((name) => name !== subject);
      const times = live.map((name) => firstByObserver.get(name));
      if (times.some((time) => time === undefined)) {
        this.failures.push(`crash of ${subject} not detected by every live member`);
        continue;
      }
      const values = times as number[];
      figures[`detectionMs.${index}`] = Math.min(...firstByObserver.values()) - crashMs;
      figures[`fullDetectionMs.${index}`] = Math.max(...values) - crashMs;
      index += 1;
    }
  }

  /** Counts distinct (subject, incarnation) deaths of members that were up, outside the partition. */
  private falsePositives(): { healthy: number; slowSubject: number; atSlowObserver: number } {
    const healthy = new Set<string>();
    const slowSubject = new Set<string>();
    const atSlowObserver = new Set<string>();
    for (const observed of this.cluster.observed) {
      if (observed.event.kind !== "dead") continue;
      if (!this.isFalsePositive(observed)) continue;
      const key = `${observed.event.member}@${observed.event.incarnation}`;
      const isSlowSubject = this.slowMembers.has(observed.event.member);
      const isSlowObserver = this.slowMembers.has(observed.observer);
      if (isSlowSubject) slowSubject.add(key);
      else if (isSlowObserver) atSlowObserver.add(key);
      else healthy.add(key);
    }
    return { healthy: healthy.size, slowSubject: slowSubject.size, atSlowObserver: atSlowObserver.size };
  }

  private isFalsePositive(observed: ObservedEvent): boolean {
    const departed = this.departedMs.get(observed.event.member);
    if (departed !== undefined && observed.timeMs >= departed) return false;
    return observed.timeMs < this.partitionStartMs || observed.timeMs > this.partitionEndMs;
  }
}

/** Folds per-seed figures into the closing line. */
export function summarizeSwim(results: readonly WorkloadResult[]): string {
  const detection: number[] = [];
  const full: number[] = [];
  const convergence: number[] = [];
  let healthy = 0;
  let slowSubject = 0;
  let memberHours = 0;
  let messages = 0;
  let memberSeconds = 0;
  for (const result of results) {
    for (const [name, value] of Object.entries(result.figures)) {
      if (name.startsWith("detectionMs.")) detection.push(value);
      if (name.startsWith("fullDetectionMs.")) full.push(value);
    }
    const figure = (name: string) => result.figures[name] ?? 0;
    if (figure("convergenceMs") >= 0 && result.figures["convergenceMs"] !== undefined) {
      convergence.push(figure("convergenceMs"));
    }
    healthy += figure("falsePositivesHealthy");
    slowSubject += figure("falsePositivesSlowSubject");
    memberHours += figure("healthyMemberHours");
    messages += figure("messagesSent");
    memberSeconds += figure("memberSeconds");
  }
  const rate = memberHours > 0 ? healthy / memberHours : 0;
  const perSecond = memberSeconds > 0 ? messages / memberSeconds : 0;
  return (
    `swim: detection p50=${percentile(detection, 0.5)}ms p99=${percentile(detection, 0.99)}ms ` +
    `(all members: p50=${percentile(full, 0.5)}ms p99=${percentile(full, 0.99)}ms, n=${detection.length}) ` +
    `false-positives=${rate.toFixed(3)}/member-hour (healthy: ${healthy} in ${memberHours.toFixed(1)} member-hours; ` +
    `slow members declared dead: ${slowSubject}) messages=${perSecond.toFixed(1)}/member/s ` +
    `convergence-after-heal p50=${percentile(convergence, 0.5)}ms max=${percentile(convergence, 1)}ms`
  );
}

/** Returns the nearest-rank percentile of `values` (0 for none), rounded to a millisecond. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return Math.round(sorted[rank]!);
}

/** The `swim` workload for `shoal sim`. */
export const swimWorkload: Workload = {
  name: "swim",
  description:
    "SWIM/Lifeguard membership: detection time, false positives under loss and slow members, heal (T9)",
  faultNames: swimFaultNames,
  run: runSwimWorkload,
  summarize: summarizeSwim,
};
