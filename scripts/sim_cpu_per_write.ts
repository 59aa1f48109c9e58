// CPU per committed map put of the real member code, with no kernel and no scheduler in the way:
// three Members on the simulator (virtual time, fault-free FIFO links), `clients` simulated
// clients each keeping one put in flight, over `partitions` Raft groups. The figure is this one
// process's CPU (members, simulated clients and the simulator itself) divided by the committed
// writes, so it is the same whatever else the machine runs (contention aside), and two variants
// of the code can be compared on a loaded machine.
//
//   npx tsx scripts/sim_cpu_per_write.ts [partitions=16] [clients=64] [writes=20000] [seed=1]
//
// Add `node --cpu-prof` (NODE_OPTIONS) for a profile of the same run.

import { measureRaftTraffic } from "../bench/sim.js";

const partitions = Number(process.argv[2] ?? 16);
const clients = Number(process.argv[3] ?? 64);
const writes = Number(process.argv[4] ?? 20_000);
const seed = Number(process.argv[5] ?? 1);
if (!(Number.isInteger(partitions) && partitions >= 1 && partitions <= 1_024))
  throw new Error("bad partitions");
if (!(Number.isInteger(writes) && writes >= 1 && writes <= 1_000_000)) throw new Error("bad writes");

const traffic = measureRaftTraffic({
  voters: 3,
  writes,
  valueBytes: 100,
  seed,
  clients,
  partitions,
  raftContent: process.env.RAFT_CONTENT === "1",
});
const committed = traffic.writesCommitted;
const per = (count: number): string => (count / committed).toFixed(3);
console.log(
  `partitions ${partitions}, clients ${clients}: ${committed}/${traffic.writesAsked} committed in ` +
    `${(traffic.writeWindowMs / 1_000).toFixed(1)} s virtual; CPU ${(traffic.writeCpuUs / committed).toFixed(1)} µs ` +
    `per write; per write over the 3 members: passes ${per(traffic.writeStats.passes)}, frames in ` +
    `${per(traffic.writeStats.framesReceived)}, WAL syncs ${per(traffic.writeStats.walSyncs)}, ` +
    `member messages ${per(traffic.writes.messages)}`,
);
if (process.env.RAFT_CONTENT === "1")
  console.log(
    `Raft messages per write: ${Object.entries(traffic.writesRaft.byType)
      .map(([type, count]) => `${type} ${per(count)}`)
      .join(", ")}; entries sent ${per(traffic.writesRaft.entriesSent)}`,
  );
