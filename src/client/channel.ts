// The client's wire: one TcpTransport (the members' framing and cluster handshake, so a client is
// admitted exactly as a peer is), one WireCodec, and the table of requests waiting for an answer.
// `request` queues one request and resolves with the member's answer, or with null when none came
// within `waitMs` (the frame was dropped, the member is stuck) or as soon as the connection to that
// member closes or cannot be opened (the member died: its answer will not come, so waiting out
// `waitMs` would only delay the caller's retry elsewhere). The caller decides whether to retry.
// Responses are matched by requestId; a late answer to a request nobody waits for any more is
// dropped.
//
// Frames carry the binary client form (runtime/client_codec.ts); a request it cannot carry goes as
// MessagePack, and answers are read in either form.
//
// Pipelining: requests are not sent one frame each. Requests wait in a per-member outbox; a flush
// sends each member its requests in one `client-request` frame (or a few, below), a batch
// (protocol/client/messages.ts), or a plain single request when there is only one. The flush runs
// at setImmediate, after every answer frame read in this turn of the event loop: the requests that
// the answers of all three members release leave together, not one frame per answer frame.
//
// Pipelining across the two ends: a flush of many requests to one member leaves in a few frames
// (up to `pipelineFramesMax`, none under `pipelineFrameRequestsMin` requests), written one after
// the other in the same turn. The member answers each frame as soon as it has handled it
// (member.ts flushes a client's answers per request frame), so this client decodes the first
// frame's answers and issues the next requests while the member still works on the later frames,
// and the batches stay apart from then on: the client and the member work at the same time instead
// of taking turns on one batch of 64. Measured with `npx tsx scripts/cpu_per_op.ts incr 64 4000`
// on 2 cores: 81,000-88,000 increments/s as one frame, 100,000-135,000/s as three.
//
// Optional coalescing under load (`holdMs` > 0; off by default): a member with requests in flight
// gets its next frame when it answers, when its outbox fills a frame, or after `holdMs`, whichever
// is first; a member with nothing in flight gets its requests in the same turn, so a lone caller
// (c=1) never waits. Measured against fake members it cut request frames a little further than
// setImmediate alone (0.065 vs 0.074 per put at c=64) without a CPU gain beyond the noise, and a
// held read misses the read round it could have joined, so it is not the default. Each request
// keeps its own id, session and answer. Deadlines are kept by one sweep timer for all waiters, not
// one timer per request.

import { randomInt } from "node:crypto";
import { ClosedError } from "../errors.js";
import { assert } from "../lib/assert.js";
import { limitsDefault } from "../limits.js";
import { NodeClock, TcpTransport, tcpTransportConfigDefault } from "../platform/node/index.js";
import { silentLogger } from "../env/logger.js";
import type { SendResult } from "../env/transport.js";
import type { ClientRequest, ClientRequestPayload, ClientResponse } from "../protocol/client/messages.js";
import { WireCodec } from "../protocol/wire/index.js";
import { ClientRequestEncoder, clientResponsesDecode } from "../runtime/client_codec.js";
import type { Address } from "../types.js";

/** How a client reaches the cluster. */
export interface ChannelOptions {
  readonly clusterName: string;
  readonly secret: Uint8Array | null;
  /** Largest frame sent or accepted. */
  readonly frameBytesMax: number;
  /** Most requests in one frame (default and cap: limits.ts `batchOperationsMax`). */
  readonly requestsPerFrameMax?: number;
  /** Longest a request waits for a busy member's answer before it is sent; 0 (default): never. */
  readonly holdMs?: number;
}

/** The channel's own bounds; units last. */
export const channelTuning = {
  /** How often waiters past their deadline are resolved with null. */
  sweepIntervalMs: 10,
  /**
   * Default longest wait of a request for a busy member's next answer before it is sent anyway;
   * 0: never held (see the file comment).
   */
  holdMsDefault: 0,
  /** Most frames one flush's requests to one member are split into for pipelining. */
  pipelineFramesMax: 3,
  /** Fewest requests in a frame split off for pipelining (smaller parts cost more than they gain). */
  pipelineFrameRequestsMin: 16,
} as const;

/**
 * Requests per frame for a flush of `count` requests to one member: about a third of them from 48
 * requests up, half from 32, all of them below, and never over `requestsPerFrameMax`.
 */
export function pipelineFrameRequests(count: number, requestsPerFrameMax: number): number {
  const frames = Math.min(
    channelTuning.pipelineFramesMax,
    Math.max(1, Math.floor(count / channelTuning.pipelineFrameRequestsMin)),
  );
  return Math.max(1, Math.min(requestsPerFrameMax, Math.ceil(count / frames)));
}

