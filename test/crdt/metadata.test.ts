// Goal: ORSet metadata stays proportional to live elements plus replicas, however many adds and
// removes went by (no tombstones kept forever). Method: 100,000 add/remove cycles spread over 5
// ORSet replicas; every delta is broadcast to the other replicas, delivered in batches whose order
// is shuffled by a seeded Prng (so some removes overtake the adds they observed and the contexts
// grow dot clouds for a while). At the end every delta has arrived: the replicas must be byte-equal,
// their contexts compacted to a version vector of 5 entries, and the encoded state within a
// per-element and per-replica allowance. A control shows one tombstone per removal would be far
// larger. (Replication through the Replicator is covered by replication.test.ts and T3.)

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { type Crdt, encodeCrdt, MUTANTS_NONE, ORSet } from "../../src/protocol/crdt/index.js";
import { replicaId } from "../../src/types.js";

const cyclesCount = 100_000;
const replicaCount = 5;
const elementsCount = 256;
const batchCycles = 100;
/** Bytes allowed per live element: its name (≤ 5 B), one or two dots (id + counter). */
const bytesPerLiveElementMax = 24;
/** Bytes allowed per replica: its id and counter in the version vector. */
const bytesPerReplicaMax = 16;

describe("ORSet metadata", () => {
  it(`stays bounded after ${cyclesCount} add/remove cycles across ${replicaCount} replicas`, () => {
    const ids = Array.from({ length: replicaCount }, (_, i) => replicaId(`r${i}`));
    const states = ids.map(() => new ORSet());
    const prng = Prng.fromSeed(5);
    let inFlight: [number, Crdt][] = [];
    let cloudDotsMax = 0;
    for (let i = 0; i < cyclesCount; i++) {
      const adder = i % replicaCount;
      const remover = (i * 7 + 3) % replicaCount;
      inFlight.push([adder, states[adder]!.add(ids[adder]!, `e${(i * 31) % elementsCount}`)]);
      inFlight.push([remover, states[remover]!.remove(`e${(i * 17 + 5) % elementsCount}`)]);
      if (i % batchCycles === batchCycles - 1 || i === cyclesCount - 1) {
        // Half of the batch is delivered now in a shuffled order, the rest with the next batch.
        prng.shuffle(inFlight);
        const keep = i === cyclesCount - 1 ? 0 : Math.floor(inFlight.length / 2);
        for (const [origin, delta] of inFlight.slice(keep)) {
          for (let target = 0; target < replicaCount; target++) {
            if (target !== origin) states[target]!.join(delta, MUTANTS_NONE);
          }
        }
        inFlight = inFlight.slice(0, keep);
        for (const state of states) cloudDotsMax = Math.max(cloudDotsMax, state.context.cloudDotCount);
      }
    }
    const bytes = encodeCrdt(states[0]!).byteLength;
    const live = states[0]!.size;
    console.log(
      `ORSet after ${cyclesCount} cycles: ${live} live elements, ${bytes} encoded bytes; largest dot cloud on the way ${cloudDotsMax}`,
    );
    expect(cloudDotsMax).toBeGreaterThan(0); // The shuffled delivery really was out of causal order.
    for (const state of states) {
      expect(encodeCrdt(state)).toEqual(encodeCrdt(states[0]!));
      expect(state.context.cloudDotCount).toBe(0);
      expect(state.context.replicaCount).toBe(replicaCount);
    }
    expect(bytes).toBeLessThanOrEqual(live * bytesPerLiveElementMax + replicaCount * bytesPerReplicaMax + 16);
    // Control: one tombstone per removal (two bytes each at the very least) would dwarf the bound.
    expect(bytes * 50).toBeLessThan(cyclesCount * 2);
  });
});
