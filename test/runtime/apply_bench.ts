// Goal: the CPU one replica spends to apply one committed CP map put (decode the command, pass the
// session table, run the map machine), and the leader's cost to encode it. Method: a RaftGroup of
// one voter applies 100-byte puts in log order; process CPU time (not wall time: the host is
// shared) per entry over several rounds, the minimum printed. Not a vitest file: it asserts
// nothing. Run: npx tsx test/runtime/apply_bench.ts [root], where root is a Shoal checkout
// (default: this one), so that two trees compare with the same script.

import { resolve } from "node:path";

const root = resolve(process.argv[2] ?? new URL("../..", import.meta.url).pathname);
const { RaftGroup } = await import(`${root}/src/runtime/raft_group.ts`);
const { commandEncode } = await import(`${root}/src/runtime/codec.ts`);
const { createCpMachine } = await import(`${root}/src/structures/cp_machine.ts`);
const { sessionConfigDefault } = await import(`${root}/src/structures/sessions.ts`);
const { raftConfigDefault } = await import(`${root}/src/protocol/raft/index.ts`);

const entriesPerRound = 100_000;
const rounds = 6;
const keys = 1_000;

const { id: _id, appliedIndex: _applied, ...raft } = raftConfigDefault("n1");
const group = new RaftGroup({
  group: 1,
  self: "n1",
  seed: 1,
  raft,
  sessions: sessionConfigDefault(),
  machineFactory: createCpMachine,
  bootstrapVoters: ["n1"],
  bootstrapCluster: null,
  recovery: null,
});
const value = new TextEncoder().encode("x".repeat(100));
const commandAt = (i: number) => ({
  clientId: "client-abcdef-1234",
  sequence: i,
  logTimeMs: 1_764_000_000_000 + i,
  operation: { structure: "map", op: "put", name: "bench", key: `k${i % keys}`, value },
});
const entries = Array.from({ length: entriesPerRound * rounds }, (_, i) => ({
  type: "normal",
  index: i + 1,
  term: 1,
  data: commandEncode(commandAt(i + 1)),
}));

function cpuMicros(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

let next = 0;
let apply = Number.POSITIVE_INFINITY;
let encode = Number.POSITIVE_INFINITY;
for (let round = 0; round < rounds; round++) {
  const micros = cpuMicros(() => {
    for (let i = 0; i < entriesPerRound; i++) group.apply(entries[next++]);
  });
  apply = Math.min(apply, micros / entriesPerRound);
  const command = commandAt(round + 1);
  encode = Math.min(
    encode,
    cpuMicros(() => {
      for (let i = 0; i < entriesPerRound; i++) commandEncode(command);
    }) / entriesPerRound,
  );
}
console.log(`${root}: apply ${apply.toFixed(3)} µs per entry, encode ${encode.toFixed(3)} µs per command`);
