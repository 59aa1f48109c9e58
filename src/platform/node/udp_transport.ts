// A minimal env Transport over UDP (node:dgram) for SWIM probes, as memberlist uses UDP for its
// packets. Best effort by nature, which is exactly the Transport contract: a datagram arrives
// whole or not at all. Addresses are "host:port"; this binding is meant for 127.0.0.1 (tests and
// single-host clusters). Sends are bounded by the number of datagrams in flight in the kernel.

import { createSocket, type Socket } from "node:dgram";
import type { FrameHandler, SendResult, Transport } from "../../env/transport.js";
import { assert } from "../../lib/assert.js";
import { type Address, address } from "../../types.js";

/** Largest UDP payload over IPv4. */
export const udpDatagramBytesMax = 65_507;

/** Options of {@link UdpTransport.bind}. */
export interface UdpTransportOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Most datagrams handed to the kernel and not yet sent; more are refused ("full"). */
  readonly sendsInFlightMax: number;
}

/** Counters of a UDP transport. */
export interface UdpTransportStats {
  datagramsSent: number;
  datagramsReceived: number;
  sendErrors: number;
  sendsRefused: number;
}

/** Parses "host:port" (the last colon splits); null if malformed. */
export function udpAddressParse(value: Address): { host: string; port: number } | null {
  const colon = value.lastIndexOf(":");
  if (colon <= 0) return null;
  const port = Number(value.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return { host: value.slice(0, colon), port };
}

/** The UDP Transport. Create it with {@link UdpTransport.bind}. */
export class UdpTransport implements Transport {
  readonly stats: UdpTransportStats = {
    datagramsSent: 0,
    datagramsReceived: 0,
    sendErrors: 0,
    sendsRefused: 0,
  };
  private handler: FrameHandler = () => {};
  private sendsInFlight = 0;
  private isClosed = false;

  private constructor(
    private readonly socket: Socket,
    readonly localAddress: Address,
    private readonly options: UdpTransportOptions,
  ) {
    socket.on("message", (message, remote) => {
      this.stats.datagramsReceived += 1;
      // A copy, so that the frame never aliases Node's receive buffer.
      this.handler(address(`${remote.address}:${remote.port}`), new Uint8Array(message));
    });
    // A UDP socket reports ICMP errors and the like here; they are losses, which SWIM tolerates.
    socket.on("error", () => {
      this.stats.sendErrors += 1;
    });
  }

  /** Binds a socket and returns the transport once it listens. */
  static bind(options: UdpTransportOptions): Promise<UdpTransport> {
    assert(options.sendsInFlightMax >= 1, "sendsInFlightMax must be positive");
    const socket = createSocket({ type: "udp4" });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port, options.host, () => {
        socket.off("error", reject);
        const bound = socket.address();
        resolve(new UdpTransport(socket, address(`${bound.address}:${bound.port}`), options));
      });
    });
  }

  /** Queues one datagram to `to`; "full" when too many are in flight or the frame is too large. */
  send(to: Address, frame: Uint8Array): SendResult {
    if (this.isClosed) return "closed";
    const target = udpAddressParse(to);
    if (
      target === null ||
      frame.byteLength > udpDatagramBytesMax ||
      this.sendsInFlight >= this.options.sendsInFlightMax
    ) {
      this.stats.sendsRefused += 1;
      return "full";
    }
    this.sendsInFlight += 1;
    // Buffer.from copies: the caller owns `frame` only until send returns.
    this.socket.send(Buffer.from(frame), target.port, target.host, (error) => {
      this.sendsInFlight -= 1;
      if (error) this.stats.sendErrors += 1;
      else this.stats.datagramsSent += 1;
    });
    return "queued";
  }

  /** Installs the single inbound handler. */
  onFrame(handler: FrameHandler): void {
    this.handler = handler;
  }

  /** Closes the socket; later sends return "closed". */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.close();
  }
}
