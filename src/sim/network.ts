// The simulated network: best-effort delivery between named nodes, with per-link delay, loss,
// duplication and reordering, clogged links, and symmetric or one-way partitions. Every decision
// is drawn from the run's PRNG and every delivery is recorded in the trace, so a seed replays the
// same network exactly. Messages are values; receivers must treat them as immutable (a duplicate
// delivers the same object twice).

import { assert } from "../lib/assert.js";
import type { Prng } from "../lib/prng.js";
import type { SimScheduler } from "./scheduler.js";
import type { Trace } from "./trace.js";

/** Fault rates of a link; the network applies them to every message independently. */
export interface LinkFaults {
  /** Smallest one-way delay. */
  readonly delayMsMin: number;
  /** Mean one-way delay above the minimum (exponentially distributed, so some messages overtake others). */
  readonly delayMsMean: number;
  /** Probability that a message is lost. */
  readonly lossProbability: number;
  /** Probability that a message is delivered twice (the copy with its own delay). */
  readonly duplicateProbability: number;
}

/** A fault-free LAN: 1 ms plus a little jitter, no loss, no duplicates. */
export function linkFaultsNone(): LinkFaults {
  return { delayMsMin: 1, delayMsMean: 0.5, lossProbability: 0, duplicateProbability: 0 };
}

/** Counters of what the network did. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  bytesSent: number;
}

/** Options of a {@link SimNetwork}. */
export interface SimNetworkOptions<M> {
  readonly faults: LinkFaults;
  /** A short text form of a message for the trace (STYLE.md rule 25). */
  readonly describe: (message: M) => string;
  /** Size of a message in bytes, for statistics. */
  readonly sizeBytes?: (message: M) => number;
}

type Deliver<M> = (from: string, message: M) => void;

