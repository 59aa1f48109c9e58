// Goal: the member runtime forms a cluster, elects a leader in every group, applies CP writes
// exactly once, and recovers a crashed member from its disk, all on the simulator (virtual time,
// one seed replays a run). Method: three Members on SimEnvironments with a test CpMachine, one
// test client on the same simulated network; writes are atomic-long adds, so the final values
// prove exactly-once application; replicas are compared by their state digests per group.

import { describe, expect, it } from "vitest";
import type { Transport } from "../../src/env/transport.js";
import { checkHistory } from "../../src/check/checker.js";
import { counterModel } from "../../src/check/models/index.js";
import { pairEvents } from "../../src/check/operation.js";
import { Prng } from "../../src/lib/prng.js";
import { type Operation, placementKeyOf } from "../../src/protocol/client/index.js";
import { partitionOf, preferredLeaders } from "../../src/protocol/placement/index.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import type { Address } from "../../src/types.js";
import type { MemberOptions } from "../../src/runtime/index.js";
import {
  HistoryRecorder,
  type LinkFaults,
  linkFaultsNone,
  SimCluster,
  type SimEnvironment,
  Trace,
} from "../../src/sim/index.js";
import type { Process } from "../../src/sim/index.js";
import type { TestOutcome } from "../fixtures/test_client.js";
import {
  lossyLinks,
  SimClientProcess,
  simMemberNames,
  simMemberOptions,
  simMember,
  simMembersAdd,
} from "./sim_members.js";

const names = simMemberNames;

function options(name: string): MemberOptions {
  return simMemberOptions(name, 8);
}

function build(
  seed: number,
  linkFaults: LinkFaults = linkFaultsNone(),
  diskSyncLatencyMs?: number,
): SimCluster<Process> {
  const cluster = new SimCluster<Process>({
    seed,
    trace: new Trace(),
    linkFaults,
    ...(diskSyncLatencyMs === undefined ? {} : { diskSyncLatencyMs }),
  });
  simMembersAdd(cluster, options);
  return cluster;
}

const member = simMember;

/** Leaders seen per `${group}/${term}`: two members leading one group in one term is a violation. */
const leadersSeen = new Map<string, string>();

let safetyCalls = 0;

/** Checks election safety across members (Raft §5.2): one leader per group and term (every 8th event). */
function electionSafety(cluster: SimCluster<Process>): void {
  safetyCalls += 1;
  if (safetyCalls % 8 !== 0) return;
  for (const name of names) {
    if (!cluster.isUp(name)) continue;
    for (const group of member(cluster, name).groups.values()) {
      if (group.role !== "leader") continue;
      const key = `${cluster.seed}/${group.group}/${group.persistedTerm}`;
      const known = leadersSeen.get(key) ?? name;
      expect(known, `two leaders in group ${group.group}, term ${key}`).toBe(name);
      leadersSeen.set(key, name);
    }
  }
}

/** Whether every running member is ready (checking election safety on the way). */
function allReady(cluster: SimCluster<Process>): boolean {
  electionSafety(cluster);
  return names.every((n) => !cluster.isUp(n) || member(cluster, n).status().ready);
}

/** Runs `count` adds over `counters` names, sequentially, in virtual time; returns the outcomes. */
function writeAdds(cluster: SimCluster<Process>, count: number, counters: number): TestOutcome[] {
  const client = (cluster.process("client") as SimClientProcess).client;
  const outcomes: TestOutcome[] = [];
  const next = (): void => {
    if (outcomes.length === count) return;
    const name = `n${outcomes.length % counters}`;
    client.submit({ structure: "atomic-long", op: "add", name, delta: 1 }, (outcome) => {
      outcomes.push(outcome);
      next();
    });
  };
  next();
  // Election safety is checked after every event while the writes go on.
  const done = cluster.scheduler.runUntilCondition(() => {
    electionSafety(cluster);
    return outcomes.length === count;
  }, cluster.scheduler.nowMs + 120_000);
  expect(done, `only ${outcomes.length}/${count} writes ended`).toBe(true);
  return outcomes;
}

