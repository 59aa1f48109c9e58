// Goal: three real `shoal start` processes on 127.0.0.1 form a cluster with 64 data groups, elect a
// leader in every group, serve CP writes, survive kill -9 of the leader of group 0 and of a data
// group (re-election measured and bounded; the killed member restarts from its data and catches
// up to identical state digests), keep serving after random bytes, an oversized frame and a wrong
// secret, and cost little CPU at rest. Method: spawn the processes, poll /readyz and /api/status
// with deadlines, drive writes through a test client over a real TcpTransport, kill only our PIDs.

import { execFile } from "node:child_process";
import { connect } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assert } from "../../src/lib/assert.js";
import type { AdminStatus } from "../../src/admin/index.js";
import type { TestOutcome } from "../fixtures/test_client.js";
import { type MemberProcess, ProcessCluster, statusOf, waitFor } from "./harness.js";

const run = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;
const partitions = 64;
/** Election timeout of the member defaults (10 ticks of 50 ms, randomised up to twice). */
const electionTimeoutMsMax = 1_000;
/** Margin for pre-vote, vote, fsyncs and a loaded CI machine. */
const reelectionMarginMs = 5_000;

let cluster: ProcessCluster;

async function statuses(): Promise<Map<string, AdminStatus>> {
  const out = new Map<string, AdminStatus>();
  for (const member of cluster.members) {
    if (!cluster.isRunning(member)) continue;
    const status = await statusOf(member);
    if (status !== null) out.set(member.name, status);
  }
  return out;
}

async function allReady(): Promise<boolean> {
  const all = await statuses();
  return all.size === cluster.members.length && [...all.values()].every((s) => s.ready);
}

/** Problems with replica agreement: per group, every running replica at the same applied index and digest. */
async function divergence(): Promise<string[]> {
  const byGroup = new Map<number, string[]>();
  for (const [name, status] of await statuses()) {
    for (const g of status.groups) {
      const row = byGroup.get(g.group) ?? [];
      row.push(`${name}:${g.applied}:${g.digest}`);
      byGroup.set(g.group, row);
    }
  }
  const problems: string[] = [];
  for (const [group, row] of byGroup) {
    if (new Set(row.map((r) => r.slice(r.indexOf(":") + 1))).size !== 1)
      problems.push(`group ${group}: ${row.join(" ")}`);
  }
  return problems;
}

async function writes(count: number, prefix: string): Promise<TestOutcome[]> {
  const { client, close } = await cluster.client(`client-${prefix}`);
  const outcomes: TestOutcome[] = [];
  try {
    for (let i = 0; i < count; i++) {
      outcomes.push(
        await client.run({ structure: "atomic-long", op: "add", name: `${prefix}${i % 4}`, delta: 1 }),
      );
    }
    for (let i = 0; i < 4; i++)
      outcomes.push(await client.run({ structure: "atomic-long", op: "get", name: `${prefix}${i}` }));
  } finally {
    await close();
  }
  return outcomes;
}

/** Kills the leader of `group`, returns the re-election time in ms, restarts it and waits for catch-up. */
async function killLeaderAndRecover(group: number): Promise<number> {
  const all = await statuses();
  // The leader of the highest term any member reports (a deposed leader may not know it yet).
  let victim: MemberProcess | null = null;
  let leaderTerm = -1;
  for (const member of cluster.members) {
    const g = all.get(member.name)?.groups.find((x) => x.group === group && x.role === "leader");
    if (g !== undefined && g.term > leaderTerm) {
      victim = member;
      leaderTerm = g.term;
    }
  }
  assert(victim !== null, `group ${group} has no leader`);
  const oldTerm = all.get(victim.name)?.groups.find((g) => g.group === group)?.term ?? 0;
  const startMs = Date.now();
  await cluster.kill9(victim);
  const elected = await waitFor(async () => {
    for (const status of (await statuses()).values()) {
      const g = status.groups.find((x) => x.group === group);
      if (g !== undefined && g.leader !== null && g.leader !== victim.name && g.term > oldTerm) return true;
    }
    return false;
  }, 20_000);
  const reelectionMs = Date.now() - startMs;
  expect(elected, `group ${group} elected no new leader`).toBe(true);
  const during = await writes(8, `g${group}x`);
  expect(during.filter((o) => o.kind !== "ok")).toEqual([]);
  cluster.spawn(victim);
  expect(await waitFor(allReady, 30_000), "the restarted member did not become ready").toBe(true);
  const caughtUp = await waitFor(async () => (await divergence()).length === 0, 30_000);
  expect(caughtUp, `replicas differ: ${(await divergence()).slice(0, 3).join("; ")}`).toBe(true);
  return reelectionMs;
}

