// Real-process harness: spawns `shoal start` members (test/fixtures/member_main.ts, the same start
// command with the test machine) on 127.0.0.1, polls their admin endpoints with deadlines, kills
// only the PIDs it spawned, and connects test clients over a real TcpTransport.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AdminStatus } from "../../src/admin/index.js";
import { silentLogger } from "../../src/env/logger.js";
import { limitsDefault } from "../../src/limits.js";
import { NodeClock, TcpTransport, tcpTransportConfigDefault } from "../../src/platform/node/index.js";
import type { Address } from "../../src/types.js";
import { TestClient } from "../fixtures/test_client.js";
import { type MemberProcess, memberPlan, spawnMember } from "../support/processes.js";

export type { MemberProcess };

/** A cluster of spawned members. */
export class ProcessCluster {
  readonly members: MemberProcess[] = [];
  readonly folder = mkdtempSync(join(tmpdir(), "shoal-cluster-"));
  readonly secretFile: string;
  readonly secret = "cluster-test-secret";

  private constructor(
    readonly size: number,
    readonly partitions: number,
  ) {
    this.secretFile = join(this.folder, "secret");
    writeFileSync(this.secretFile, `${this.secret}\n`);
  }

  /** Starts `size` members that form one cluster. */
  static async start(size: number, partitions: number): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(size, partitions);
    cluster.members.push(...(await memberPlan(cluster.folder, "m", size)));
    for (const member of cluster.members) cluster.spawn(member);
    return cluster;
  }

  /** (Re)starts one member with its original flags and data folder. */
  spawn(member: MemberProcess): void {
    const flags = ["--expect", String(this.size), "--partitions", String(this.partitions)];
    spawnMember(member, "test/fixtures/member_main.ts", this.members, [
      ...flags,
      "--secret-file",
      this.secretFile,
    ]);
  }

  /** kill -9 of one member; resolves once the process is gone. */
  async kill9(member: MemberProcess): Promise<void> {
    const child = member.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  /** Stops every member this harness started (SIGKILL, by PID). */
  async stopAll(): Promise<void> {
    for (const member of this.members) await this.kill9(member);
  }

  /** Whether the member's process is running. */
  isRunning(member: MemberProcess): boolean {
    return member.child.exitCode === null && member.child.signalCode === null;
  }

  /** A client over a real TcpTransport with the cluster's secret. */
  async client(clientId: string): Promise<{ client: TestClient; close: () => Promise<void> }> {
    const clock = new NodeClock({ timersKeepAlive: false });
    const transport = await TcpTransport.listen({
      host: "127.0.0.1",
      port: 0,
      clusterName: "shoal",
      secret: new TextEncoder().encode(this.secret),
      limits: limitsDefault(),
      config: tcpTransportConfigDefault(),
      clock,
      logger: silentLogger,
      seed: 7,
    });
    const members = this.members.map((m) => m.listen as Address);
    const client = new TestClient(transport, clock, members, clientId);
    return { client, close: () => transport.closeAndWait() };
  }
}

/** Reads a member's /api/status; null when it does not answer. */
export async function statusOf(member: MemberProcess): Promise<AdminStatus | null> {
  try {
    const response = await fetch(`http://${member.admin}/api/status`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? ((await response.json()) as AdminStatus) : null;
  } catch {
    return null;
  }
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