/** A simulated network between named nodes. */
export class SimNetwork<M> {
  private readonly receivers = new Map<string, Deliver<M>>();
  /** Blocked directed links, as "from\u0000to". */
  private readonly blocked = new Set<string>();
  /** Clogged directed links: messages are held until the given time. */
  private readonly cloggedUntilMs = new Map<string, number>();
  private readonly linkFaults = new Map<string, LinkFaults>();
  private faults: LinkFaults;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, bytesSent: 0 };

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly prng: Prng,
    private readonly trace: Trace,
    private readonly options: SimNetworkOptions<M>,
  ) {
    this.faults = options.faults;
    SimNetwork.assertFaults(options.faults);
  }

  /** Connects `node`: messages to it are handed to `deliver`. Replaces an earlier handler. */
  attach(node: string, deliver: Deliver<M>): void {
    this.receivers.set(node, deliver);
  }

  /** Disconnects `node` (crashed or stopped): messages in flight to it are dropped on arrival. */
  detach(node: string): void {
    this.receivers.delete(node);
  }

  /** Whether `node` is attached. */
  isAttached(node: string): boolean {
    return this.receivers.has(node);
  }

  /** Sends `message` from `from` to `to`, best effort. */
  send(from: string, to: string, message: M): void {
    this.stats.sent += 1;
    this.stats.bytesSent += this.options.sizeBytes?.(message) ?? 0;
    const faults = this.linkFaults.get(SimNetwork.link(from, to)) ?? this.faults;
    if (this.blocked.has(SimNetwork.link(from, to)) || this.prng.chance(faults.lossProbability)) {
      this.stats.dropped += 1;
      if (this.trace.isVerbose)
        this.trace.record(this.scheduler.nowMs, `net drop ${from}->${to} ${this.options.describe(message)}`);
      return;
    }
    this.schedule(from, to, message, faults);
    if (this.prng.chance(faults.duplicateProbability)) {
      this.stats.duplicated += 1;
      this.schedule(from, to, message, faults);
    }
  }

  /** Replaces the fault rates of every link that has no override. */
  setFaults(faults: LinkFaults): void {
    SimNetwork.assertFaults(faults);
    this.faults = faults;
  }

  /** Overrides the fault rates of the directed link from → to (null removes the override). */
  setLinkFaults(from: string, to: string, faults: LinkFaults | null): void {
    if (faults === null) this.linkFaults.delete(SimNetwork.link(from, to));
    else {
      SimNetwork.assertFaults(faults);
      this.linkFaults.set(SimNetwork.link(from, to), faults);
    }
  }

  /** Cuts every link between nodes of different sides, both ways. Nodes on no side are untouched. */
  partition(sides: readonly (readonly string[])[]): void {
    for (let i = 0; i < sides.length; i++) {
      for (let j = 0; j < sides.length; j++) {
        if (i === j) continue;
        for (const from of sides[i]!) for (const to of sides[j]!) this.blocked.add(SimNetwork.link(from, to));
      }
    }
    this.trace.record(
      this.scheduler.nowMs,
      `net partition ${sides.map((side) => side.join(",")).join(" | ")}`,
    );
  }

  /** Cuts the links from every node of `sources` to every node of `targets`, one way only. */
  partitionOneWay(sources: readonly string[], targets: readonly string[]): void {
    for (const from of sources)
      for (const to of targets) if (from !== to) this.blocked.add(SimNetwork.link(from, to));
    this.trace.record(
      this.scheduler.nowMs,
      `net partition-one-way ${sources.join(",")} -> ${targets.join(",")}`,
    );
  }

  /** Holds messages on the directed link from → to until `durationMs` from now. */
  clog(from: string, to: string, durationMs: number): void {
    assert(durationMs >= 0);
    this.cloggedUntilMs.set(SimNetwork.link(from, to), this.scheduler.nowMs + durationMs);
    this.trace.record(this.scheduler.nowMs, `net clog ${from}->${to} ${durationMs}ms`);
  }

  /** Whether messages can currently flow from → to (ignoring random loss). */
  isConnected(from: string, to: string): boolean {
    return !this.blocked.has(SimNetwork.link(from, to));
  }

  /** Removes every partition and clog (link fault overrides stay). */
  heal(): void {
    this.blocked.clear();
    this.cloggedUntilMs.clear();
    this.trace.record(this.scheduler.nowMs, "net heal");
  }

  private schedule(from: string, to: string, message: M, faults: LinkFaults): void {
    const delayMs = faults.delayMsMin + this.prng.exponential(faults.delayMsMean);
    const cloggedUntil = this.cloggedUntilMs.get(SimNetwork.link(from, to)) ?? 0;
    const arrivalMs = Math.max(this.scheduler.nowMs + delayMs, cloggedUntil);
    this.scheduler.at(arrivalMs, () => this.arrive(from, to, message));
  }

  private arrive(from: string, to: string, message: M): void {
    const deliver = this.receivers.get(to);
    // A partition that started while the message was in flight also stops it.
    if (deliver === undefined || this.blocked.has(SimNetwork.link(from, to))) {
      this.stats.dropped += 1;
      return;
    }
    this.stats.delivered += 1;
    if (this.trace.isVerbose)
      this.trace.record(this.scheduler.nowMs, `net deliver ${from}->${to} ${this.options.describe(message)}`);
    else this.trace.record(this.scheduler.nowMs, `d ${from} ${to}`);
    deliver(from, message);
  }

  private static link(from: string, to: string): string {
    return `${from}\u0000${to}`;
  }

  private static assertFaults(faults: LinkFaults): void {
    assert(faults.delayMsMin >= 0, "delayMsMin must be non-negative");
    assert(faults.delayMsMean >= 0, "delayMsMean must be non-negative");
    assert(faults.lossProbability >= 0 && faults.lossProbability <= 1, "lossProbability out of range");
    assert(
      faults.duplicateProbability >= 0 && faults.duplicateProbability <= 1,
      "duplicateProbability out of range",
    );
  }
}