interface Waiter {
  readonly to: Address;
  readonly resolve: (response: ClientResponse | null) => void;
  readonly reject: (error: unknown) => void;
  readonly deadlineMs: number;
  /** Whether its request left in a frame and counts in its member's in-flight count (hold only). */
  sent: boolean;
}

/** Requests in flight to members over one transport. */
export class Channel {
  private readonly codec: WireCodec;
  private readonly requestEncoder = new ClientRequestEncoder();
  private readonly waiters = new Map<number, Waiter>();
  /** Requests not yet sent, by member, in the order they were made. */
  private readonly outbox = new Map<Address, ClientRequest[]>();
  private flushScheduled = false;
  private readonly flushBound = (): void => this.flush(false);
  /** Requests sent and not yet settled, by member. */
  private readonly inFlight = new Map<Address, number>();
  /** Members that answered since the last flush: their queued requests leave at the next one. */
  private readonly answeredSinceFlush = new Set<Address>();
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private requestSequence = 0;
  private isClosed = false;
  private framesSentCount = 0;
  private framesReceivedCount = 0;

  private constructor(
    private readonly transport: TcpTransport,
    frameBytesMax: number,
    private readonly requestsPerFrameMax: number,
    private readonly holdMs: number,
  ) {
    this.codec = new WireCodec({ frameBytesMax });
    transport.onFrame((_from, frame) => this.received(frame));
    transport.onPeerDown((peer) => this.peerDown(peer));
  }

  /** Opens the transport on an ephemeral loopback-or-any port (members answer over it). */
  static async open(options: ChannelOptions): Promise<Channel> {
    const limits = limitsDefault();
    const transport = await TcpTransport.listen({
      host: "127.0.0.1",
      port: 0,
      clusterName: options.clusterName,
      secret: options.secret,
      limits: { ...limits, frameBytesMax: options.frameBytesMax },
      config: tcpTransportConfigDefault(),
      clock: new NodeClock({ timersKeepAlive: false }),
      logger: silentLogger,
      seed: randomInt(0, 2 ** 47),
    });
    const perFrame = options.requestsPerFrameMax ?? limits.batchOperationsMax;
    const holdMs = options.holdMs ?? channelTuning.holdMsDefault;
    assert(Number.isFinite(holdMs) && holdMs >= 0, "holdMs must be a finite number >= 0");
    return new Channel(
      transport,
      options.frameBytesMax,
      Math.min(perFrame, limits.batchOperationsMax),
      holdMs,
    );
  }

  /** The next request id (unique on this channel). */
  nextRequestId(): number {
    this.requestSequence += 1;
    return this.requestSequence;
  }

  /** Frames sent so far (a batch counts once). */
  get framesSent(): number {
    return this.framesSentCount;
  }

  /** Frames received so far (a batch counts once). */
  get framesReceived(): number {
    return this.framesReceivedCount;
  }

  /**
   * Queues `request` for `to`; resolves with the answer, or null after `waitMs` without one or once
   * the connection to `to` is lost. Never rejects except when the channel is closed.
   */
  request(to: Address, request: ClientRequest, waitMs: number): Promise<ClientResponse | null> {
    if (this.isClosed) return Promise.reject(new ClosedError("client"));
    return new Promise((resolve, reject) => {
      const deadlineMs = Date.now() + waitMs;
      this.waiters.set(request.requestId, { to, resolve, reject, deadlineMs, sent: false });
      let queued = this.outbox.get(to);
      if (queued === undefined) {
        queued = [];
        this.outbox.set(to, queued);
      }
      queued.push(request);
      this.flushSchedule();
      this.sweepTimer ??= setInterval(() => this.sweep(), channelTuning.sweepIntervalMs);
    });
  }

  /** Closes the transport; requests in flight resolve with null. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const waiter of this.waiters.values()) waiter.resolve(null);
    this.waiters.clear();
    this.outbox.clear();
    this.sweepStop();
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    await this.transport.closeAndWait();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private flushSchedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushBound);
  }

  /**
   * Sends the queued requests of every member that may take them now (all of them when `force`),
   * in frames of at most `requestsPerFrameMax` requests, split for pipelining
   * (pipelineFrameRequests); the others wait for their member's answer or the hold timer.
   */
  private flush(force: boolean): void {
    if (!force) this.flushScheduled = false;
    if (this.isClosed) return;
    let held = false;
    for (const [to, requests] of this.outbox) {
      if (!force && !this.mayTake(to, requests.length)) {
        held = true;
        continue;
      }
      this.outbox.delete(to);
      const perFrame = pipelineFrameRequests(requests.length, this.requestsPerFrameMax);
      if (requests.length <= perFrame) this.frameSend(to, requests);
      else
        for (let start = 0; start < requests.length; start += perFrame) {
          this.frameSend(to, requests.slice(start, start + perFrame));
          // Each part leaves at once, so the member starts on it while the next is encoded.
          this.transport.flush(to);
        }
    }
    this.answeredSinceFlush.clear();
    if (held && this.holdTimer === null)
      this.holdTimer = setTimeout(() => {
        this.holdTimer = null;
        this.flush(true);
      }, this.holdMs);
  }

