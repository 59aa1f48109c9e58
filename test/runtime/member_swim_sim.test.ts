// Goal: a Member runs SWIM on its own transport and tick loop, and its status shows SWIM's view:
// every member alive, a crashed member dead within the SWIM failure-detection bound, the same
// member alive again after a restart with a higher incarnation, a graceful stop seen as `left`, and
// all of it without touching Raft membership (TESTING.md T10). Method: three Members on the
// simulator (virtual time, one seed replays a run), several seeds, half of them on lossy links;
// states are read from `status()` exactly as `/api/status` serves them.

import { describe, expect, it } from "vitest";
import { failureDetectionBoundTicks, swimConfigLan } from "../../src/protocol/swim/index.js";
import { Member, type MemberOptions, memberOptionsDefault } from "../../src/runtime/index.js";
import type { MemberStatusPeer } from "../../src/runtime/status.js";
import { type LinkFaults, linkFaultsNone, type Process, SimCluster, Trace } from "../../src/sim/index.js";
import type { Address } from "../../src/types.js";
import { nodeId } from "../../src/types.js";
import { createTestMachine } from "../fixtures/test_machine.js";
import { lossyLinks } from "./sim_members.js";

const names = ["m1", "m2", "m3"] as const;

function options(name: string): MemberOptions {
  const base = memberOptionsDefault(nodeId(name), createTestMachine);
  return {
    ...base,
    clusterName: "swim-sim",
    join: names.map((n) => n as Address),
    expect: 3,
    partitionCount: 4,
    checkInvariants: true,
  };
}

function build(seed: number, links: LinkFaults): SimCluster<Process> {
  const cluster = new SimCluster<Process>({ seed, trace: new Trace(), linkFaults: links });
  for (const name of names) {
    cluster.addNode(name, (environment) => {
      const member = new Member(environment, options(name));
      member.start();
      return member;
    });
  }
  return cluster;
}

function member(cluster: SimCluster<Process>, name: string): Member {
  return cluster.process(name) as Member;
}

/** How `observer` sees `subject` in its status; undefined before the cluster formed. */
function peer(cluster: SimCluster<Process>, observer: string, subject: string): MemberStatusPeer | undefined {
  return member(cluster, observer)
    .status()
    .members.find((m) => m.nodeId === subject);
}

/** Whether every running observer sees `subject` in `state` through SWIM (an incarnation is known). */
function seenAs(
  cluster: SimCluster<Process>,
  observers: readonly string[],
  subject: string,
  state: string,
): boolean {
  return observers.every((o) => {
    const view = peer(cluster, o, subject);
    return view !== undefined && view.state === state && view.incarnation !== undefined;
  });
}

function allAlive(cluster: SimCluster<Process>): boolean {
  return names.every((subject) =>
    seenAs(
      cluster,
      names.filter((n) => n !== subject),
      subject,
      "alive",
    ),
  );
}

function votersOf(cluster: SimCluster<Process>, name: string): string {
  return JSON.stringify(
    member(cluster, name)
      .status()
      .groups.map((g) => [g.group, g.voters]),
  );
}

const tickMs = memberOptionsDefault(nodeId("x"), createTestMachine).tickMs;
const swimConfig = swimConfigLan(tickMs);
const detectionBoundMs = failureDetectionBoundTicks(swimConfig, names.length) * tickMs;
const seeds =
  process.env.SHOAL_TIER === "extended" ? Array.from({ length: 20 }, (_, i) => i + 1) : [1, 2, 3, 4];

describe("Member runs SWIM (simulator)", () => {
  for (const seed of seeds) {
    const lossy = seed % 2 === 0;
    it(`alive, crash → dead within the bound, restart → alive at a higher incarnation, stop → left (seed ${seed}${lossy ? ", lossy" : ""})`, () => {
      const replay = `npx vitest run test/runtime/member_swim_sim.test.ts -t "(seed ${seed}"`;
      const cluster = build(seed, lossy ? lossyLinks : linkFaultsNone());
      const s = cluster.scheduler;
      const formed = s.runUntilCondition(() => allAlive(cluster), 30_000);
      expect(formed, `members did not all see each other alive via SWIM; replay: ${replay}`).toBe(true);
      s.runUntilCondition(() => names.every((n) => member(cluster, n).status().ready), s.nowMs + 20_000);
      const voters = votersOf(cluster, "m1");

      cluster.crash("m3");
      const crashedMs = s.nowMs;
      const detected = s.runUntilCondition(
        () => seenAs(cluster, ["m1", "m2"], "m3", "dead"),
        crashedMs + detectionBoundMs,
      );
      expect(detected, `m3 not dead within ${detectionBoundMs} ms; replay: ${replay}`).toBe(true);
      console.log(
        `seed ${seed}: m3 dead at m1 and m2 ${s.nowMs - crashedMs} ms after the crash (bound ${detectionBoundMs} ms)`,
      );
      const deadIncarnation = peer(cluster, "m1", "m3")?.incarnation ?? Number.POSITIVE_INFINITY;
      // SWIM informs, never decides: the replica sets are those Raft committed (T10).
      expect(votersOf(cluster, "m1"), `voters changed on a SWIM verdict; replay: ${replay}`).toBe(voters);

      cluster.restart("m3");
      const back = s.runUntilCondition(
        () =>
          seenAs(cluster, ["m1", "m2"], "m3", "alive") &&
          seenAs(cluster, ["m3"], "m1", "alive") &&
          seenAs(cluster, ["m3"], "m2", "alive"),
        s.nowMs + detectionBoundMs,
      );
      expect(back, `m3 not alive again; replay: ${replay}`).toBe(true);
      for (const observer of ["m1", "m2"]) {
        const incarnation = peer(cluster, observer, "m3")?.incarnation ?? -1;
        expect(
          incarnation,
          `${observer} sees m3 at no higher incarnation; replay: ${replay}`,
        ).toBeGreaterThan(deadIncarnation);
      }
      expect(peer(cluster, "m3", "m3")?.state).toBe("self");
      expect(member(cluster, "m3").status().incarnation).toBeGreaterThan(deadIncarnation);

      // Graceful stop: the leave is gossiped before the member goes.
      // (Promise callbacks do not run inside the synchronous scheduler, so poll the driver: it
      // stops itself once the leave has been sent its full number of times.)
      const leaving = member(cluster, "m2");
      void leaving.handOff(2_000);
      const gossiped = s.runUntilCondition(() => leaving.swim.stopped, s.nowMs + 5_000);
      expect(gossiped, `leave never disseminated; replay: ${replay}`).toBe(true);
      cluster.stopNode("m2");
      const left = s.runUntilCondition(() => seenAs(cluster, ["m1", "m3"], "m2", "left"), s.nowMs + 10_000);
      expect(left, `m2's leave not seen; replay: ${replay}`).toBe(true);
      expect(votersOf(cluster, "m1"), `voters changed on a leave; replay: ${replay}`).toBe(voters);
    });
  }
});
