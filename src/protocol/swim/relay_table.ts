// The indirect probes this member runs for others (SWIM's ping-req). Each relayed ping has its own
// sequence number; the entry remembers whom to forward the ack to, and when to give up and nack
// (Lifeguard). The table is bounded: a ping-req beyond `capacity` is refused.

import { assert } from "../../lib/assert.js";
import type { Address } from "../../types.js";

/** One relayed probe. */
export interface Relay {
  readonly requester: Address;
  readonly requesterSequence: number;
  readonly deadlineTick: number;
  readonly wantsNack: boolean;
}

/** Relayed probes in flight, by this member's sequence number. */
export class RelayTable {
  private readonly relays = new Map<number, Relay>();

  /** Creates a table of at most `capacity` relays. */
  constructor(readonly capacity: number) {
    assert(capacity >= 1, "relay capacity must be positive");
  }

  /** Number of relays in flight. */
  get size(): number {
    return this.relays.size;
  }

  /** Records a relay under `sequence`; returns false (and records nothing) when full. */
  add(sequence: number, relay: Relay): boolean {
    assert(!this.relays.has(sequence), "relay sequence reused");
    if (this.relays.size >= this.capacity) return false;
    this.relays.set(sequence, relay);
    return true;
  }

  /** Removes and returns the relay an ack with `sequence` answers, if any. */
  takeAnswered(sequence: number): Relay | undefined {
    const relay = this.relays.get(sequence);
    if (relay !== undefined) this.relays.delete(sequence);
    return relay;
  }

  /** Removes and returns every relay whose deadline is at or before `nowTicks`, oldest first. */
  takeExpired(nowTicks: number): Relay[] {
    const expired: Relay[] = [];
    for (const [sequence, relay] of this.relays) {
      if (nowTicks < relay.deadlineTick) continue;
      this.relays.delete(sequence);
      expired.push(relay);
    }
    return expired;
  }
}
