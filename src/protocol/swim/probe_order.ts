// SWIM's randomized round-robin (Das et al. §4.3): members are probed in a shuffled order, one
// full pass per round, and the order is reshuffled for the next round. A member that joins
// mid-round goes to a random place in the rest of the round, so it is probed within one round,
// and the worst-case time to first probe a failed member stays bounded (N − 1 probe intervals).

import { assert } from "../../lib/assert.js";
import type { Prng } from "../../lib/prng.js";
import type { NodeId } from "../../types.js";

/** The probe order of one member. */
export class ProbeOrder {
  private order: NodeId[] = [];
  private index = 0;

  /** Creates an empty order that never holds more than `lengthMax` entries. */
  constructor(
    private readonly prng: Prng,
    private readonly lengthMax: number,
  ) {
    assert(lengthMax >= 1, "lengthMax must be positive");
  }

  /**
   * Returns the next member for which `isProbeable` holds, starting a new shuffled round from
   * `members()` when this one is used up; null when no member is probeable.
   */
  next(isProbeable: (member: NodeId) => boolean, members: () => NodeId[]): NodeId | null {
    for (let scanned = 0; scanned <= this.order.length + 1; scanned++) {
      if (this.index >= this.order.length) {
        this.order = this.prng.shuffle(members());
        this.index = 0;
        assert(this.order.length <= this.lengthMax, "probe order over its bound");
        if (this.order.length === 0) return null;
      }
      const member = this.order[this.index]!;
      this.index += 1;
      if (isProbeable(member)) return member;
    }
    return null;
  }

  /** Puts `member` at a random place in the rest of this round (dropped if the order is full). */
  insert(member: NodeId): void {
    if (this.order.length >= this.lengthMax) return; // The next round's reshuffle includes it.
    const at = this.index + this.prng.below(this.order.length - this.index + 1);
    this.order.splice(at, 0, member);
  }
}