describe("three shoal start processes", () => {
  beforeAll(async () => {
    cluster = await ProcessCluster.start(3, partitions);
  }, 20_000);

  afterAll(async () => {
    await cluster?.stopAll();
  });

  it("form a cluster and elect a leader in every group", async () => {
    // One snapshot in which all three members are ready (every hosted group knows a leader) and
    // see each other alive; leader balancing may briefly leave a group between leaders after it.
    let snapshot = new Map<string, AdminStatus>();
    const formed = async (): Promise<boolean> => {
      snapshot = await statuses();
      const states = [...snapshot.values()].map((s) =>
        s.members
          .map((m) => m.state)
          .sort()
          .join(","),
      );
      return (await allReady()) && snapshot.size === 3 && states.every((s) => s === "alive,alive,self");
    };
    expect(
      await waitFor(formed, 40_000),
      cluster.members.map((m) => m.log.slice(-3).join("\n")).join("\n"),
    ).toBe(true);
    const groups = new Set<number>();
    for (const status of snapshot.values()) {
      expect(status.groups.length).toBeGreaterThan(0);
      for (const g of status.groups) groups.add(g.group);
    }
    expect(groups.size).toBe(partitions + 1);
  }, 60_000);

  it("agree between shoal status --json and /api/status", async () => {
    const member = cluster.members[0] as MemberProcess;
    const view = (s: AdminStatus) => ({
      nodeId: s.nodeId,
      members: s.members.map((m) => [m.nodeId, m.address, m.adminAddress, m.state]),
      groups: s.groups.map((g) => [g.group, g.leader, g.term, g.voters]),
    });
    // Leader balancing may move leaders meanwhile: compare on a read bracketed by two equal API reads.
    let compared = false;
    for (let attempt = 0; attempt < 5 && !compared; attempt++) {
      const before = view((await statusOf(member)) as AdminStatus);
      const cli = await run(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "status", "--endpoint", member.admin, "--json"],
        { cwd: root },
      );
      const after = view((await statusOf(member)) as AdminStatus);
      if (JSON.stringify(before) !== JSON.stringify(after)) continue;
      expect(view(JSON.parse(cli.stdout) as AdminStatus)).toEqual(after);
      compared = true;
    }
    expect(compared, "the status never held still for one CLI read").toBe(true);
    const fromApi = (await statusOf(member)) as AdminStatus;
    const table = await run(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "status", "--endpoint", member.admin],
      { cwd: root },
    );
    expect(table.stdout).toContain(`member ${member.name}`);
    expect(table.stdout.split("\n").filter((l) => /^\d+\s/.test(l)).length).toBe(fromApi.groups.length);
  }, 30_000);

  it("apply CP writes once, identically on every replica", async () => {
    const outcomes = await writes(40, "a");
    expect(outcomes.filter((o) => o.kind !== "ok")).toEqual([]);
    expect(outcomes.slice(-4).map((o) => (o.kind === "ok" ? o.result : null))).toEqual([10, 10, 10, 10]);
    expect(await waitFor(async () => (await divergence()).length === 0, 10_000)).toBe(true);
  }, 60_000);

  it("re-elect after kill -9 of the leader of group 0 and of a data group, and catch up", async () => {
    const group0Ms = await killLeaderAndRecover(0);
    const dataMs = await killLeaderAndRecover(1 + 17);
    process.stdout.write(`re-election after kill -9: group 0 ${group0Ms} ms, data group ${dataMs} ms\n`);
    expect(group0Ms).toBeLessThan(electionTimeoutMsMax + reelectionMarginMs);
    expect(dataMs).toBeLessThan(electionTimeoutMsMax + reelectionMarginMs);
  }, 150_000);

  it("keep serving after random bytes, an oversized frame and a wrong secret", async () => {
    const target = cluster.members[1] as MemberProcess;
    const [host, port] = target.listen.split(":") as [string, string];
    const logBefore = target.log.length;
    const sendRaw = (bytes: Uint8Array): Promise<void> =>
      new Promise((resolve) => {
        const socket = connect({ host, port: Number(port) }, () => socket.write(bytes));
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        socket.on("end", () => resolve());
        socket.on("data", () => {});
        socket.setTimeout(5_000, () => socket.destroy());
      });
    const garbage = new Uint8Array(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    await sendRaw(garbage);
    const oversized = new Uint8Array(8);
    new DataView(oversized.buffer).setUint32(0, 0x7fff_ffff, false);
    await sendRaw(oversized);
    const wrong = new ProcessClusterWrongSecret(cluster);
    await wrong.tryWrite();
    const closes = () => target.log.slice(logBefore).filter((l) => l.includes("transport.connection_closed"));
    expect(await waitFor(() => closes().length >= 3, 10_000), target.log.slice(logBefore).join("\n")).toBe(
      true,
    );
    expect(closes().length).toBe(3);
    const after = await writes(8, "bad");
    expect(after.filter((o) => o.kind !== "ok")).toEqual([]);
    // Every member still ready (polled: a group may be between leaders for a moment under load).
    expect(await waitFor(allReady, 15_000)).toBe(true);
  }, 60_000);

  it("cost little CPU at rest with 64 groups", async () => {
    const member = cluster.members[0] as MemberProcess;
    // At rest: leaders and terms held still for a second (restarts and balancing are over).
    const view = async (): Promise<string> =>
      JSON.stringify([...(await statuses()).values()].map((s) => s.groups.map((g) => [g.leader, g.term])));
    let previous = "";
    await waitFor(async () => {
      const current = await view();
      const still = current === previous;
      previous = current;
      if (!still) await new Promise((resolve) => setTimeout(resolve, 1_000));
      return still;
    }, 20_000);
    const first = (await statusOf(member)) as AdminStatus;
    const startMs = Date.now();
    await waitFor(() => Date.now() - startMs >= 3_000, 5_000);
    const second = (await statusOf(member)) as AdminStatus;
    const cpuMicros =
      second.process.cpuUserMicros +
      second.process.cpuSystemMicros -
      first.process.cpuUserMicros -
      first.process.cpuSystemMicros;
    const percent = (cpuMicros / 1000 / (Date.now() - startMs)) * 100;
    const leads = [...(await statuses()).values()].map(
      (s) => `${s.nodeId} leads ${s.groups.filter((g) => g.role === "leader").length}`,
    );
    process.stdout.write(
      `at rest, ${second.groups.length} groups: CPU ${percent.toFixed(1)} %, RSS ${(second.process.rssBytes / 2 ** 20).toFixed(0)} MiB; ${leads.join(", ")}\n`,
    );
    expect(percent).toBeLessThan(25);
  }, 40_000);

  it("leave gracefully on SIGTERM: hand off leaderships, exit 0, the others keep serving", async () => {
    const leaving = cluster.members[2] as MemberProcess;
    const led = ((await statusOf(leaving))?.groups ?? []).filter((g) => g.role === "leader").length;
    const exited = new Promise<number | null>((resolve) =>
      leaving.child.once("exit", (code) => resolve(code)),
    );
    leaving.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(leaving.log.some((l) => l.includes("member.hand_off"))).toBe(true);
    expect(leaving.log.some((l) => l.includes("member.stopped"))).toBe(true);
    const everyGroupLed = async (): Promise<boolean> => {
      const leaders = new Set<number>();
      for (const status of (await statuses()).values()) {
        for (const g of status.groups) if (g.role === "leader") leaders.add(g.group);
      }
      return leaders.size === partitions + 1;
    };
    expect(await waitFor(everyGroupLed, 10_000), `after ${leaving.name} (leading ${led}) left`).toBe(true);
    const after = await writes(4, "leave");
    expect(after.filter((o) => o.kind !== "ok")).toEqual([]);
  }, 60_000);
});

/** A client that dials with the wrong secret: its handshake fails and the member logs one line. */
class ProcessClusterWrongSecret {
  constructor(private readonly cluster: ProcessCluster) {}

  async tryWrite(): Promise<void> {
    const { TcpTransport, NodeClock, tcpTransportConfigDefault } = await import(
      "../../src/platform/node/index.js"
    );
    const { limitsDefault } = await import("../../src/limits.js");
    const { silentLogger } = await import("../../src/env/logger.js");
    const transport = await TcpTransport.listen({
      host: "127.0.0.1",
      port: 0,
      clusterName: "shoal",
      secret: new TextEncoder().encode("not-the-secret"),
      limits: limitsDefault(),
      config: tcpTransportConfigDefault(),
      clock: new NodeClock({ timersKeepAlive: false }),
      logger: silentLogger,
      seed: 9,
    });
    const target = this.cluster.members[1] as MemberProcess;
    transport.send(target.listen as never, new Uint8Array([1, 2, 3]));
    await waitFor(() => target.log.some((l) => l.includes("handshake failed")), 5_000);
    await transport.closeAndWait();
  }
}