function digestsAgree(cluster: SimCluster<Process>): string[] {
  const byGroup = new Map<number, Map<string, { applied: number; digest: number; commit: number }>>();
  for (const name of names) {
    if (!cluster.isUp(name)) continue;
    for (const g of member(cluster, name).status().groups) {
      const row = byGroup.get(g.group) ?? new Map();
      row.set(name, { applied: g.applied, digest: g.digest, commit: g.commit });
      byGroup.set(g.group, row);
    }
  }
  const problems: string[] = [];
  for (const [group, row] of byGroup) {
    const values = [...row.values()];
    const applied = new Set(values.map((v) => v.applied));
    const digests = new Set(values.map((v) => v.digest));
    if (applied.size !== 1 || digests.size !== 1)
      problems.push(`group ${group}: ${JSON.stringify([...row])}`);
  }
  return problems;
}

const extended = process.env.SHOAL_TIER === "extended";
const seeds = extended ? Array.from({ length: 40 }, (_, i) => i + 1) : [1, 2, 3, 4, 5, 6];
/** Every other seed runs on lossy links. */
const isLossy = (seed: number): boolean => seed % 2 === 0;

describe("Member on the simulator", () => {
  for (const seed of seeds) {
    const links = isLossy(seed) ? "lossy links" : "clean links";
    it(`forms, elects every group, applies writes once, recovers a crash, ${links} (seed ${seed})`, () => {
      const replay = `${extended ? "SHOAL_TIER=extended " : ""}npx vitest run test/runtime/member_sim.test.ts -t "(seed ${seed})"`;
      const cluster = build(seed, isLossy(seed) ? lossyLinks : linkFaultsNone());
      const formed = cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000);
      expect(formed, `cluster did not become ready; replay: ${replay}`).toBe(true);
      for (const name of names) expect(member(cluster, name).status().groups.length).toBeGreaterThan(0);

      const first = writeAdds(cluster, 60, 6);
      expect(first.filter((o) => o.kind !== "ok").slice(0, 3), `failed writes; replay: ${replay}`).toEqual(
        [],
      );

      cluster.crash("m2");
      const second = writeAdds(cluster, 60, 6);
      expect(
        second.every((o) => o.kind === "ok"),
        `writes with m2 down; replay: ${replay}`,
      ).toBe(true);
      cluster.restart("m2");
      // Recovered from its disk alone: the configuration and every group, before any peer speaks.
      const recovered = member(cluster, "m2").status();
      expect(recovered.formed).toBe(true);
      expect(recovered.groups.length).toBe(member(cluster, "m1").status().groups.length);
      cluster.scheduler.runUntilCondition(() => allReady(cluster), cluster.scheduler.nowMs + 20_000);
      const third = writeAdds(cluster, 30, 6);
      expect(
        third.every((o) => o.kind === "ok"),
        `writes after restart; replay: ${replay}`,
      ).toBe(true);

      // Caught up: every replica of every group at the same applied index with the same state.
      const agreed = cluster.scheduler.runUntilCondition(
        () => digestsAgree(cluster).length === 0,
        cluster.scheduler.nowMs + 20_000,
      );
      expect(agreed, `replicas differ: ${digestsAgree(cluster).join("; ")}; replay: ${replay}`).toBe(true);
      // Exactly once: 150 adds over 6 counters, 25 each, read back linearizably.
      const client = (cluster.process("client") as SimClientProcess).client;
      const reads: TestOutcome[] = [];
      for (let i = 0; i < 6; i++) {
        cluster.scheduler.runUntilCondition(() => reads.length === i, cluster.scheduler.nowMs + 1);
        client.submit({ structure: "atomic-long", op: "get", name: `n${i}` }, (o) => reads.push(o));
        cluster.scheduler.runUntilCondition(() => reads.length === i + 1, cluster.scheduler.nowMs + 30_000);
      }
      expect(reads.map((o) => (o.kind === "ok" ? o.result : o.code))).toEqual([25, 25, 25, 25, 25, 25]);
      // The leaders compacted past what m2 held when it crashed: m2 caught up by InstallSnapshot.
      expect(member(cluster, "m1").stats.snapshotsTaken).toBeGreaterThan(0);
      expect(member(cluster, "m2").stats.snapshotsInstalled, replay).toBeGreaterThan(0);
      cluster.shutdown();
    });
  }
});

