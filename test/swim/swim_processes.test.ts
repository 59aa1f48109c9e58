// Goal: SWIM on real processes and real sockets. Five members on 127.0.0.1 (UDP, the real clock,
// the same core and driver as production); one is killed with SIGKILL, and every other member
// must declare it dead within the bound computed from the configuration; a member stopped with
// SIGTERM must be reported as left, not dead. Method: spawn test/swim/fixtures/member.ts, read its
// JSON event lines, poll conditions with deadlines; every child is killed by PID in `finally`.

import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { failureDetectionBoundTicks, swimConfigLan } from "../../src/protocol/swim/index.js";

const root = resolve(import.meta.dirname, "..", "..");
const fixture = resolve(import.meta.dirname, "fixtures", "member.ts");
const tickMs = 10;
const timeScale = 5;
const memberCount = 5;
/** Allowance for process scheduling on a loaded two-core machine. */
const slackMs = 3_000;

interface MemberLine {
  readonly member: string;
  readonly wallMs: number;
  readonly kind: string;
  readonly address?: string;
  readonly event?: string;
  readonly subject?: string;
}

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly lines: MemberLine[];
}

const children: Child[] = [];

function spawnMember(name: string, seeds: readonly string[]): Child {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      fixture,
      "--name",
      name,
      "--seeds",
      seeds.join(","),
      "--time-scale",
      String(timeScale),
      "--tick-ms",
      String(tickMs),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines: MemberLine[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (line.startsWith("{")) lines.push(JSON.parse(line) as MemberLine);
  });
  const record = { name, process: child, lines };
  children.push(record);
  return record;
}

async function waitFor(condition: () => boolean, deadlineMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > deadlineMs)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
}

function sawEvent(child: Child, event: string, subject: string): MemberLine | undefined {
  return child.lines.find(
    (line) => line.kind === "event" && line.event === event && line.subject === subject,
  );
}

async function startCluster(): Promise<Child[]> {
  const first = spawnMember("m0", []);
  await waitFor(() => first.lines.some((line) => line.kind === "listening"), 30_000, "m0 to listen");
  const seed = first.lines.find((line) => line.kind === "listening")!.address!;
  const members = [first];
  for (let i = 1; i < memberCount; i++) members.push(spawnMember(`m${i}`, [seed]));
  await waitFor(
    () =>
      members.every((child) =>
        members.every((other) => other === child || sawEvent(child, "joined", other.name)),
      ),
    60_000,
    "every member to see every other joined",
  );
  return members;
}

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.pid !== undefined) child.process.kill("SIGKILL");
  }
});

describe("swim on real processes over UDP loopback", () => {
  it("declares a kill -9'd member dead at every other member within the computed bound", async () => {
    const config = swimConfigLan(tickMs, timeScale);
    const boundMs = failureDetectionBoundTicks(config, memberCount) * tickMs;
    try {
      const members = await startCluster();
      const victim = members[memberCount - 1]!;
      const killedMs = Date.now();
      victim.process.kill("SIGKILL");
      const survivors = members.filter((child) => child !== victim);
      await waitFor(
        () => survivors.every((child) => sawEvent(child, "dead", victim.name) !== undefined),
        boundMs + slackMs,
        `every survivor to declare ${victim.name} dead (bound ${boundMs} ms)`,
      );
      const detections = survivors.map((child) => sawEvent(child, "dead", victim.name)!.wallMs - killedMs);
      console.info(
        `kill -9 of ${victim.name}: declared dead after ${detections.join(", ")} ms (bound ${boundMs} ms)`,
      );
      for (const child of survivors) {
        const detectedMs = sawEvent(child, "dead", victim.name)!.wallMs - killedMs;
        expect(detectedMs).toBeLessThanOrEqual(boundMs);
      }
    } finally {
      for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
    }
  }, 120_000);

  it("reports a gracefully stopped member as left, not dead", async () => {
    try {
      const members = await startCluster();
      const leaver = members[1]!;
      leaver.process.kill("SIGTERM");
      const others = members.filter((child) => child !== leaver);
      await waitFor(
        () => others.every((child) => sawEvent(child, "left", leaver.name) !== undefined),
        10_000,
        `every member to see ${leaver.name} left`,
      );
      await waitFor(() => leaver.lines.some((line) => line.kind === "stopped"), 10_000, "the leaver to stop");
      for (const child of others) expect(sawEvent(child, "dead", leaver.name)).toBeUndefined();
    } finally {
      for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
    }
  }, 120_000);
});
