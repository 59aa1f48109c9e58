// The client's wire: one TcpTransport (the members' framing and cluster handshake, so a client is
// admitted exactly as a peer is), one WireCodec, and the table of requests waiting for an answer.
// `request` sends one `client-request` frame and resolves with the member's `client-response`, or
// with null when none came within `waitMs` (the frame was dropped, the member is stuck) or as soon as
// the connection to that member closes or cannot be opened (the member died: its answer will not
// come, so waiting out `waitMs` would only delay the caller's retry elsewhere). The caller decides
// whether to retry. Responses are matched by requestId; a late answer to a request nobody waits for
// any more is dropped.

import { randomInt } from "node:crypto";
import { ClosedError } from "../errors.js";
import { limitsDefault } from "../limits.js";
import { NodeClock, TcpTransport, tcpTransportConfigDefault } from "../platform/node/index.js";
import { silentLogger } from "../env/logger.js";
import type { ClientRequest, ClientResponse } from "../protocol/client/messages.js";
import { WireCodec } from "../protocol/wire/index.js";
import type { Address } from "../types.js";

/** How a client reaches the cluster. */
export interface ChannelOptions {
  readonly clusterName: string;
  readonly secret: Uint8Array | null;
  /** Largest frame sent or accepted. */
  readonly frameBytesMax: number;
}

interface Waiter {
  readonly to: Address;
  readonly resolve: (response: ClientResponse | null) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Requests in flight to members over one transport. */
export class Channel {
  private readonly codec: WireCodec;
  private readonly waiters = new Map<number, Waiter>();
  private requestSequence = 0;
  private isClosed = false;

  private constructor(
    private readonly transport: TcpTransport,
    frameBytesMax: number,
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
    return new Channel(transport, options.frameBytesMax);
  }

  /** The next request id (unique on this channel). */
  nextRequestId(): number {
    this.requestSequence += 1;
    return this.requestSequence;
  }

  /**
   * Sends `request` to `to`; resolves with the answer, or null after `waitMs` without one or once
   * the connection to `to` is lost. Never rejects except when the channel is closed.
   */
  request(to: Address, request: ClientRequest, waitMs: number): Promise<ClientResponse | null> {
    if (this.isClosed) return Promise.reject(new ClosedError("client"));
    const encoded = this.codec.encode({ version: 1, kind: "client-request", payload: request });
    if (encoded.kind !== "ok") return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(request.requestId);
        resolve(null);
      }, waitMs);
      this.waiters.set(request.requestId, { to, resolve, timer });
      const sent = this.transport.send(to, encoded.body);
      if (sent !== "queued") {
        clearTimeout(timer);
        this.waiters.delete(request.requestId);
        resolve(null);
      }
    });
  }

  /** Closes the transport; requests in flight resolve with null. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const waiter of this.waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
    this.waiters.clear();
    await this.transport.closeAndWait();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The connection to `peer` closed or failed to open: its requests in flight will not be answered. */
  private peerDown(peer: Address): void {
    for (const [requestId, waiter] of this.waiters) {
      if (waiter.to !== peer) continue;
      this.waiters.delete(requestId);
      clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
  }

  private received(frame: Uint8Array): void {
    const decoded = this.codec.decode(frame);
    if (decoded.kind !== "ok" || decoded.message.kind !== "client-response") return;
    const response = decoded.message.payload as unknown as ClientResponse;
    if (typeof response !== "object" || response === null) return;
    const waiter = this.waiters.get(response.requestId);
    if (waiter === undefined) return;
    this.waiters.delete(response.requestId);
    clearTimeout(waiter.timer);
    waiter.resolve(response);
  }
}
