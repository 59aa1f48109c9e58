// The env Transport over TCP (node:net). One connection per peer pair: when two members dial each
// other at once, both keep the connection dialed by the smaller address and close the other, so
// they agree without a round trip. Frames are length-prefixed (transport/framing.ts); a
// connection first runs the handshake (transport/handshake.ts) and carries no application frame
// until it ends. Outbound frames wait in a bounded per-peer queue ("full" is a result); the pump
// stops when socket.write() returns false and resumes on 'drain'. A broken, oversized or
// unauthenticated stream closes that one connection and logs exactly one line. Socket callbacks
// only decode and hand frames to the single handler; they do no protocol work.

import { createServer, type Server, type Socket, connect as socketConnect } from "node:net";
import type { Cancel, Clock } from "../../env/clock.js";
import type { Logger } from "../../env/logger.js";
import type { FrameHandler, SendResult, Transport } from "../../env/transport.js";
import { BadInputError, LimitExceededError } from "../../errors.js";
import { assert } from "../../lib/assert.js";
import { Prng } from "../../lib/prng.js";
import type { Limits } from "../../limits.js";
import type { Address } from "../../types.js";
import { Backoff } from "../../transport/backoff.js";
import {
  describeFrameError,
  FrameDecoder,
  frameHeaderBytes,
  frameHeaderWrite,
} from "../../transport/framing.js";
import {
  Handshake,
  type HandshakeCrypto,
  handshakeFrameBytesMax,
  handshakeNonceBytes,
  type HandshakeRole,
} from "../../transport/handshake.js";
import { SendQueue } from "../../transport/send_queue.js";
import { listenOn } from "./listen.js";
import { nodeHandshakeCrypto, randomNonce } from "./node_crypto.js";

/** Tuning of a {@link TcpTransport}; every field has its unit last. */
export interface TcpTransportConfig {
  /** Most peers with state (queues, connections) at once; a send to one more returns "full". */
  readonly peersMax: number;
  /** Most open connections, handshaking ones included; further inbound ones are refused. */
  readonly connectionsMax: number;
  /** Most bytes handed to one socket.write() call. */
  readonly writeBytesMax: number;
  /** Time allowed from dial (or accept) to the end of the handshake. */
  readonly handshakeTimeoutMs: number;
  /** First reconnection delay. */
  readonly reconnectDelayMsMin: number;
  /** Largest reconnection delay. */
  readonly reconnectDelayMsMax: number;
  /** Idle time before TCP keepalive probes start, so a vanished peer's connection is noticed. */
  readonly keepAliveDelayMs: number;
  /** Most bytes of partial inbound frames held across all connections. */
  readonly inboundBytesBufferedMax: number;
}

/** Defaults for a LAN cluster. */
export function tcpTransportConfigDefault(): TcpTransportConfig {
  return {
    peersMax: 1024,
    connectionsMax: 2048,
    writeBytesMax: 256 * 1024,
    handshakeTimeoutMs: 5_000,
    reconnectDelayMsMin: 50,
    reconnectDelayMsMax: 5_000,
    keepAliveDelayMs: 10_000,
    inboundBytesBufferedMax: 256 * 1024 * 1024,
  };
}

/** What a {@link TcpTransport} needs. */
export interface TcpTransportOptions {
  /** Host to listen on (127.0.0.1 in tests). */
  readonly host: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** The cluster's name; peers naming another cluster are refused. */
  readonly clusterName: string;
  /** The shared secret, or null for a cluster without one. */
  readonly secret: Uint8Array | null;
  /** Frame size and per-peer queue limits (limits.ts). */
  readonly limits: Pick<Limits, "frameBytesMax" | "sendQueueFramesMax" | "sendQueueBytesMax">;
  /** Tuning; start from {@link tcpTransportConfigDefault}. */
  readonly config: TcpTransportConfig;
  /** Runs the handshake timeouts and reconnection delays. */
  readonly clock: Clock;
  /** Receives one line per rejected connection (warn) and connection changes (debug). */
  readonly logger: Logger;
  /** Seeds the reconnection jitter. */
  readonly seed: number;
  /** Defaults to node:crypto; tests may inject their own. */
  readonly crypto?: HandshakeCrypto;
}

/** Counters for metrics and tests. */
export interface TcpTransportStats {
  framesSent: number;
  framesReceived: number;
  framesRefused: number;
  framesDropped: number;
  connectionsAccepted: number;
  connectionsDialed: number;
  connectionsRejected: number;
}

type CloseLevel = "quiet" | "debug" | "warn";