  /** Whether `to` takes its `queued` requests now: it is idle, just answered, or a frame is full. */
  private mayTake(to: Address, queued: number): boolean {
    return (
      this.holdMs === 0 ||
      queued >= this.requestsPerFrameMax ||
      this.answeredSinceFlush.has(to) ||
      (this.inFlight.get(to) ?? 0) === 0
    );
  }

  /** Sends `requests` in one frame, halving until each part fits; what cannot be sent gets null. */
  private frameSend(to: Address, requests: readonly ClientRequest[]): void {
    const payload: ClientRequestPayload = requests.length === 1 ? requests[0]! : { type: "batch", requests };
    // The binary form, or MessagePack for a request it cannot carry (the member answers why).
    const binary = this.requestEncoder.encode(payload);
    const encoded = this.codec.encode({ version: 1, kind: "client-request", payload: binary ?? payload });
    if (encoded.kind !== "ok" && requests.length > 1) {
      const half = Math.ceil(requests.length / 2);
      this.frameSend(to, requests.slice(0, half));
      this.frameSend(to, requests.slice(half));
      return;
    }
    let sent: SendResult;
    try {
      sent = encoded.kind === "ok" ? this.transport.send(to, encoded.body) : "full";
    } catch (error) {
      // A malformed address: the caller's error, raised from its operation, not from this turn.
      for (const request of requests) this.fail(request.requestId, error);
      return;
    }
    if (sent === "queued") {
      this.framesSentCount += 1;
      // In-flight counts serve the hold alone: without it, no lookup per request.
      if (this.holdMs === 0) return;
      let count = 0;
      for (const request of requests) {
        const waiter = this.waiters.get(request.requestId);
        if (waiter === undefined || waiter.sent) continue;
        waiter.sent = true;
        count += 1;
      }
      this.inFlight.set(to, (this.inFlight.get(to) ?? 0) + count);
      return;
    }
    for (const request of requests) this.settle(request.requestId, null);
  }

  /** Resolves the waiter of `requestId`, if any is still waiting. */
  private settle(requestId: number, response: ClientResponse | null): void {
    const waiter = this.waiters.get(requestId);
    if (waiter === undefined) return;
    this.forget(requestId, waiter);
    if (response !== null && this.holdMs > 0) this.answeredSinceFlush.add(waiter.to);
    waiter.resolve(response);
  }

  /** Rejects the waiter of `requestId`, if any is still waiting. */
  private fail(requestId: number, error: unknown): void {
    const waiter = this.waiters.get(requestId);
    if (waiter === undefined) return;
    this.forget(requestId, waiter);
    waiter.reject(error);
  }

  /** Drops a waiter that is settled, and its place in its member's in-flight count. */
  private forget(requestId: number, waiter: Waiter): void {
    this.waiters.delete(requestId);
    if (!waiter.sent) return;
    const count = (this.inFlight.get(waiter.to) ?? 0) - 1;
    if (count > 0) this.inFlight.set(waiter.to, count);
    else this.inFlight.delete(waiter.to);
  }

  /** Resolves with null every waiter past its deadline; stops the timer when none is left. */
  private sweep(): void {
    const nowMs = Date.now();
    for (const [requestId, waiter] of this.waiters) {
      if (waiter.deadlineMs > nowMs) continue;
      this.forget(requestId, waiter);
      waiter.resolve(null);
    }
    if (this.waiters.size === 0) this.sweepStop();
  }

  private sweepStop(): void {
    if (this.sweepTimer === null) return;
    clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** The connection to `peer` closed or failed to open: its requests in flight will not be answered. */
  private peerDown(peer: Address): void {
    for (const [requestId, waiter] of this.waiters) {
      if (waiter.to !== peer) continue;
      this.forget(requestId, waiter);
      waiter.resolve(null);
    }
  }

  private received(frame: Uint8Array): void {
    this.framesReceivedCount += 1;
    const decoded = this.codec.decode(frame);
    if (decoded.kind !== "ok" || decoded.message.kind !== "client-response") return;
    const payload = clientResponsesDecode(decoded.message.payload);
    if (payload === null) return;
    if (payload.type !== "batch") this.settle(payload.requestId, payload);
    else if (Array.isArray(payload.responses))
      for (const response of payload.responses)
        if (typeof response === "object" && response !== null) this.settle(response.requestId, response);
    // Requests held for a member that just answered leave at the end of this turn.
    if (this.outbox.size > 0) this.flushSchedule();
  }
}
