// Prints the CRDT layer's figures for the report: join and delta-apply throughput per type, the
// bytes of a delta versus the full state of a 10,000-element set, the bytes anti-entropy sends to
// reconcile two replicas that differ in 1 % of 100,000 keys, and gossip rounds until quiet in the
// `crdt` workload. Run: npx tsx scripts/crdt_figures.ts

import { Prng } from "../src/lib/prng.js";
import { hlcConfigDefault } from "../src/protocol/clock/index.js";
import {
  type Crdt,
  encodeCrdt,
  Flag,
  GCounter,
  GSet,
  LWWMap,
  LWWRegister,
  MUTANTS_NONE,
  MVRegister,
  ORMap,
  ORSet,
  PNCounter,
} from "../src/protocol/crdt/index.js";
import { Replicator } from "../src/protocol/replication/index.js";
import { Trace } from "../src/sim/trace.js";
import { crdtWorkload } from "../src/sim/workloads/crdt.js";
import { type ReplicaId, replicaId } from "../src/types.js";

type Mutator = (state: Crdt, replica: ReplicaId, i: number) => Crdt;

const stamp = (i: number) => ({ wallMs: 1_000 + i, logical: 0 });

const types: [string, () => Crdt, Mutator][] = [
  ["GCounter", () => new GCounter(), (s, r) => (s as GCounter).incrementDelta(r, 1)],
  ["PNCounter", () => new PNCounter(), (s, r, i) => (s as PNCounter).addDelta(r, i % 2 === 0 ? 1 : -1)],
  ["GSet", () => new GSet(), (s, _r, i) => (s as GSet).addDelta(`e${i % 1_000}`)],
  [
    "ORSet",
    () => new ORSet(),
    (s, r, i) =>
      i % 3 === 2 ? (s as ORSet).removeDelta(`e${i % 1_000}`) : (s as ORSet).addDelta(r, `e${i % 1_000}`),
  ],
  ["LWWRegister", () => new LWWRegister(), (s, r, i) => (s as LWWRegister).setDelta(r, `v${i}`, stamp(i))],
  ["MVRegister", () => new MVRegister(), (s, r, i) => (s as MVRegister).writeDelta(r, `v${i}`, stamp(i))],
  [
    "Flag",
    () => new Flag(),
    (s, r, i) => (i % 2 === 0 ? (s as Flag).enableDelta(r) : (s as Flag).disableDelta()),
  ],
  [
    "ORMap<ORSet>",
    () => new ORMap({ map: "set" }),
    (s, r, i) => (s as ORMap).updateDelta(`k${i % 100}`, (v) => (v as ORSet).addDelta(r, `e${i % 7}`)),
  ],
  ["LWWMap", () => new LWWMap(), (s, r, i) => (s as LWWMap).setDelta(r, `k${i % 1_000}`, `v${i}`, stamp(i))],
];

function perSecond(count: number, run: () => void): number {
  const start = performance.now();
  run();
  return (count / (performance.now() - start)) * 1_000;
}

function throughput(): void {
  console.log("type           joins/s (two 1,000-op states, copy+join)   delta-applies/s");
  const replicas = [replicaId("a"), replicaId("b")];
  for (const [name, bottom, mutate] of types) {
    const states = replicas.map(() => bottom());
    const deltas: Crdt[] = [];
    replicas.forEach((replica, index) => {
      for (let i = 0; i < 1_000; i++) {
        const delta = mutate(states[index]!, replica, i);
        states[index]!.join(delta, MUTANTS_NONE);
        if (index === 0) deltas.push(delta);
      }
    });
    const joinRounds = 2_000;
    const joins = perSecond(joinRounds, () => {
      for (let i = 0; i < joinRounds; i++) states[0]!.clone().join(states[1]!, MUTANTS_NONE);
    });
    const target = states[1]!.clone();
    const applies = perSecond(deltas.length * 20, () => {
      for (let round = 0; round < 20; round++) for (const delta of deltas) target.join(delta, MUTANTS_NONE);
    });
    console.log(`${name.padEnd(14)} ${joins.toFixed(0).padStart(10)}   ${applies.toFixed(0).padStart(36)}`);
  }
}

function deltaVersusState(): void {
  const replica = replicaId("a");
  const set = new ORSet();
  for (let i = 0; i < 10_000; i++) set.add(replica, `element-${i}`);
  const add = set.addDelta(replica, "element-new");
  const remove = set.removeDelta("element-5");
  const gset = new GSet();
  for (let i = 0; i < 10_000; i++) gset.add(`element-${i}`);
  console.log(
    `10,000-element ORSet: full state ${encodeCrdt(set).byteLength} B, add delta ${encodeCrdt(add).byteLength} B, remove delta ${encodeCrdt(remove).byteLength} B; ` +
      `GSet: full ${encodeCrdt(gset).byteLength} B, add delta ${encodeCrdt(gset.addDelta("element-new")).byteLength} B`,
  );
}

function antiEntropy(): void {
  const config = {
    mode: "delta" as const,
    gossipIntervalTicks: 1_000_000,
    antiEntropyIntervalTicks: 1,
    deltaBufferEntriesMax: 16,
    retransmitTicks: 1,
    leafStatesEntriesMax: 4_096,
    merkle: { fanout: 16, depth: 4 },
    hlc: hlcConfigDefault(),
    mutants: MUTANTS_NONE,
  };
  const a = new Replicator(replicaId("a"), config, Prng.fromSeed(1));
  const b = new Replicator(replicaId("b"), config, Prng.fromSeed(2));
  a.setPeers([b.self]);
  b.setPeers([a.self]);
  let fullBytes = 0;
  for (let i = 0; i < 100_000; i++) {
    const state = new LWWRegister().setDelta(replicaId("seed"), `value-${i}`, stamp(0));
    fullBytes += encodeCrdt(state).byteLength;
    a.store.join(`key-${i}`, state);
    b.store.join(`key-${i}`, state);
  }
  for (let i = 0; i < 1_000; i++) {
    const side = i % 2 === 0 ? a : b;
    side.store.join(`key-${i * 100}`, new LWWRegister().setDelta(side.self, `new-${i}`, stamp(5)));
  }
  a.tick();
  let pool = a.takeOutbox();
  let messages = 0;
  while (pool.length > 0) {
    const message = pool.shift()!;
    const target = message.to === a.self ? a : b;
    target.step(message, 1_000_000);
    pool = pool.concat(target.takeOutbox());
    messages += 1;
  }
  const sent = a.stats.antiEntropyBytesSent + b.stats.antiEntropyBytesSent;
  console.log(
    `anti-entropy, 1% of 100,000 keys differ: ${sent} B in ${messages} messages (full state ${fullBytes} B, ${((100 * sent) / fullBytes).toFixed(1)}%)`,
  );
}

function roundsUntilQuiet(): void {
  const rounds: number[] = [];
  for (let seed = 1; seed <= 50; seed++) {
    const result = crdtWorkload.run({
      seed,
      faults: null,
      trace: new Trace(),
      params: { differential: "0" },
    });
    rounds.push(result.figures["roundsUntilQuiet"] ?? Number.NaN);
  }
  rounds.sort((x, y) => x - y);
  console.log(
    `crdt workload seeds 1..50, gossip rounds (20 ms each) from heal to quiet: median ${rounds[25]}, p90 ${rounds[45]}, max ${rounds[49]}`,
  );
}

throughput();
deltaVersusState();
antiEntropy();
roundsUntilQuiet();
