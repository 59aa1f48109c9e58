// Pieces every real-process test shares: a free loopback port, the record of one spawned member,
// a plan of members with their ports and data folders, spawning one with its output captured
// (bounded), running a tsx script to its end with a deadline, and a SIGTERM that waits for the exit. The harnesses in test/cluster and test/e2e build on these; each kills only the PIDs
// it spawned.

import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

/** The repository root, the working folder of every spawned member. */
export const root = new URL("../..", import.meta.url).pathname;

/** Most output lines kept per member; older lines are dropped. */
const memberLogLinesMax = 2_000;

/** Returns a port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One spawned member. */
export interface MemberProcess {
  readonly name: string;
  readonly listen: string;
  readonly admin: string;
  readonly data: string;
  child: ChildProcess;
  log: string[];
}

/** Plans `size` members named `${prefix}1..`, each with free ports and a data folder in `folder`. */
export async function memberPlan(folder: string, prefix: string, size: number): Promise<MemberProcess[]> {
  const members: MemberProcess[] = [];
  for (let i = 1; i <= size; i++) {
    members.push({
      name: `${prefix}${i}`,
      listen: `127.0.0.1:${await freePort()}`,
      admin: `127.0.0.1:${await freePort()}`,
      data: join(folder, `${prefix}${i}`),
      child: null as unknown as ChildProcess,
      log: [],
    });
  }
  return members;
}

/**
 * Spawns `shoal start` for `member` through `entry` (a .ts file run with tsx), joining `members`,
 * with `extraArgs` appended; its output lines are collected in `member.log`.
 */
export function spawnMember(
  member: MemberProcess,
  entry: string,
  members: readonly MemberProcess[],
  extraArgs: readonly string[],
): void {
  const joinList = members.map((m) => m.listen).join(",");
  const args = ["--import", "tsx", entry, "start", "--name", member.name];
  args.push("--listen", member.listen, "--admin", member.admin, "--data", member.data, "--join", joinList);
  args.push(...extraArgs);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  member.child = child;
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.length > 0) member.log.push(line);
    if (member.log.length > memberLogLinesMax) member.log.splice(0, member.log.length - memberLogLinesMax);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
}

/** Runs a process to its end with a deadline; kills it (by PID) if it overruns. */
export function runProcess(
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Sends SIGTERM to a member this test spawned and resolves with its exit code once it exits. */
export async function sigtermAndWait(member: MemberProcess): Promise<number | null> {
  const child = member.child;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return exited;
}