describe("Member on the simulator, replay and bad input", () => {
  it("replays a run bit for bit from its seed (same trace hash)", () => {
    const digestOf = (seed: number): string => {
      const cluster = build(seed);
      cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000);
      writeAdds(cluster, 10, 3);
      cluster.shutdown();
      return cluster.trace.digest();
    };
    expect(digestOf(11)).toBe(digestOf(11));
    expect(digestOf(11)).not.toBe(digestOf(12));
  });

  it("drops garbage frames and malformed requests, answers BAD_INPUT, keeps serving", () => {
    const cluster = build(21);
    expect(cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000)).toBe(true);
    const environment = cluster.environment("client");
    const codec = new WireCodec({ frameBytesMax: 1024 * 1024 });
    const responses: unknown[] = [];
    const decoded = (frame: Uint8Array): void => {
      const result = codec.decode(frame);
      if (result.kind === "ok") responses.push(result.message.payload);
    };
    environment.transport.onFrame((_from, frame) => decoded(frame));
    const target = "m1" as Address;
    environment.transport.send(target, new Uint8Array([0xff, 1, 2, 3, 4, 5]));
    const badBatch = codec.encode({ version: 1, kind: "raft-batch", payload: { from: 7, messages: "x" } });
    const badRequest = codec.encode({
      version: 1,
      kind: "client-request",
      payload: {
        type: "operation",
        requestId: 9,
        clientId: "c",
        sequence: 1,
        timeoutMs: 100,
        operation: { structure: "map", op: "put", name: "m", key: "k" },
      },
    });
    if (badBatch.kind !== "ok" || badRequest.kind !== "ok") throw new Error("encode failed");
    environment.transport.send(target, badBatch.body);
    environment.transport.send(target, badRequest.body);
    cluster.scheduler.runFor(500);
    expect(member(cluster, "m1").stats.framesInvalid).toBe(2);
    expect(responses).toEqual([
      { type: "error", requestId: 9, code: "BAD_INPUT", message: "value must be bytes" },
    ]);
    // Still serving: a fresh client process writes through.
    cluster.stopNode("client");
    cluster.restart("client");
    const outcomes = writeAdds(cluster, 6, 2);
    expect(outcomes.filter((o) => o.kind !== "ok")).toEqual([]);
    cluster.shutdown();
  });
});