class Connection {
  readonly decoder: FrameDecoder;
  readonly handshake: Handshake;
  peerAddress: Address | null;
  isClosed = false;
  isWritable = true;
  /** Bytes of partial frames this connection holds, as last counted into the transport's total. */
  bufferedBytes = 0;
  handshakeCancel: Cancel | null = null;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly role: HandshakeRole,
    peerAddress: Address | null,
    handshake: Handshake,
  ) {
    this.peerAddress = peerAddress;
    this.handshake = handshake;
    this.decoder = new FrameDecoder(frameHeaderBytes + handshakeFrameBytesMax);
  }

  describe(): string {
    return `c${this.id} ${this.role} ${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? "?"}`;
  }
}

class Peer {
  connection: Connection | null = null;
  dialing: Connection | null = null;
  retryCancel: Cancel | null = null;
  isPumpScheduled = false;

  constructor(
    readonly address: Address,
    readonly queue: SendQueue,
    readonly backoff: Backoff,
  ) {}
}

/** The production Transport: TCP between members, with handshake, backpressure and reconnection. */
export class TcpTransport implements Transport {
  private readonly peers = new Map<Address, Peer>();
  private readonly connections = new Set<Connection>();
  /** Duplicates ended gracefully, with the timer that destroys them if the peer never closes. */
  private readonly ending = new Map<Socket, Cancel>();
  private readonly crypto: HandshakeCrypto;
  private readonly prng: Prng;
  private handler: FrameHandler = () => {};
  private peerDownHandler: ((peer: Address) => void) | null = null;
  private connectionSequence = 0;
  private inboundBytesBuffered = 0;
  private isClosed = false;
  private readonly counters: TcpTransportStats = {
    framesSent: 0,
    framesReceived: 0,
    framesRefused: 0,
    framesDropped: 0,
    connectionsAccepted: 0,
    connectionsDialed: 0,
    connectionsRejected: 0,
  };

  private constructor(
    private readonly options: TcpTransportOptions,
    private readonly server: Server,
    readonly localAddress: Address,
  ) {
    assert(options.limits.frameBytesMax > frameHeaderBytes + handshakeFrameBytesMax);
    assert(options.config.peersMax > 0 && options.config.connectionsMax > 0);
    this.crypto = options.crypto ?? nodeHandshakeCrypto;
    this.prng = Prng.derive(options.seed, "tcp-transport");
    server.on("connection", (socket) => this.accepted(socket));
  }

