// A simulated SWIM cluster that drives the pure cores directly on the SimScheduler and SimNetwork
// (no codec in the loop: a virtual hour of 64 members is millions of packets). Every member ticks
// on one shared tick event; a packet is stepped when it arrives, unless its member is slow.
//
// The "slow member" model is Lifeguard's anomaly: in bursts, the member's inbound processing is
// delayed (an overloaded event loop) while its timers keep firing, so its own probes time out
// for lack of acks it has not yet read. Packets that arrive during a burst are handled, in order,
// when the burst ends.

import { assert } from "../../../lib/assert.js";
import type { Prng } from "../../../lib/prng.js";
import {
  describeSwimMessage,
  type MembershipEvent,
  type SwimConfig,
  SwimMember,
  type SwimMessage,
} from "../../../protocol/swim/index.js";
import { type Address, address, type NodeId, nodeId } from "../../../types.js";
import { type LinkFaults, SimNetwork } from "../../network.js";
import { SimScheduler } from "../../scheduler.js";
import type { Trace } from "../../trace.js";

/** One membership event as the harness saw it, with the virtual time. */
export interface ObservedEvent {
  readonly timeMs: number;
  readonly observer: NodeId;
  readonly event: MembershipEvent;
}

/** Bursts of slow processing at one member. */
export interface SlowProfile {
  /** Mean virtual time between the end of one burst and the start of the next. */
  readonly gapMsMean: number;
  readonly burstMsMin: number;
  readonly burstMsMax: number;
}

/** Most packets a slow member holds during one burst; more are dropped (a full socket buffer). */
export const slowHeldPacketsMax = 10_000;

interface SimMemberHost {
  readonly id: NodeId;
  core: SwimMember;
  isCrashed: boolean;
  slow: SlowProfile | null;
  burstEndMs: number;
  held: { from: Address; message: SwimMessage }[];
}

/** Options of a {@link SwimSimCluster}. */
export interface SwimSimClusterOptions {
  readonly config: SwimConfig;
  readonly prng: Prng;
  readonly trace: Trace;
  readonly faults: LinkFaults;
  /** Calls every core's `invariants()` after each tick (slower; on in tests). */
  readonly checkInvariants: boolean;
}

/** A cluster of SWIM cores on the simulator. */
export class SwimSimCluster {
  readonly scheduler = new SimScheduler();
  readonly network: SimNetwork<SwimMessage>;
  /** Every membership event, in virtual-time order. */
  readonly observed: ObservedEvent[] = [];
  private readonly hosts = new Map<NodeId, SimMemberHost>();
  private readonly order: SimMemberHost[] = [];
  private isTicking = false;

  constructor(private readonly options: SwimSimClusterOptions) {
    this.network = new SimNetwork<SwimMessage>(this.scheduler, options.prng.fork(), options.trace, {
      faults: options.faults,
      describe: describeSwimMessage,
    });
  }

  /** Virtual time now. */
  get nowMs(): number {
    return this.scheduler.nowMs;
  }

  /** Adds and starts a member that joins through `seeds`. */
  addMember(name: string, seeds: readonly string[], incarnation = 0): SwimMember {
    const id = nodeId(name);
    assert(this.hosts.get(id)?.isCrashed !== false, `member ${name} is already running`);
    const core = new SwimMember({
      id,
      address: address(name),
      config: this.options.config,
      prng: this.options.prng.fork(),
      incarnation,
      metadata: new Uint8Array(0),
      seeds: seeds.map(address),
    });
    const previous = this.hosts.get(id);
    const host: SimMemberHost = previous ?? {
      id,
      core,
      isCrashed: false,
      slow: null,
      burstEndMs: 0,
      held: [],
    };
    host.core = core;
    host.isCrashed = false;
    host.held = [];
    if (previous === undefined) {
      this.hosts.set(id, host);
      this.order.push(host);
    }
    this.network.attach(name, (from, message) => this.deliver(host, address(from), message));
    this.startTicking();
    return core;
  }

  /** The core of member `name`. */
  member(name: string): SwimMember {
    const host = this.hosts.get(nodeId(name));
    assert(host !== undefined, `unknown member ${name}`);
    return host.core;
  }

  /** Names of members that have not crashed, in the order they were added. */
  liveMembers(): NodeId[] {
    return this.order.filter((host) => !host.isCrashed).map((host) => host.id);
  }

  /** Whether `name` is crashed (or left and stopped). */
  isCrashed(name: NodeId): boolean {
    return this.hosts.get(name)?.isCrashed ?? true;
  }

  /** Stops member `name` at once, as kill -9 would: no goodbye, packets in flight lost. */
  crash(name: NodeId): void {
    const host = this.hosts.get(name);
    assert(host !== undefined && !host.isCrashed, `cannot crash ${name}`);
    host.isCrashed = true;
    host.held = [];
    this.network.detach(name);
  }

  /** Makes member `name` slow in bursts (null: healthy again). */
  setSlow(name: NodeId, profile: SlowProfile | null): void {
    const host = this.hosts.get(name);
    assert(host !== undefined, `unknown member ${name}`);
    host.slow = profile;
    if (profile === null) host.burstEndMs = 0;
    else this.scheduleBurst(host, profile);
  }

  /** Whether member `name` has a slow profile. */
  isSlow(name: NodeId): boolean {
    return this.hosts.get(name)?.slow !== null;
  }

  private scheduleBurst(host: SimMemberHost, profile: SlowProfile): void {
    const gapMs = this.options.prng.exponential(profile.gapMsMean);
    this.scheduler.after(gapMs, () => {
      if (host.slow !== profile || host.isCrashed) return;
      const burstMs =
        profile.burstMsMin + this.options.prng.next() * (profile.burstMsMax - profile.burstMsMin);
      host.burstEndMs = this.scheduler.nowMs + burstMs;
      this.scheduler.after(burstMs, () => {
        this.releaseHeld(host);
        if (host.slow === profile) this.scheduleBurst(host, profile);
      });
    });
  }

  private deliver(host: SimMemberHost, from: Address, message: SwimMessage): void {
    if (host.isCrashed) return;
    if (host.slow !== null && this.scheduler.nowMs < host.burstEndMs) {
      if (host.held.length < slowHeldPacketsMax) host.held.push({ from, message });
      return;
    }
    host.core.step(from, message);
    this.flush(host);
  }

  private releaseHeld(host: SimMemberHost): void {
    const held = host.held;
    host.held = [];
    host.burstEndMs = 0;
    if (host.isCrashed) return;
    for (const packet of held) host.core.step(packet.from, packet.message);
    this.flush(host);
  }

  private startTicking(): void {
    if (this.isTicking) return;
    this.isTicking = true;
    const tick = (): void => {
      for (const host of this.order) {
        if (host.isCrashed) continue;
        host.core.tick();
        if (this.options.checkInvariants) host.core.invariants();
        this.flush(host);
      }
      this.scheduler.after(this.options.config.tickMs, tick);
    };
    this.scheduler.after(this.options.config.tickMs, tick);
  }

  private flush(host: SimMemberHost): void {
    for (const outbound of host.core.takeOutbox()) this.network.send(host.id, outbound.to, outbound.message);
    for (const event of host.core.takeEvents()) {
      this.observed.push({ timeMs: this.scheduler.nowMs, observer: host.id, event });
    }
  }
}
