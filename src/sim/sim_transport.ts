// One node's transport in the simulator: env Transport over a SimNetwork of byte frames. Frames are
// copied when sent (the caller owns its buffer once send returns) and again when delivered (a
// duplicated frame must not alias the first copy, which the receiver may have changed). While the
// node is paused, arriving frames wait in a bounded queue, as they would in a socket buffer, and
// are handed over in arrival order on resume; a full queue drops the excess and counts it. Once
// closed (the node crashed or stopped), nothing is sent or received again. Closing also tells
// every other live transport on the network that can still hear this node (the peer-down signal, as
// a TCP reset would after a kill), after a small virtual delay; a paused peer gets it on resume.

import { assert } from "../lib/assert.js";
import type { FrameHandler, SendResult, Transport } from "../env/transport.js";
import { type Address, address } from "../types.js";
import type { SimNetwork } from "./network.js";
import type { SimScheduler } from "./scheduler.js";

/** Most frames held for a paused node; beyond it frames are dropped, as by a full socket buffer. */
export const simTransportPausedFramesMax = 10_000;

/** Largest frame, in bytes: a guard against runaway frames from the code under test. */
export const simTransportFrameBytesMax = 64 * 1024 * 1024;

/** Virtual delay from a transport's close to its peers' peer-down signal (a reset crossing the wire). */
export const simTransportPeerDownDelayMs = 1;

/** The open transports on each network, so that one closing can tell the others. */
const openTransports = new WeakMap<SimNetwork<Uint8Array>, Set<SimTransport>>();

/** Counters of one node's transport. */
export interface SimTransportStats {
  framesSent: number;
  framesReceived: number;
  /** Frames that arrived before a handler was installed, or while the pause queue was full. */
  framesDropped: number;
}

/** Implements {@link Transport} for one node over a {@link SimNetwork}. */
export class SimTransport implements Transport {
  readonly localAddress: Address;
  private handler: FrameHandler | null = null;
  private closed = false;
  private paused = false;
  private held: { readonly from: string; readonly frame: Uint8Array }[] = [];
  private peerDownHandler: ((peer: Address) => void) | null = null;
  private heldPeerDowns: Address[] = [];
  readonly stats: SimTransportStats = { framesSent: 0, framesReceived: 0, framesDropped: 0 };

  constructor(
    private readonly network: SimNetwork<Uint8Array>,
    private readonly scheduler: SimScheduler,
    readonly node: string,
  ) {
    assert(!network.isAttached(node), `node ${node} already has a transport attached`);
    this.localAddress = address(node);
    network.attach(node, (from, frame) => this.arrive(from, frame));
    const open = openTransports.get(network) ?? new Set<SimTransport>();
    openTransports.set(network, open);
    open.add(this);
  }

  send(to: Address, frame: Uint8Array): SendResult {
    assert(frame.byteLength <= simTransportFrameBytesMax, `frame of ${frame.byteLength} bytes is too large`);
    if (this.closed) return "closed";
    this.stats.framesSent += 1;
    this.network.send(this.node, to, frame.slice());
    return "queued";
  }

  onFrame(handler: FrameHandler): void {
    this.handler = handler;
  }

  /** Installs the single handler told when another node's transport on this network closes. */
  onPeerDown(handler: (peer: Address) => void): void {
    this.peerDownHandler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = [];
    this.heldPeerDowns = [];
    this.network.detach(this.node);
    assert(!this.network.isAttached(this.node));
    const open = openTransports.get(this.network);
    open?.delete(this);
    for (const peer of open ?? []) peer.peerClosed(this.node);
  }

  /** Whether the transport was closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Holds arriving frames until {@link resume}. */
  pause(): void {
    assert(!this.paused, "pause of a paused transport");
    this.paused = true;
  }

  /**
   * Delivers the held frames in arrival order, in one scheduler event, then delivers as they come.
   * A pause that starts again before that event holds them once more.
   */
  resume(): void {
    assert(this.paused, "resume of a transport that is not paused");
    this.paused = false;
    const held = this.held;
    this.held = [];
    const downs = this.heldPeerDowns;
    this.heldPeerDowns = [];
    if ((held.length === 0 && downs.length === 0) || this.closed) return;
    this.scheduler.after(0, () => {
      for (const { from, frame } of held) this.arrive(from, frame);
      for (const peer of downs) this.peerDownArrive(peer);
    });
  }

  /** Whether arriving frames are being held. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** `node`'s transport closed: tell the handler after the delay, unless a partition hides the reset. */
  private peerClosed(node: string): void {
    if (this.closed || this.peerDownHandler === null || !this.network.isConnected(node, this.node)) return;
    const peer = address(node);
    this.scheduler.after(simTransportPeerDownDelayMs, () => this.peerDownArrive(peer));
  }

  private peerDownArrive(peer: Address): void {
    if (this.closed) return;
    if (this.paused) {
      // One entry per peer: at most one per node on the network, however often it restarts.
      if (!this.heldPeerDowns.includes(peer)) this.heldPeerDowns.push(peer);
    } else this.peerDownHandler?.(peer);
  }

  private arrive(from: string, frame: Uint8Array): void {
    if (this.closed) return;
    if (!this.paused) {
      this.deliver(from, frame);
      return;
    }
    if (this.held.length >= simTransportPausedFramesMax) {
      this.stats.framesDropped += 1;
      return;
    }
    this.held.push({ from, frame });
  }

  private deliver(from: string, frame: Uint8Array): void {
    if (this.closed) return;
    if (this.handler === null) {
      this.stats.framesDropped += 1;
      return;
    }
    this.stats.framesReceived += 1;
    this.handler(address(from), frame.slice());
  }
}
