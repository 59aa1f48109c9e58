// Goal: the CPU the bare Raft core of three voters spends per committed entry when batches are
// small, as in a member hosting many groups (one or two proposals per group per pass, so the cost
// per message counts, not only the cost per entry). Method: three RaftNodes over MemoryStorage in
// one process; the leader proposes `batch` entries, a synchronous loop carries every Ready
// (persist, send, advance) until quiet; process CPU time per committed entry, minimum of several
// rounds. Not a vitest file: it asserts nothing. Run: npx tsx test/raft/core_cpu_bench.ts [root]
// [batch], where root is a Shoal checkout (default: this one), so two trees compare alike.

import { resolve } from "node:path";

const root = resolve(process.argv[2] ?? new URL("../..", import.meta.url).pathname);
const batch = Number(process.argv[3] ?? 2);
const { MemoryStorage, RaftNode, raftConfigDefault } = await import(`${root}/src/protocol/raft/index.ts`);
const { Prng } = await import(`${root}/src/lib/prng.ts`);

const ids = ["1", "2", "3"];
const roundsMax = 10_000;
const proposalsPerRound = 20_000;
const rounds = 6;
const entry = new Uint8Array(141);

const nodes = new Map(
  ids.map((id) => {
    const storage = MemoryStorage.bootstrap(ids);
    const config = { ...raftConfigDefault(id), inflightMessagesMax: 256, appendBytesMax: 1024 * 1024 };
    return [id, { raft: new RaftNode(config, storage, Prng.derive(Number(id), "bench")), storage }];
  }),
);
let committed = 0;

function settle(): void {
  let queue: { to: string }[] = [];
  for (let round = 0; round < roundsMax; round++) {
    for (const [id, { raft, storage }] of nodes) {
      while (raft.hasReady()) {
        const ready = raft.ready();
        if (ready.snapshot !== null) storage.applySnapshot(ready.snapshot);
        storage.append(ready.entries);
        if (ready.hardState !== null) storage.setHardState(ready.hardState);
        for (const message of ready.messages) queue.push(message);
        if (id === ids[0]) committed += ready.committedEntries.length;
        raft.advance(ready);
      }
    }
    if (queue.length === 0) return;
    const delivering = queue;
    queue = [];
    for (const message of delivering) nodes.get(message.to)!.raft.step(message);
  }
  throw new Error("the cluster did not settle");
}

/** Keeps the logs short, as a member's snapshots do. */
function compact(): void {
  for (const { raft, storage } of nodes.values()) {
    const commit = raft.status().commit;
    if (commit > 100) storage.compact(commit - 50, new Uint8Array(0), storage.snapshot().meta.config);
  }
}

const leader = nodes.get(ids[0]!)!.raft;
leader.campaign();
settle();
let best = Number.POSITIVE_INFINITY;
for (let round = 0; round < rounds; round++) {
  const before = committed;
  const start = process.cpuUsage();
  for (let i = 0; i < proposalsPerRound; i++) {
    for (let j = 0; j < batch; j++) leader.propose(entry);
    settle();
    if (i % 500 === 0) compact();
  }
  const used = process.cpuUsage(start);
  best = Math.min(best, (used.user + used.system) / (committed - before));
}
console.log(`${root}: ${best.toFixed(3)} µs CPU per committed entry (3 voters, batches of ${batch})`);
