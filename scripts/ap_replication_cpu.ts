// CPU per AP counter increment of the replication path alone, in one process: three ApServices
// (the member's AP layer) on fake hosts whose frames go through the real wire codec (encode at the
// sender, decode at the receiver), every partition replicated on all three, driven tick by tick
// at a fixed number of increments per member per tick. It leaves out the client, the sockets and
// the member's request handling, so it is steady on a loaded machine (CPU time, not wall time) and
// isolates what the AP layer costs per write: apply, gossip, encode, decode, join, ack.
// Run: npx tsx scripts/ap_replication_cpu.ts [partitions=16] [increments-per-member-per-tick=1300] [ticks=60]

import { WireCodec } from "../src/protocol/wire/index.js";
import type { GroupId, PartitionId } from "../src/types.js";
import { apTrio } from "../test/support/ap_trio.js";

/** Bounds of one run; the key count is the bench's (1,000 counters). */
const limits = { partitionsMax: 1_024, perTickMax: 100_000, ticksMax: 10_000, keys: 1_000 } as const;

function main(): void {
  const partitions = Number(process.argv[2] ?? 16);
  const perTick = Number(process.argv[3] ?? 1_300);
  const ticks = Number(process.argv[4] ?? 60);
  if (!(partitions >= 1 && partitions <= limits.partitionsMax)) throw new Error("bad partitions");
  if (!(perTick >= 1 && perTick <= limits.perTickMax)) throw new Error("bad increments per tick");
  if (!(ticks >= 1 && ticks <= limits.ticksMax)) throw new Error("bad ticks");
  const codec = new WireCodec({ frameBytesMax: 16 << 20 });
  const trio = apTrio(codec, partitions, 7);
  const { wire } = trio;
  const services = [...trio.services.values()];
  const byName = trio.services;
  let frames = 0;
  const deliver = (): void => {
    for (const sent of wire.splice(0)) {
      frames += 1;
      const decoded = codec.decode(sent.body);
      if (decoded.kind !== "ok") throw new Error("undecodable frame");
      const target = byName.get(sent.to)!;
      const { kind, group, payload } = decoded.message;
      // This version sends crdt-batch; an earlier one sent crdt-delta and crdt-digest.
      const step = target as unknown as { stepBatch?: (p: unknown) => number };
      if (kind === "crdt-batch" && step.stepBatch !== undefined) step.stepBatch(payload);
      else target.step(group as GroupId, payload);
    }
  };
  let key = 0;
  const run = (count: number): number => {
    let ops = 0;
    for (let t = 0; t < count; t++) {
      for (const service of services) {
        for (let i = 0; i < perTick; i++) {
          key = (key + 7_919) % limits.keys;
          const operation = { structure: "counter", op: "add", name: `c-${key}`, delta: 1 } as const;
          const result = service.operation((key % partitions) as PartitionId, operation, false);
          if (result.kind !== "ok") throw new Error("increment refused");
          ops += 1;
        }
        deliver();
      }
      for (const service of services) service.tick();
      deliver();
    }
    return ops;
  };
  run(20); // Warm-up: JIT, every key created.
  frames = 0;
  const before = process.cpuUsage();
  const ops = run(ticks);
  const used = process.cpuUsage(before);
  const micros = used.user + used.system;
  console.log(
    `ap replication, ${partitions} partitions, ${perTick} increments per member per tick, ${ticks} ticks: ` +
      `${(micros / ops).toFixed(2)} µs CPU per increment (all three members), ` +
      `${(frames / ticks).toFixed(1)} frames per tick`,
  );
}

main();