describe("Member on the simulator, AP structures", () => {
  it("applies counter and set writes at a replica and converges every replica, also after a crash", () => {
    const cluster = build(31);
    expect(cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000)).toBe(true);
    const client = (cluster.process("client") as SimClientProcess).client;
    const outcomes: TestOutcome[] = [];
    const operations: Operation[] = [];
    for (let i = 0; i < 30; i++)
      operations.push({ structure: "counter", op: "add", name: `c${i % 3}`, delta: 2 });
    for (let i = 0; i < 6; i++) operations.push({ structure: "set", op: "add", name: "s", element: `e${i}` });
    operations.push({ structure: "set", op: "remove", name: "s", element: "e0" });
    const next = (): void => {
      const operation = operations[outcomes.length];
      if (operation === undefined) return;
      client.submit(operation, (o) => {
        outcomes.push(o);
        next();
      });
    };
    next();
    cluster.crash("m3");
    expect(cluster.scheduler.runUntilCondition(() => outcomes.length === operations.length, 60_000)).toBe(
      true,
    );
    expect(outcomes.filter((o) => o.kind !== "ok")).toEqual([]);
    cluster.restart("m3");
    // Every replica of each structure's partition answers the same value (anti-entropy repairs m3).
    const views = (operation: Operation): unknown[] => {
      const key = placementKeyOf(operation);
      const partition = partitionOf(key.name, key.entryKey, 8);
      return names
        .map((n) => member(cluster, n))
        .filter((m) => m.ap.replicates(partition))
        .map((m) => {
          const result = m.ap.operation(partition, operation, true);
          return result.kind === "ok" ? result.result : result.message;
        });
    };
    const reads: Operation[] = [
      { structure: "counter", op: "get", name: "c0" },
      { structure: "counter", op: "get", name: "c1" },
      { structure: "counter", op: "get", name: "c2" },
      { structure: "set", op: "values", name: "s" },
    ];
    const expected: unknown[] = [20, 20, 20, ["e1", "e2", "e3", "e4", "e5"]];
    const converged = (): boolean =>
      reads.every((r, i) => {
        const seen = views(r);
        return seen.length === 3 && seen.every((v) => JSON.stringify(v) === JSON.stringify(expected[i]));
      });
    expect(
      cluster.scheduler.runUntilCondition(converged, cluster.scheduler.nowMs + 60_000),
      JSON.stringify(reads.map(views)),
    ).toBe(true);
    cluster.shutdown();
  });
});

describe("Member on the simulator, leader balance", () => {
  it("hands every data group to its preferred leader, so the members lead within one group of each other", () => {
    const cluster = build(61);
    expect(cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000)).toBe(true);
    const table = member(cluster, "m1").cluster!.table;
    const preferred = preferredLeaders(table);
    const leaderOf = (partition: number): string | null => {
      for (const name of names)
        for (const group of member(cluster, name).groups.values())
          if (group.partition === partition && group.role === "leader") return name;
      return null;
    };
    const settled = cluster.scheduler.runUntilCondition(
      () => preferred.every((node, partition) => leaderOf(partition) === node),
      cluster.scheduler.nowMs + 20_000,
    );
    expect(settled, `leaders ${table.partitions.map((row) => leaderOf(row.partition))} vs ${preferred}`).toBe(
      true,
    );
    const counts = names.map((name) => preferred.filter((node) => node === name).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    cluster.shutdown();
  });
});

describe("Member on the simulator, answering a pipelining client", () => {
  it("hands each request frame's answers to the transport's flush before it handles the next frame", () => {
    const cluster = new SimCluster<Process>({ seed: 51, trace: new Trace() });
    const toClient: string[] = [];
    const recording = (inner: Transport): Transport => ({
      localAddress: inner.localAddress,
      send: (to, frame) => {
        if (to === "client") toClient.push("answer");
        return inner.send(to, frame);
      },
      flush: (to) => {
        if (to === "client") toClient.push("flush");
      },
      onFrame: (handler) => inner.onFrame(handler),
      close: () => inner.close(),
    });
    simMembersAdd(cluster, options, (environment, name) =>
      name !== "m1"
        ? environment
        : {
            clock: environment.clock,
            seed: environment.seed,
            transport: recording(environment.transport),
            disk: environment.disk,
            logger: environment.logger,
          },
    );
    expect(cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000)).toBe(true);
    const environment = cluster.environment("client");
    const codec = new WireCodec({ frameBytesMax: 1024 * 1024 });
    let answers = 0;
    environment.transport.onFrame(() => {
      answers += 1;
    });
    toClient.length = 0;
    // Two frames of two AP counter adds each, sent in the same instant.
    for (let frame = 0; frame < 2; frame++) {
      const requests = [0, 1].map((i) => ({
        type: "operation",
        requestId: frame * 2 + i + 1,
        clientId: "pipelining",
        sequence: frame * 2 + i + 1,
        timeoutMs: 1_000,
        operation: { structure: "counter", op: "add", name: `c${i}`, delta: 1 },
      }));
      const encoded = codec.encode({
        version: 1,
        kind: "client-request",
        payload: { type: "batch", requests },
      });
      if (encoded.kind !== "ok") throw new Error("encode failed");
      environment.transport.send("m1" as Address, encoded.body);
    }
    expect(cluster.scheduler.runUntilCondition(() => answers === 2, cluster.scheduler.nowMs + 1_000)).toBe(
      true,
    );
    expect(toClient).toEqual(["answer", "flush", "answer", "flush"]);
    cluster.shutdown();
  });
});

