import type { Address } from "../types.js";

/** The outcome of {@link Transport.send}: refused frames were never queued. */
export type SendResult = "queued" | "full" | "closed";

/** Receives one whole inbound frame. The callback must only enqueue; it must not do protocol work. */
export type FrameHandler = (from: Address, frame: Uint8Array) => void;

/**
 * The only way to reach another member. Guarantees (memberlist's split between packets and
 * streams, collapsed into one): `send()` is best effort: a frame may be dropped, delayed,
 * duplicated or reordered with respect to other frames, but it arrives whole or not at all, and it
 * is never altered. Protocols that need reliability (Raft) retransmit; protocols that need order
 * carry sequence numbers. `send` takes `frame` over: the transport may keep it until it is
 * written, so the caller must not write to it afterwards (every caller passes a body the wire
 * codec has just made, so no frame is copied on the way out).
 */
export interface Transport {
  /** This member's own address, as peers reach it. */
  readonly localAddress: Address;
  /** Queues `frame` for `to`; best effort. The caller must not write to `frame` afterwards. */
  send(to: Address, frame: Uint8Array): SendResult;
  /**
   * Optional: hands what is queued for `to` to the network now rather than at the end of this
   * turn, so the peer can start on it while this process goes on with other work. Best effort, like
   * send; a transport that delivers at once anyway leaves it out.
   */
  flush?(to: Address): void;
  /** Installs the single inbound handler (replacing any previous one). */
  onFrame(handler: FrameHandler): void;
  /** Stops sending and receiving; queued frames may be lost. */
  close(): void;
  /**
   * Optional: installs the single handler told when the connection to a peer is lost (it closed,
   * or a dial to the peer failed) and no other connection to it remains. Advisory only: the peer
   * may be back a moment later, so nothing that safety rests on may depend on it. A transport
   * without the notion of a connection leaves it out.
   */
  onPeerDown?(handler: (peer: Address) => void): void;
}
