// Runs a SwimMember on an Environment (DESIGN.md rule 2), in one of two modes.
//
// Standalone (`start()`): one `clock.every(tickMs)` drives it; the transport callback only
// enqueues frames (bounded), and each tick then (1) ticks the core, (2) decodes, validates and
// steps the frames that arrived since the last tick, (3) encodes and sends the core's outbox, and
// (4) hands membership events to the caller.
//
// Hosted (a Member shares its transport and tick loop): the host never calls `start()`; it calls
// `tick()` from its own loop, hands each inbound `swim` wire payload to `deliver()` (stepped at
// once, replies sent at once, so acks do not wait a tick), and the driver sends through the
// host's `send` function. Frames or payloads that do not decode or validate are counted and
// dropped; the member goes on.

import type { Cancel } from "../env/clock.js";
import type { Environment } from "../env/environment.js";
import { assert } from "../lib/assert.js";
import { BoundedQueue } from "../lib/bounded_queue.js";
import { Prng } from "../lib/prng.js";
import {
  type MembershipEvent,
  parseSwimMessage,
  type SwimConfig,
  SwimMember,
  type SwimMessage,
} from "../protocol/swim/index.js";
import { WireCodec } from "../protocol/wire/index.js";
import type { SendResult } from "../env/transport.js";
import type { Address, NodeId } from "../types.js";

/** How to start a {@link SwimDriver}. */
export interface SwimDriverOptions {
  readonly environment: Environment;
  readonly id: NodeId;
  readonly config: SwimConfig;
  readonly seeds: readonly Address[];
  /** The starting incarnation (a restart should pass one above the last it used, e.g. from disk or wall time). */
  readonly incarnation: number;
  readonly metadata: Uint8Array;
  /** Receives each membership event, in order, from inside the tick. */
  readonly onEvent: (event: MembershipEvent) => void;
  /** Most inbound frames held between two ticks; more are dropped and counted. */
  readonly inboundFramesMax: number;
  /** Largest frame sent or accepted, in bytes (a UDP datagram holds at most 65,507). */
  readonly frameBytesMax: number;
  /** Hosted mode: how to send one encoded frame (the host counts it). Default: the environment's transport. */
  readonly send?: (to: Address, frame: Uint8Array) => SendResult;
}

/** Counters of a driver's traffic. */
export interface SwimDriverStats {
  framesReceived: number;
  framesSent: number;
  /** Inbound frames dropped because the inbound queue was full. */
  framesDropped: number;
  /** Inbound frames that did not decode or validate. */
  framesInvalid: number;
  /** Outbound frames the transport refused (full or closed) or that exceeded frameBytesMax. */
  sendsRefused: number;
}

interface InboundFrame {
  readonly from: Address;
  readonly frame: Uint8Array;
}

/** Connects one SWIM core to the clock and transport of an Environment. */
export class SwimDriver {
  /** The pure core, for reading views; only the driver calls its tick/step. */
  readonly core: SwimMember;
  readonly stats: SwimDriverStats = {
    framesReceived: 0,
    framesSent: 0,
    framesDropped: 0,
    framesInvalid: 0,
    sendsRefused: 0,
  };
  private readonly codec: WireCodec;
  private readonly inbound: BoundedQueue<InboundFrame>;
  private readonly send: (to: Address, frame: Uint8Array) => SendResult;
  private cancelTick: Cancel | null = null;
  private isStopped = false;
  private leaveDone: (() => void) | null = null;
  private leaveDeadlineMs = 0;

  constructor(private readonly options: SwimDriverOptions) {
    assert(options.inboundFramesMax >= 1, "inboundFramesMax must be positive");
    const environment = options.environment;
    this.core = new SwimMember({
      id: options.id,
      address: environment.transport.localAddress,
      config: options.config,
      prng: Prng.derive(environment.seed, "swim"),
      incarnation: options.incarnation,
      metadata: options.metadata,
      seeds: options.seeds,
    });
    this.codec = new WireCodec({ frameBytesMax: options.frameBytesMax });
    this.inbound = new BoundedQueue<InboundFrame>(options.inboundFramesMax);
    const transport = environment.transport;
    this.send = options.send ?? ((to, frame) => transport.send(to, frame));
  }