describe("Member on the simulator, deadlines", () => {
  it("answers TIMEOUT when a write cannot commit in time, and NO_LEADER once the leader steps down", () => {
    const cluster = build(41);
    expect(cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000)).toBe(true);
    // A partition led by m1: crash the two other members, so no write there can commit.
    const m1 = member(cluster, "m1");
    const led = [...m1.groups.values()].find((g) => g.partition !== null && g.role === "leader");
    if (led === undefined || led.partition === null) throw new Error("m1 leads no data group");
    let name = "";
    for (let i = 0; name === ""; i++) {
      const key = placementKeyOf({ structure: "atomic-long", op: "add", name: `t${i}`, delta: 1 });
      if (partitionOf(key.name, key.entryKey, 8) === led.partition) name = `t${i}`;
    }
    cluster.crash("m2");
    cluster.crash("m3");
    const environment = cluster.environment("client");
    const codec = new WireCodec({ frameBytesMax: 1024 * 1024 });
    const codes: { code: string; atMs: number }[] = [];
    environment.transport.onFrame((_from, frame) => {
      const result = codec.decode(frame);
      if (result.kind === "ok")
        codes.push({
          code: String((result.message.payload as { code?: string }).code),
          atMs: cluster.scheduler.nowMs,
        });
    });
    const send = (requestId: number, sequence: number): void => {
      const payload = {
        type: "operation",
        requestId,
        clientId: "deadline",
        sequence,
        timeoutMs: 200,
        operation: { structure: "atomic-long", op: "add", name, delta: 1 },
      };
      const encoded = codec.encode({ version: 1, kind: "client-request", payload });
      if (encoded.kind === "ok") environment.transport.send("m1" as Address, encoded.body);
    };
    const startMs = cluster.scheduler.nowMs;
    send(1, 1);
    cluster.scheduler.runFor(400);
    expect(codes.map((c) => c.code)).toEqual(["TIMEOUT"]);
    expect(codes[0]!.atMs - startMs).toBeGreaterThanOrEqual(200);
    // CheckQuorum: without a quorum for an election timeout the leader steps down; then NO_LEADER.
    cluster.scheduler.runFor(3_000);
    send(2, 2);
    cluster.scheduler.runFor(100);
    expect(codes.map((c) => c.code)).toEqual(["TIMEOUT", "NO_LEADER"]);
    cluster.shutdown();
  });
});

/** One crash of m2 for 2 s, on a fast disk. */
function crashOnce(cluster: SimCluster<Process>): number {
  cluster.scheduler.runFor(300);
  cluster.crash("m2");
  cluster.scheduler.runFor(2_000);
  cluster.restart("m2");
  return 0;
}

/**
 * A slow disk (every fdatasync takes 8 ms), and eight crashes while a group-commit sync is in
 * flight (when one comes within 100 ms): odd rounds crash one random member, even rounds cut the
 * power of all three at once; each comes back 100–500 ms later. Every write answered before the
 * crash must be on a quorum's disks, so the history stays linearizable; a member that acknowledged
 * entries before its sync ended would lose them to the power cut.
 */
function crashDuringSyncs(cluster: SimCluster<Process>, prng: Prng): number {
  let crashesDuringSync = 0;
  for (let i = 0; i < 8; i++) {
    cluster.scheduler.runFor(20 + prng.below(200));
    const victims = i % 2 === 0 ? [...names] : [names[prng.below(names.length)]!];
    const syncing = (): boolean => victims.some((name) => member(cluster, name).wal.syncing);
    cluster.scheduler.runUntilCondition(syncing, cluster.scheduler.nowMs + 100);
    if (syncing()) crashesDuringSync += 1;
    for (const victim of victims) cluster.crash(victim);
    cluster.scheduler.runFor(100 + prng.below(400));
    for (const victim of victims) cluster.restart(victim);
  }
  return crashesDuringSync;
}