  /** Listens on `options.host:options.port` and resolves once the port is bound. */
  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const server = createServer({ noDelay: true });
    const port = await listenOn(server, options.port, options.host);
    const localAddress = addressFormat(options.host, port);
    server.on("error", (error) => options.logger.error("transport.server_error", { error: String(error) }));
    return new TcpTransport(options, server, localAddress);
  }

  /** Counters since start; the caller must not mutate them. */
  stats(): Readonly<TcpTransportStats> {
    return this.counters;
  }

  /** Open connections, handshaking ones included. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Whether an established connection to `peer` is open. */
  isConnected(peer: Address): boolean {
    const connection = this.peers.get(peer)?.connection;
    return connection !== undefined && connection !== null && !connection.isClosed;
  }

  /** Installs the inbound handler. */
  onFrame(handler: FrameHandler): void {
    this.handler = handler;
  }

  /**
   * Installs an optional handler told when the connection to a peer closes, or a dial to it fails,
   * and no other established connection to that peer remains: frames sent to it and not yet
   * answered are likely lost. Not called for duplicates ended in favour of another connection, nor
   * after close(). Reconnection proceeds as without a handler.
   */
  onPeerDown(handler: (peer: Address) => void): void {
    this.peerDownHandler = handler;
  }

  /**
   * Queues `frame` for `to`, without a copy (the caller hands it over: see Transport). Returns
   * "full" when that peer's queue (or the peer table) is at its limit, "closed" after close().
   * Throws LimitExceededError for a frame above frameBytesMax (no peer would accept it) and
   * BadInputError for an address that is not `host:port`.
   */
  send(to: Address, frame: Uint8Array): SendResult {
    if (this.isClosed) return "closed";
    assert(to !== this.localAddress, "a member does not send to itself");
    assert(frame.byteLength > 0, "a frame carries at least one byte");
    // Addresses may come from gossip: a malformed one is bad input, not a reason to crash.
    if (!this.peers.has(to) && addressParse(to) === null)
      throw new BadInputError(`malformed address "${to}"`);
    const frameBytes = frameHeaderBytes + frame.byteLength;
    if (frameBytes > this.options.limits.frameBytesMax) {
      throw new LimitExceededError("frameBytesMax", frameBytes, this.options.limits.frameBytesMax);
    }
    const peer = this.peerFor(to);
    if (peer === null || peer.queue.enqueue(frame) === "full") {
      this.counters.framesRefused += 1;
      return "full";
    }
    if (peer.connection !== null) this.pumpSchedule(peer);
    else this.dialEnsure(peer);
    return "queued";
  }

  /**
   * Writes the frames queued for `to` now, in one write, instead of in the microtask that ends this
   * turn (the sends made later in the turn leave then, as usual). Nothing to do without a
   * connection: the dial's own pump sends the queue once it opens.
   */
  flush(to: Address): void {
    const peer = this.peers.get(to);
    if (peer === undefined || peer.connection === null || peer.queue.frameCount === 0) return;
    this.pump(peer);
  }

  /** Stops at once: closes every connection and the listener; queued frames are lost. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const connection of [...this.connections])
      this.connectionClose(connection, "quiet", "transport closed");
    for (const peer of this.peers.values()) {
      peer.retryCancel?.();
      peer.retryCancel = null;
      peer.queue.clear();
    }
    this.peers.clear();
    this.server.close();
  }

  /** Closes, then resolves once the listening port is released. */
  async closeAndWait(): Promise<void> {
    const released = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.once("close", () => resolve());
    });
    this.close();
    await released;
  }

  private peerFor(address: Address): Peer | null {
    const existing = this.peers.get(address);
    if (existing !== undefined) return existing;
    if (this.peers.size >= this.options.config.peersMax && !this.peerEvictIdle()) return null;
    const { limits, config } = this.options;
    const queue = new SendQueue({ framesMax: limits.sendQueueFramesMax, bytesMax: limits.sendQueueBytesMax });
    const backoff = new Backoff(
      { delayMsMin: config.reconnectDelayMsMin, delayMsMax: config.reconnectDelayMsMax },
      this.prng.fork(),
    );
    const peer = new Peer(address, queue, backoff);
    this.peers.set(address, peer);
    return peer;
  }

  /** Forgets one peer with nothing in flight (no connection, dial, retry or queued frame). */
  private peerEvictIdle(): boolean {
    for (const [address, peer] of this.peers) {
      const isIdle = peer.connection === null && peer.dialing === null && peer.retryCancel === null;
      if (isIdle && peer.queue.frameCount === 0) {
        this.peers.delete(address);
        return true;
      }
    }
    return false;
  }

  private dialEnsure(peer: Peer): void {
    if (this.isClosed || peer.connection !== null || peer.dialing !== null || peer.retryCancel !== null)
      return;
    if (this.connections.size >= this.options.config.connectionsMax) {
      this.counters.framesDropped += peer.queue.clear();
      return;
    }
    const parsed = addressParse(peer.address);
    assert(parsed !== null, "send() admits only well-formed addresses");
    const { host, port } = parsed;
    const socket = socketConnect({ host, port, noDelay: true });
    const connection = this.connectionCreate(socket, "dialer", peer.address);
    peer.dialing = connection;
    this.counters.connectionsDialed += 1;
    socket.once("connect", () => {
      if (!connection.isClosed) this.framesWrite(connection, connection.handshake.start());
    });
  }

  private accepted(socket: Socket): void {
    if (this.isClosed || this.connections.size >= this.options.config.connectionsMax) {
      this.counters.connectionsRejected += 1;
      socket.destroy();
      return;
    }
    this.counters.connectionsAccepted += 1;
    const connection = this.connectionCreate(socket, "acceptor", null);
    this.framesWrite(connection, connection.handshake.start());
  }

  private connectionCreate(socket: Socket, role: HandshakeRole, peerAddress: Address | null): Connection {
    const handshake = new Handshake(
      {
        clusterName: this.options.clusterName,
        localAddress: this.localAddress,
        secret: this.options.secret,
        crypto: this.crypto,
      },
      role,
      randomNonce(handshakeNonceBytes),
    );
    this.connectionSequence += 1;
    const connection = new Connection(this.connectionSequence, socket, role, peerAddress, handshake);
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.options.config.keepAliveDelayMs);
    connection.handshakeCancel = this.options.clock.after(this.options.config.handshakeTimeoutMs, () => {
      connection.handshakeCancel = null;
      const level: CloseLevel = role === "acceptor" ? "warn" : "debug";
      this.connectionClose(connection, level, "handshake timed out");
    });
    socket.on("data", (chunk: Buffer) => this.received(connection, chunk));
    socket.on("drain", () => this.drained(connection));
    socket.on("error", (error) =>
      this.connectionClose(connection, "debug", `socket error: ${error.message}`),
    );
    socket.on("close", () => this.connectionClose(connection, "debug", "closed by peer"));
    return connection;
  }

  private received(connection: Connection, chunk: Buffer): void {
    // A duplicate that was ended gracefully still delivers what its peer wrote before the end.
    if (connection.isClosed && !connection.handshake.isEstablished) return;
    const decoder = connection.decoder;
    decoder.append(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    // One frame at a time: the handshake's last frame raises the decoder's limit, and the frames
    // behind it in the same chunk (a peer sends at once after its handshake ends) are application
    // frames, checked against the raised limit.
    for (let next = decoder.next(); next.kind !== "none"; next = decoder.next()) {
      if (next.kind === "error") {
        this.connectionClose(connection, "warn", describeFrameError(next.error));
        return;
      }
      if (connection.handshake.isEstablished) {
        assert(connection.peerAddress !== null);
        this.counters.framesReceived += 1;
        this.handler(connection.peerAddress, next.frame);
      } else {
        if (connection.isClosed) return;
        this.handshakeStep(connection, next.frame);
      }
    }
    // A connection closed meanwhile released its count (connectionClose); one ended gracefully keeps
    // it until its socket closes.
    if (connection.isClosed) return;
    this.inboundBytesBuffered += decoder.bufferedBytes - connection.bufferedBytes;
    connection.bufferedBytes = decoder.bufferedBytes;
    if (this.inboundBytesBuffered > this.options.config.inboundBytesBufferedMax) {
      // Partial frames on every connection together must stay bounded, or many slow senders of
      // large frames could exhaust memory; the connection that crossed the budget goes.
      this.connectionClose(connection, "warn", "inbound buffer budget exceeded");
    }
  }

  private handshakeStep(connection: Connection, frame: Uint8Array): void {
    const step = connection.handshake.step(frame);
    switch (step.kind) {
      case "continue":
        this.framesWrite(connection, step.frames);
        return;
      case "failed":
        this.connectionClose(connection, "warn", `handshake failed: ${step.failure}`);
        return;
      case "established":
        this.framesWrite(connection, step.frames);
        this.established(connection, step.peerAddress);
        return;
    }
  }

  private established(connection: Connection, claimedAddress: Address): void {
    connection.handshakeCancel?.();
    connection.handshakeCancel = null;
    connection.decoder.limitSet(this.options.limits.frameBytesMax);
    // A dialer knows whom it dialed; an acceptor learns the peer's address from its hello.
    const peerAddress = connection.role === "dialer" ? connection.peerAddress : claimedAddress;
    assert(peerAddress !== null);
    if (peerAddress === this.localAddress) {
      this.connectionClose(connection, "warn", "peer claims our own address");
      return;
    }
    connection.peerAddress = peerAddress;
    const peer = this.peerFor(peerAddress);
    if (peer === null) {
      this.connectionClose(connection, "warn", "too many peers");
      return;
    }
    if (peer.dialing === connection) peer.dialing = null;
    const existing = peer.connection;
    if (existing !== null && !existing.isClosed && !this.replaces(connection, existing, peerAddress)) {
      this.connectionEnd(connection);
      return;
    }
    if (existing !== null) this.connectionEnd(existing);
    peer.connection = connection;
    peer.backoff.success();
    peer.retryCancel?.();
    peer.retryCancel = null;
    this.options.logger.debug("transport.connected", {
      peer: peerAddress,
      connection: connection.describe(),
    });
    this.pumpSchedule(peer);
  }

  /**
   * Whether `fresh` should replace `existing` to the same peer. Both ends keep the connection
   * dialed by the smaller address; between two dialed by the same end, the newer one wins (the
   * older is a leftover the dialer has already given up on).
   */
  private replaces(fresh: Connection, existing: Connection, peerAddress: Address): boolean {
    const preferredDialer = this.localAddress < peerAddress ? this.localAddress : peerAddress;
    const dialerOf = (connection: Connection) =>
      connection.role === "dialer" ? this.localAddress : peerAddress;
    const freshPreferred = dialerOf(fresh) === preferredDialer;
    const existingPreferred = dialerOf(existing) === preferredDialer;
    if (freshPreferred !== existingPreferred) return freshPreferred;
    return true;
  }

  /** Ends a duplicate connection gracefully, so frames already written on it still arrive. */
  private connectionEnd(connection: Connection): void {
    this.connectionDetach(connection);
    connection.isClosed = true;
    connection.handshakeCancel?.();
    connection.handshakeCancel = null;
    this.connections.delete(connection);
    connection.socket.end();
    // A peer that never answers the end must not hold the socket forever.
    const socket = connection.socket;
    const cancel = this.options.clock.after(this.options.config.handshakeTimeoutMs, () => socket.destroy());
    this.ending.set(socket, cancel);
    socket.once("close", () => {
      this.ending.get(socket)?.();
      this.ending.delete(socket);
    });
  }

  private connectionDetach(connection: Connection): Peer | null {
    if (connection.peerAddress === null) return null;
    const peer = this.peers.get(connection.peerAddress);
    if (peer === undefined) return null;
    let wasLive = false;
    if (peer.connection === connection) {
      peer.connection = null;
      wasLive = true;
    }
    if (peer.dialing === connection) {
      peer.dialing = null;
      wasLive = true;
    }
    return wasLive ? peer : null;
  }

  /** Closes one connection, logging at most one line for it; a lost peer is redialled with backoff. */
  private connectionClose(connection: Connection, level: CloseLevel, reason: string): void {
    this.inboundRelease(connection);
    if (connection.isClosed) return;
    connection.isClosed = true;
    connection.handshakeCancel?.();
    connection.handshakeCancel = null;
    this.connections.delete(connection);
    connection.socket.destroy();
    const peer = this.connectionDetach(connection);
    const fields = { peer: connection.peerAddress, connection: connection.describe(), reason };
    if (level === "warn") this.options.logger.warn("transport.connection_closed", fields);
    if (level === "debug") this.options.logger.debug("transport.connection_closed", fields);
    if (peer === null || this.isClosed || peer.connection !== null) return;
    if (!connection.handshake.isEstablished) {
      // The dial failed: frames for an unreachable peer are stale by the time it returns.
      this.counters.framesDropped += peer.queue.clear();
    }
    this.retrySchedule(peer);
    this.peerDownHandler?.(peer.address);
  }

  private inboundRelease(connection: Connection): void {
    this.inboundBytesBuffered -= connection.bufferedBytes;
    connection.bufferedBytes = 0;
    assert(this.inboundBytesBuffered >= 0);
  }

  private retrySchedule(peer: Peer): void {
    if (peer.retryCancel !== null) return;
    const delayMs = peer.backoff.failure();
    peer.retryCancel = this.options.clock.after(delayMs, () => {
      peer.retryCancel = null;
      if (peer.queue.frameCount > 0) this.dialEnsure(peer);
    });
  }

  private drained(connection: Connection): void {
    connection.isWritable = true;
    if (connection.isClosed || connection.peerAddress === null) return;
    const peer = this.peers.get(connection.peerAddress);
    if (peer !== undefined && peer.connection === connection) this.pump(peer);
  }

  private pumpSchedule(peer: Peer): void {
    if (peer.isPumpScheduled) return;
    peer.isPumpScheduled = true;
    // Sends made in the same turn of the event loop leave in one write.
    queueMicrotask(() => {
      peer.isPumpScheduled = false;
      this.pump(peer);
    });
  }

  /** Moves queued frames into the socket until the kernel buffer pushes back. */
  private pump(peer: Peer): void {
    const connection = peer.connection;
    if (connection === null || connection.isClosed) return;
    while (connection.isWritable) {
      const batch = peer.queue.dequeue(this.options.config.writeBytesMax);
      if (batch.length === 0) return;
      // write() returns false once Node's buffer is over its high-water mark: stop until 'drain'.
      connection.isWritable = connection.socket.write(framesConcat(batch));
      this.counters.framesSent += batch.length;
    }
  }

  private framesWrite(connection: Connection, frames: readonly Uint8Array[]): void {
    if (frames.length === 0 || connection.isClosed) return;
    connection.socket.write(framesConcat(frames));
  }
}

function framesConcat(payloads: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const payload of payloads) total += frameHeaderBytes + payload.byteLength;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const payload of payloads) {
    frameHeaderWrite(out, offset, payload.byteLength);
    out.set(payload, offset + frameHeaderBytes);
    offset += frameHeaderBytes + payload.byteLength;
  }
  assert(offset === total);
  return out;
}

/** Formats `host:port`, bracketing IPv6 hosts. */
export function addressFormat(host: string, port: number): Address {
  assert(Number.isInteger(port) && port > 0 && port < 65536, `bad port ${port}`);
  return (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`) as Address;
}

/** Splits `host:port` (or `[v6]:port`); null when the address is malformed. */
export function addressParse(address: Address): { host: string; port: number } | null {
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return null;
  let host = address.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535 || host.length === 0) return null;
  return { host, port };
}
