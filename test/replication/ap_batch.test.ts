// Goal: AP replication traffic does not multiply with the partition count: every tick, all
// partitions' messages (deltas, acks, nacks, digests, leaf states) to one peer leave in one
// `crdt-batch` frame, the receiver steps each entry, and the replicas converge; frames of the
// previous version (`crdt-delta`, one message each) are still stepped. Method: three ApServices on
// fake hosts that record every frame, carried through the real wire codec (encode, then decode at
// the receiver) by hand, 16 partitions replicated on all three, driven tick by tick; counters are
// read back from every replica. A batch with malformed entries steps its valid ones and reports
// how many were not.

import { describe, expect, it } from "vitest";
import type { Operation } from "../../src/protocol/client/index.js";
import { type ReplicationMessage, replicationBatchParse } from "../../src/protocol/replication/index.js";
import { WireCodec, type WireMessage } from "../../src/protocol/wire/index.js";
import type { ApService } from "../../src/runtime/ap_service.js";
import type { NodeId, PartitionId } from "../../src/types.js";
import { apTrio, type Sent, trioNames } from "../support/ap_trio.js";

const codec = new WireCodec({ frameBytesMax: 1 << 20 });
const partitions = 16;
const names = trioNames;

/** Three ApServices whose frames are queued in `wire` until the test delivers them. */
function trio(): { services: Map<NodeId, ApService>; wire: Sent[] } {
  return apTrio(codec, partitions, 11);
}

/** Delivers every queued frame through the codec; returns the decoded messages delivered. */
function deliver(services: Map<NodeId, ApService>, wire: Sent[]): WireMessage[] {
  const delivered: WireMessage[] = [];
  for (const sent of wire.splice(0)) {
    const decoded = codec.decode(sent.body);
    if (decoded.kind !== "ok") throw new Error(`undecodable frame: ${decoded.detail}`);
    delivered.push(decoded.message);
    expect(decoded.message.kind).toBe("crdt-batch");
    expect(services.get(sent.to)!.stepBatch(decoded.message.payload)).toBe(0);
  }
  return delivered;
}

const add = (name: string, delta: number): Operation => ({ structure: "counter", op: "add", name, delta });
const get = (name: string): Operation => ({ structure: "counter", op: "get", name });

function valueAt(service: ApService, partition: number, name: string): unknown {
  const result = service.operation(partition as PartitionId, get(name), true);
  return result.kind === "ok" ? result.result : result.message;
}

describe("crdt-batch: one replication frame per peer per tick", () => {
  it("sends every partition's deltas and acks to a peer in one frame per tick, and converges", () => {
    const { services, wire } = trio();
    const n1 = services.get(names[0])!;
    for (let tick = 1; tick <= 12; tick++) {
      // Writes at n1 (and, every third tick, n2) in every partition: 16 deltas per peer per tick.
      for (let p = 0; p < partitions; p++) {
        expect(n1.operation(p as PartitionId, add(`c${p}`, 1), false).kind).toBe("ok");
        if (tick % 3 === 0) services.get(names[1])!.operation(p as PartitionId, add(`c${p}`, 10), false);
      }
      // Writes and steps queue messages; nothing leaves before the tick.
      expect(wire).toHaveLength(0);
      for (const service of services.values()) service.tick();
      const pairs = wire.map((sent) => `${sent.from}->${sent.to}`);
      expect(new Set(pairs).size, `tick ${tick}: ${pairs.join(" ")}`).toBe(pairs.length);
      const fromN1 = wire.filter((sent) => sent.from === names[0]);
      expect(fromN1).toHaveLength(2);
      const n2ToN1 = wire.findIndex((sent) => sent.from === names[1] && sent.to === names[0]);
      const messages = deliver(services, wire);
      const n1Batch = messages[0]!.payload as unknown as [number, ReplicationMessage][];
      // All 16 partitions' deltas in the one frame.
      const deltaPartitions = n1Batch.filter(([, m]) => m.type === "delta").map(([p]) => p);
      expect(new Set(deltaPartitions).size).toBe(partitions);
      if (tick > 1) {
        // n2's one frame to n1 acks all 16 partitions (and carries n2's own deltas when it wrote).
        const n2Batch = messages[n2ToN1]!.payload as unknown as [number, ReplicationMessage][];
        const acked = n2Batch.filter(([, m]) => m.type === "ack").map(([p]) => p);
        expect(new Set(acked).size).toBe(partitions);
        const n2Deltas = n2Batch.filter(([, m]) => m.type === "delta").length;
        expect(
          n2Deltas,
          `tick ${tick}: ${JSON.stringify(n2Batch.filter(([, m]) => m.type === "delta").slice(0, 2))}`,
        ).toBe(tick % 3 === 0 ? partitions : 0);
      }
      // Steps queued the replies: they too wait for the tick.
      expect(wire).toHaveLength(0);
    }
    for (let tick = 0; tick < 4; tick++) {
      for (const service of services.values()) service.tick();
      deliver(services, wire);
    }
    for (const service of services.values()) {
      for (let p = 0; p < partitions; p++) expect(valueAt(service, p, `c${p}`)).toBe(12 + 40);
    }
  });

  it("still steps a crdt-delta frame of the previous version, and answers in a batch", () => {
    const { services, wire } = trio();
    const [n1, n2] = [services.get(names[0])!, services.get(names[1])!];
    n1.operation(5 as PartitionId, add("c", 7), false);
    n1.tick();
    const batch = replicationBatchParse(decodedPayload(wire.find((s) => s.to === names[1])!));
    wire.length = 0;
    const [partition, delta] = batch.entries.find(([, m]) => m.to === n2.replicaId)!;
    // The old frame: one message, the partition as the envelope's group (partition + 1).
    expect(n2.step((partition + 1) as never, delta)).toBe(true);
    expect(valueAt(n2, 5, "c")).toBe(7);
    expect(n2.step((partition + 1) as never, { ...delta, entries: "x" })).toBe(false);
    n2.tick();
    const reply = wire.find((sent) => sent.to === names[0])!;
    const entries = replicationBatchParse(decodedPayload(reply)).entries;
    expect(entries.some(([p, m]) => p === 5 && m.type === "ack" && m.to === n1.replicaId)).toBe(true);
  });

  it("steps the valid entries of a batch with malformed ones and counts the malformed", () => {
    const { services, wire } = trio();
    const [n1, n2] = [services.get(names[0])!, services.get(names[1])!];
    n1.operation(3 as PartitionId, add("c", 4), false);
    n1.tick();
    const sent = wire.find((s) => s.to === names[1])!;
    const good = decodedPayload(sent) as unknown[];
    const payload = [["x", good[0]], ...good, [3], [3, { type: "delta" }], null, [-1, good[0]]];
    expect(n2.stepBatch(payload)).toBe(5);
    expect(valueAt(n2, 3, "c")).toBe(4);
    expect(n2.stepBatch({ not: "a batch" })).toBe(1);
  });
});

function decodedPayload(sent: Sent): unknown {
  const decoded = codec.decode(sent.body);
  if (decoded.kind !== "ok") throw new Error("undecodable frame");
  return decoded.message.payload;
}
