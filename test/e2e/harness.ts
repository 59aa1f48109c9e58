// Real-process harness for the end-to-end tests: spawns `shoal start` members (src/cli/main.ts,
// the real CP machine) on 127.0.0.1, polls their admin endpoints with deadlines, runs CLI and
// client processes, kills and stops only the PIDs it spawned.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  freePort,
  type MemberProcess,
  memberPlan,
  root,
  runProcess,
  spawnMember,
} from "../support/processes.js";

/** Polls `condition` every `intervalMs` until it holds or `deadlineMs` passes. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  deadlineMs: number,
  intervalMs = 100,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
}

export { freePort, root, runProcess };
export type { MemberProcess };

/** The status a member's admin endpoint reports (the fields the tests read). */
export interface StatusView {
  readonly groups?: readonly {
    readonly group: number;
    readonly role: string;
    readonly leader: string | null;
  }[];
}

/** Three (or more) `shoal start` processes forming one cluster. */
export class E2eCluster {
  readonly members: MemberProcess[] = [];
  readonly folder = mkdtempSync(join(tmpdir(), "shoal-e2e-"));
  readonly secret = "e2e-secret";
  readonly secretFile: string;

  private constructor(readonly partitions: number) {
    this.secretFile = join(this.folder, "secret");
    writeFileSync(this.secretFile, `${this.secret}\n`);
  }

  /** Starts `size` members and waits until a client can reach every group's leader. */
  static async start(size: number, partitions: number): Promise<E2eCluster> {
    const cluster = new E2eCluster(partitions);
    cluster.members.push(...(await memberPlan(cluster.folder, "n", size)));
    for (const member of cluster.members) cluster.spawn(member);
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.listen);
  }

  /** (Re)starts one member with its original flags and data folder. */
  spawn(member: MemberProcess): void {
    const flags = ["--expect", String(this.members.length), "--partitions", String(this.partitions)];
    spawnMember(member, "src/cli/main.ts", this.members, [...flags, "--secret-file", this.secretFile]);
  }

  /** The member's /api/status, or null when it does not answer. */
  async status(member: MemberProcess): Promise<StatusView | null> {
    try {
      const response = await fetch(`http://${member.admin}/api/status`, {
        signal: AbortSignal.timeout(1_000),
      });
      return response.ok ? ((await response.json()) as StatusView) : null;
    } catch {
      return null;
    }
  }

  /** The member that leads `group` according to any live member, or null. */
  async leaderOf(group: number): Promise<MemberProcess | null> {
    for (const member of this.members) {
      if (!this.isRunning(member)) continue;
      const status = await this.status(member);
      const row = status?.groups?.find((g) => g.group === group);
      if (row?.role === "leader") return member;
    }
    return null;
  }

  isRunning(member: MemberProcess): boolean {
    return member.child.exitCode === null && member.child.signalCode === null;
  }

  /** Sends `signal` to one member's PID; for SIGKILL waits until it is gone. */
  async signal(member: MemberProcess, signal: NodeJS.Signals): Promise<void> {
    if (!this.isRunning(member)) return;
    if (signal !== "SIGKILL") {
      member.child.kill(signal);
      return;
    }
    const exited = new Promise<void>((resolve) => member.child.once("exit", () => resolve()));
    member.child.kill("SIGKILL");
    await exited;
  }

  /** Stops every member this harness started (SIGCONT first, then SIGKILL) and removes the data. */
  async stopAll(): Promise<void> {
    for (const member of this.members) {
      if (!this.isRunning(member)) continue;
      member.child.kill("SIGCONT");
      await this.signal(member, "SIGKILL");
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}
