// Goal: Merkle-digest anti-entropy ships roughly only what differs. Method: two replicas hold the
// same 100,000 LWW registers, then each overwrites a different 500 keys (1 % of the keys differ).
// One digest exchange runs over the in-memory harness (delta gossip off). Both replicas must end
// with equal trees and the newer write on every changed key, and the bytes the exchange sent must
// stay within a small multiple of the differing states' bytes and far below the full state.
// A second case checks that equal replicas exchange one digest and nothing else.

import { describe, expect, it } from "vitest";
import { encodeCrdt, LWWRegister } from "../../src/protocol/crdt/index.js";
import type { Replicator } from "../../src/protocol/replication/index.js";
import { replicaId } from "../../src/types.js";
import { TestCluster, testConfig } from "./replication_harness.js";

const keysCount = 100_000;
const changedPerSide = 500;

function populate(replicas: readonly Replicator[]): number {
  const writer = replicaId("seed");
  let fullStateBytes = 0;
  for (let i = 0; i < keysCount; i++) {
    const state = new LWWRegister().setDelta(writer, `value-${i}`, { wallMs: 1_000, logical: 0 });
    fullStateBytes += encodeCrdt(state).byteLength + `key-${i}`.length;
    for (const replica of replicas) replica.store.join(`key-${i}`, state);
  }
  return fullStateBytes;
}

function overwrite(replica: Replicator, keyIndices: readonly number[]): number {
  let bytes = 0;
  for (const i of keyIndices) {
    const state = new LWWRegister().setDelta(replica.self, `new-${i}`, { wallMs: 2_000, logical: 0 });
    bytes += encodeCrdt(state).byteLength + `key-${i}`.length;
    replica.store.join(`key-${i}`, state);
  }
  return bytes;
}

function exchange(cluster: TestCluster): number {
  const [a] = cluster.replicas;
  a!.tick(); // antiEntropyIntervalTicks = 1: opens one exchange with the only peer.
  cluster.pool.push(...a!.takeOutbox());
  let messages = 0;
  while (cluster.pool.length > 0 && messages < 100) {
    cluster.deliver(0);
    messages += 1;
  }
  return messages;
}

const config = testConfig({
  gossipIntervalTicks: 1_000_000,
  antiEntropyIntervalTicks: 1,
  merkle: { fanout: 16, depth: 4 },
});

describe("Merkle anti-entropy", () => {
  it(`reconciles 1 % of ${keysCount} keys by shipping roughly only what differs`, () => {
    const cluster = new TestCluster(2, config);
    const [a, b] = cluster.replicas as [Replicator, Replicator];
    const fullStateBytes = populate([a, b]);
    const stride = Math.floor(keysCount / (2 * changedPerSide));
    const onA = Array.from({ length: changedPerSide }, (_, i) => i * 2 * stride);
    const onB = Array.from({ length: changedPerSide }, (_, i) => i * 2 * stride + stride);
    const differingBytes = 2 * (overwrite(a, onA) + overwrite(b, onB)); // Each side's new state, both ways.
    const messages = exchange(cluster);
    a.store.refresh();
    b.store.refresh();
    expect(a.store.tree.root).toBe(b.store.tree.root);
    for (const i of [...onA, ...onB]) {
      const value = (a.store.get(`key-${i}`) as LWWRegister).value();
      expect(value).toBe(`new-${i}`);
      expect((b.store.get(`key-${i}`) as LWWRegister).value()).toBe(value);
    }
    const sentBytes = a.stats.antiEntropyBytesSent + b.stats.antiEntropyBytesSent;
    console.log(
      `anti-entropy: ${sentBytes} bytes in ${messages} messages to reconcile ${2 * changedPerSide} of ${keysCount} keys; ` +
        `differing states ${differingBytes} B, full state ${fullStateBytes} B`,
    );
    expect(messages).toBeLessThanOrEqual(8); // depth 4: four digest hops, then states and the reply.
    expect(sentBytes).toBeLessThanOrEqual(6 * differingBytes);
    expect(sentBytes * 10).toBeLessThan(fullStateBytes);
  });

  it("equal replicas exchange one digest and nothing else", () => {
    const cluster = new TestCluster(2, config);
    const [a, b] = cluster.replicas as [Replicator, Replicator];
    for (let i = 0; i < 1_000; i++) {
      const state = new LWWRegister().setDelta(replicaId("seed"), `v${i}`, { wallMs: 1_000, logical: 0 });
      a.store.join(`key-${i}`, state);
      b.store.join(`key-${i}`, state);
    }
    expect(exchange(cluster)).toBe(1);
    expect(b.stats.messagesSent).toBe(0);
  });
});
