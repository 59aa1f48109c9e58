// Shared setup of the simulator tests of Member: three members m1..m3 with small WAL segments and
// frequent snapshots (so snapshots and compaction happen within a short run), a client process
// that talks the client protocol, and a lossy-links profile whose lost replies make clients retry.

import type { Environment } from "../../src/env/environment.js";
import { Member, type MemberOptions, memberOptionsDefault } from "../../src/runtime/index.js";
import type { LinkFaults, Process, SimCluster, SimEnvironment } from "../../src/sim/index.js";
import { type Address, nodeId } from "../../src/types.js";
import { TestClient } from "../fixtures/test_client.js";
import { createTestMachine } from "../fixtures/test_machine.js";

/** The members' names, which are also their simulated addresses. */
export const simMemberNames = ["m1", "m2", "m3"] as const;

/** Options of member `name` in a cluster of {@link simMemberNames} with `partitionCount` partitions. */
export function simMemberOptions(name: string, partitionCount: number): MemberOptions {
  const base = memberOptionsDefault(nodeId(name), createTestMachine);
  return {
    ...base,
    clusterName: "sim",
    join: simMemberNames.map((n) => n as Address),
    expect: simMemberNames.length,
    partitionCount,
    snapshotEntries: 16,
    checkInvariants: true,
    wal: {
      ...base.wal,
      segmentBytes: 256 * 1024,
      bufferBytesMax: 64 * 1024,
      recordPayloadBytesMax: 64 * 1024,
    },
  };
}

/** A simulated client process with one TestClient that knows every member. */
export class SimClientProcess implements Process {
  readonly client: TestClient;
  constructor(environment: SimEnvironment, clientId = "client-1") {
    this.client = new TestClient(
      environment.transport,
      environment.clock,
      simMemberNames.map((n) => n as Address),
      clientId,
    );
  }
  stop(): void {}
}

/** Loss, duplication and reordering on every link (lost replies make clients retry: H10). */
export const lossyLinks: LinkFaults = {
  delayMsMin: 1,
  delayMsMean: 5,
  lossProbability: 0.05,
  duplicateProbability: 0.05,
};

/**
 * Adds members m1..m3 (started, with `optionsOf(name)`) and one client process to `cluster`.
 * `environmentOf` may wrap a member's environment (a recording logger, say).
 */
export function simMembersAdd(
  cluster: SimCluster<Process>,
  optionsOf: (name: string) => MemberOptions,
  environmentOf: (environment: SimEnvironment, name: string) => Environment = (environment) => environment,
): void {
  for (const name of simMemberNames) {
    cluster.addNode(name, (environment) => {
      const member = new Member(environmentOf(environment as SimEnvironment, name), optionsOf(name));
      member.start();
      return member;
    });
  }
  cluster.addNode("client", (environment) => new SimClientProcess(environment as SimEnvironment));
}

/** The running Member called `name`. */
export function simMember(cluster: SimCluster<Process>, name: string): Member {
  return cluster.process(name) as Member;
}