/** Links much faster than the disk, so commits outrun local syncs (a LAN with an old disk). */
const fastLossyLinks: LinkFaults = {
  delayMsMin: 0.05,
  delayMsMean: 0.3,
  lossProbability: 0.02,
  duplicateProbability: 0.02,
};

const linearizabilityScenarios = [
  {
    title: "through a crash, lossy links",
    seeds: extended ? [51, 52, 53, 54, 55, 56, 57, 58] : [51, 52],
    links: lossyLinks,
    diskSyncLatencyMs: undefined,
    operationsPerClient: 15,
    faults: crashOnce,
    crashesDuringSyncMin: 0,
  },
  {
    title: "on a slow disk and fast lossy links, through crashes during syncs",
    seeds: extended ? Array.from({ length: 20 }, (_, i) => 61 + i) : [67, 68, 69],
    links: fastLossyLinks,
    diskSyncLatencyMs: 8,
    operationsPerClient: 40,
    faults: crashDuringSyncs,
    crashesDuringSyncMin: 2,
  },
] as const;

describe("Member on the simulator, linearizability", () => {
  for (const scenario of linearizabilityScenarios)
    for (const seed of scenario.seeds) {
      it(`gives linearizable atomic longs to concurrent clients ${scenario.title} (seed ${seed})`, () => {
        const replay = `${extended ? "SHOAL_TIER=extended " : ""}npx vitest run test/runtime/member_sim.test.ts -t "(seed ${seed})"`;
        const cluster = build(seed, scenario.links, scenario.diskSyncLatencyMs);
        const clients = [(cluster.process("client") as SimClientProcess).client];
        for (let i = 2; i <= 4; i++) {
          const process = cluster.addNode(
            `client${i}`,
            (environment) => new SimClientProcess(environment as SimEnvironment, `client-${i}`),
          ) as SimClientProcess;
          clients.push(process.client);
        }
        expect(cluster.scheduler.runUntilCondition(() => allReady(cluster), 20_000)).toBe(true);
        const recorder = new HistoryRecorder(() => cluster.scheduler.nowMs);
        const prng = Prng.derive(seed, "linearizability-test");
        let finished = 0;
        const run = (index: number, remaining: number): void => {
          if (remaining === 0) {
            finished += 1;
            return;
          }
          const key = `k${prng.below(2)}`;
          const isRead = prng.chance(0.4);
          const open = recorder.invoke(`c${index}`, isRead ? "read" : "addAndGet", isRead ? null : 1, key);
          const operation: Operation = isRead
            ? { structure: "atomic-long", op: "get", name: key }
            : { structure: "atomic-long", op: "add", name: key, delta: 1 };
          clients[index]!.submit(operation, (outcome) => {
            if (outcome.kind === "ok") recorder.ok(open, outcome.result);
            else recorder.info(open);
            run(index, remaining - 1);
          });
        };
        for (let i = 0; i < clients.length; i++) run(i, scenario.operationsPerClient);
        const crashesDuringSync = scenario.faults(cluster, prng);
        expect(
          cluster.scheduler.runUntilCondition(
            () => finished === clients.length,
            cluster.scheduler.nowMs + 300_000,
          ),
          replay,
        ).toBe(true);
        const operations = pairEvents(recorder.events.map((event, i) => ({ event, line: i + 1 })));
        const result = checkHistory(counterModel(), operations);
        expect(result.verdict, `${JSON.stringify(result.failure)}; replay: ${replay}`).toBe("ok");
        expect(recorder.counts().ok).toBeGreaterThan(40);
        expect(crashesDuringSync, "crashes that hit a WAL sync in flight").toBeGreaterThanOrEqual(
          scenario.crashesDuringSyncMin,
        );
        cluster.shutdown();
      });
    }
});