  /** Standalone mode: starts its own timer and transport handler. A hosted driver never calls it. */
  start(): void {
    assert(this.cancelTick === null && !this.isStopped, "driver already started");
    this.options.environment.transport.onFrame((from, frame) => {
      // Only enqueue here: protocol work happens on the tick (STYLE.md, the driver loop).
      this.stats.framesReceived += 1;
      if (this.inbound.push({ from, frame }) === "full") this.stats.framesDropped += 1;
    });
    this.cancelTick = this.options.environment.clock.every(this.options.config.tickMs, () => this.tick());
  }

  /** Whether stop() ran (or a leave finished). */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** Hosted mode: steps one inbound `swim` wire payload at once and sends the replies. */
  deliver(from: Address, payload: unknown): void {
    if (this.isStopped) return;
    this.stats.framesReceived += 1;
    const message = this.parse(payload);
    if (message === null) {
      this.stats.framesInvalid += 1;
      return;
    }
    this.core.step(from, message);
    this.sendOutbox();
  }

  /** Adds seeds to join through (e.g. the configuration's members once the cluster formed). */
  join(seeds: readonly Address[]): void {
    if (this.isStopped || this.core.hasLeft) return;
    const own = this.options.environment.transport.localAddress;
    const others = seeds.filter((seed) => seed !== own);
    if (others.length > 0) this.core.join(others);
  }

  /**
   * Leaves gracefully: announces the leave, keeps ticking until it has been gossiped its full
   * number of times or `timeoutMs` passed, then stops. Resolves when stopped.
   */
  leave(timeoutMs: number): Promise<void> {
    assert(!this.isStopped && this.leaveDone === null, "driver not running, or already leaving");
    this.core.leave();
    this.leaveDeadlineMs = this.options.environment.clock.nowMs() + timeoutMs;
    return new Promise((resolve) => {
      this.leaveDone = resolve;
    });
  }

  /**
   * Stops ticking and receiving at once (the transport stays open; its owner closes it). A leave
   * still waiting resolves.
   */
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    if (this.cancelTick !== null) {
      this.cancelTick();
      this.cancelTick = null;
      this.options.environment.transport.onFrame(() => {});
    }
    const done = this.leaveDone;
    this.leaveDone = null;
    done?.();
  }

  /** One tick: the standalone timer calls it; in hosted mode the host does, once per its own tick. */
  tick(): void {
    if (this.isStopped) return;
    this.core.tick();
    let frames = this.inbound.size;
    while (frames > 0) {
      frames -= 1;
      const inbound = this.inbound.shift()!;
      const message = this.decode(inbound.frame);
      if (message === null) this.stats.framesInvalid += 1;
      else this.core.step(inbound.from, message);
    }
    this.sendOutbox();
    for (const event of this.core.takeEvents()) this.options.onEvent(event);
    this.leaveCheck();
  }

  private decode(frame: Uint8Array): SwimMessage | null {
    const decoded = this.codec.decode(frame);
    if (decoded.kind !== "ok" || decoded.message.kind !== "swim") return null;
    return this.parse(decoded.message.payload);
  }

  private parse(payload: unknown): SwimMessage | null {
    return parseSwimMessage(payload, {
      metadataBytesMax: this.options.config.metadataBytesMax,
      membersMax: this.options.config.membersMax,
    });
  }

  private sendOutbox(): void {
    for (const outbound of this.core.takeOutbox()) {
      const encoded = this.codec.encode({ version: 1, kind: "swim", payload: outbound.message });
      if (encoded.kind !== "ok") {
        this.stats.sendsRefused += 1;
        continue;
      }
      if (this.send(outbound.to, encoded.body) === "queued") this.stats.framesSent += 1;
      else this.stats.sendsRefused += 1;
    }
  }

  private leaveCheck(): void {
    if (this.leaveDone === null) return;
    const isTimedOut = this.options.environment.clock.nowMs() >= this.leaveDeadlineMs;
    if (!this.core.isLeaveDisseminated && !isTimedOut) return;
    this.stop();
  }
}
