// The systems the bench drives, each started on 127.0.0.1 by the bench itself and stopped by the
// PIDs it spawned: a Shoal cluster of `shoal start` members, a 3-member etcd cluster with separate
// data folders, and a redis-server with AOF. Readiness is polled with deadlines, never slept on.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Deadlines of the peer lifecycle; units last. */
export const peerLimits = {
  /** Longest a cluster may take to become ready. */
  readyMs: 60_000,
  /** How long a stopped process gets after SIGTERM before SIGKILL. */
  stopGraceMs: 5_000,
  /** Poll interval while waiting. */
  pollMs: 100,
  /** Lines of a child's output kept for error messages. */
  logLinesMax: 200,
} as const;

export const repositoryRoot = new URL("..", import.meta.url).pathname;

/** Returns a port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `condition` until it holds or `deadlineMs` passes. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  deadlineMs: number,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, peerLimits.pollMs));
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
}

/** A spawned child with its recent output. */
export class Child {
  readonly log: string[] = [];
  readonly process: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
  ) {
    this.process = spawn(command, args, { cwd: repositoryRoot, stdio: ["ignore", "pipe", "pipe"] });
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.length > 0) this.log.push(line);
      if (this.log.length > peerLimits.logLinesMax)
        this.log.splice(0, this.log.length - peerLimits.logLinesMax);
    };
    this.process.stdout?.on("data", collect);
    this.process.stderr?.on("data", collect);
    this.process.on("error", (error) => this.log.push(`spawn error: ${error.message}`));
  }

  get running(): boolean {
    return (
      this.process.pid !== undefined && this.process.exitCode === null && this.process.signalCode === null
    );
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when this PID has exited. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.process.once("exit", () => resolve()));
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), peerLimits.stopGraceMs);
    await exited;
    clearTimeout(timer);
  }

  tail(lines = 10): string {
    return this.log.slice(-lines).join("\n");
  }
}

/** Every child the bench started, for the SIGINT handler and the final `finally`. */
export const allChildren = new Set<Child>();

function track(child: Child): Child {
  allChildren.add(child);
  return child;
}

/** Stops every child the bench started. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...allChildren].map((child) => child.stop()));
  allChildren.clear();
}

/** Whether a program is on PATH. */
export function hasProgram(program: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" }).status === 0;
}

/** The first line a program prints for `args`, or "missing". */
export function programVersion(program: string, args: readonly string[]): string {
  const result = spawnSync(program, args, { encoding: "utf8" });
  if (result.status !== 0) return "missing";
  return (result.stdout.split("\n")[0] ?? "").trim();
}

/**
 * Installs the Debian packages for etcd and redis when their programs are missing. Returns a note
 * describing what happened; never throws (a peer that cannot be installed is reported, not fatal).
 */
export function ensurePeerPackages(): string {
  if (hasProgram("etcd") && hasProgram("redis-server")) return "etcd and redis-server already installed";
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
  if (update.status !== 0) return "apt-get update failed; peers that are missing are not measured";
  const install = spawnSync(
    "apt-get",
    ["install", "-y", "-qq", "etcd-server", "etcd-client", "redis-server"],
    {
      stdio: "ignore",
      env,
    },
  );
  return install.status === 0
    ? "installed etcd-server, etcd-client, redis-server with apt-get"
    : "apt-get install failed";
}

/** Members started as child processes: each can be killed and restarted with its original flags. */
abstract class ChildGroup {
  readonly folder: string;
  readonly children: Child[] = [];
  private readonly launches: { readonly label: string; readonly command: string; readonly args: string[] }[] =
    [];

  protected constructor(folderPrefix: string) {
    this.folder = mkdtempSync(join(tmpdir(), folderPrefix));
  }

  /** Starts one more member and remembers how, for restart(). */
  protected launch(label: string, command: string, args: string[]): void {
    this.launches.push({ label, command, args });
    this.children.push(track(new Child(label, command, args)));
  }

  /** SIGKILLs member `index` and waits until it has exited. */
  async kill(index: number): Promise<void> {
    const child = this.children[index];
    if (child === undefined || !child.running) return;
    const exited = new Promise<void>((resolve) => child.process.once("exit", () => resolve()));
    child.process.kill("SIGKILL");
    await exited;
    allChildren.delete(child);
  }

  /** Starts member `index` again with its original flags and data folder. */
  restart(index: number): void {
    const launch = this.launches[index];
    if (launch === undefined) throw new RangeError(`no member ${index}`);
    this.children[index] = track(new Child(launch.label, launch.command, launch.args));
  }

  /** Stops every member and removes the folder. */
  async stop(): Promise<void> {
    for (const child of this.children) {
      await child.stop();
      allChildren.delete(child);
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** A Shoal cluster of `size` `shoal start` processes. */
export class ShoalCluster extends ChildGroup {
  readonly secret = "bench-secret";
  readonly endpoints: string[] = [];
  readonly admins: string[] = [];

  /** `nodeArgs` go to every member's node before the script (e.g. --cpu-prof for `--profile`). */
  constructor(
    readonly size: number,
    readonly partitions: number,
    readonly nodeArgs: readonly string[] = [],
  ) {
    super("shoal-bench-");
  }

  async start(): Promise<void> {
    const secretFile = join(this.folder, "secret");
    writeFileSync(secretFile, `${this.secret}\n`);
    for (let i = 0; i < this.size; i++) {
      this.endpoints.push(`127.0.0.1:${await freePort()}`);
      this.admins.push(`127.0.0.1:${await freePort()}`);
    }
    for (let i = 0; i < this.size; i++) {
      const args = [...this.nodeArgs, "--import", "tsx", "src/cli/main.ts", "start", "--name", `n${i + 1}`];
      args.push("--exit-with-parent");
      args.push("--listen", this.endpoints[i] as string, "--admin", this.admins[i] as string);
      args.push("--data", join(this.folder, `n${i + 1}`), "--join", this.endpoints.join(","));
      args.push(
        "--expect",
        String(this.size),
        "--partitions",
        String(this.partitions),
        "--secret-file",
        secretFile,
      );
      this.launch(`shoal n${i + 1}`, process.execPath, args);
    }
    await this.waitAllGroupsLed();
  }

  /** Waits until every group has a leader that all members can see. */
  waitAllGroupsLed(): Promise<void> {
    return waitFor("every Shoal group to have a leader", () => this.allGroupsLed(), peerLimits.readyMs);
  }

  /** The index of the member leading `group`, or -1. */
  async leaderOf(group: number): Promise<number> {
    for (const [index, admin] of this.admins.entries()) {
      if (!this.children[index]?.running) continue;
      const response = await fetch(`http://${admin}/api/status`, {
        signal: AbortSignal.timeout(1_000),
      }).catch(() => null);
      if (response === null || !response.ok) continue;
      const status = (await response.json()) as { groups?: { group: number; role: string }[] };
      if (status.groups?.some((row) => row.group === group && row.role === "leader")) return index;
    }
    return -1;
  }

  private async allGroupsLed(): Promise<boolean> {
    const groups = new Set<number>();
    const led = new Set<number>();
    for (const admin of this.admins) {
      const response = await fetch(`http://${admin}/api/status`, { signal: AbortSignal.timeout(1_000) });
      if (!response.ok) return false;
      const status = (await response.json()) as { groups?: { group: number; role: string }[] };
      for (const row of status.groups ?? []) {
        groups.add(row.group);
        if (row.role === "leader") led.add(row.group);
      }
    }
    return groups.size >= this.partitions && led.size === groups.size;
  }
}

/** A 3-member (or `size`) etcd cluster with default durability. */
export class EtcdCluster extends ChildGroup {
  readonly clientUrls: string[] = [];

  /** `timing` adds flags such as --heartbeat-interval and --election-timeout (default: etcd's). */
  constructor(
    readonly size: number,
    readonly timing: readonly string[] = [],
  ) {
    super("etcd-bench-");
  }

  async start(ready: (hosts: string[]) => Promise<boolean>): Promise<void> {
    const peerUrls: string[] = [];
    for (let i = 0; i < this.size; i++) {
      this.clientUrls.push(`http://127.0.0.1:${await freePort()}`);
      peerUrls.push(`http://127.0.0.1:${await freePort()}`);
    }
    const initial = peerUrls.map((url, i) => `e${i + 1}=${url}`).join(",");
    for (let i = 0; i < this.size; i++) {
      const data = join(this.folder, `e${i + 1}`);
      mkdirSync(data, { recursive: true });
      const args = ["--name", `e${i + 1}`, "--data-dir", data];
      args.push(
        "--listen-client-urls",
        this.clientUrls[i] as string,
        "--advertise-client-urls",
        this.clientUrls[i] as string,
      );
      args.push(
        "--listen-peer-urls",
        peerUrls[i] as string,
        "--initial-advertise-peer-urls",
        peerUrls[i] as string,
      );
      args.push(
        "--initial-cluster",
        initial,
        "--initial-cluster-state",
        "new",
        "--initial-cluster-token",
        "bench",
      );
      args.push("--log-level", "error", ...this.timing);
      this.launch(`etcd e${i + 1}`, "etcd", args);
    }
    await waitFor(
      "the etcd cluster to accept a linearizable write and read",
      () => ready(this.clientUrls),
      peerLimits.readyMs,
    );
  }

  /** The index of the member etcd reports as leader (from `etcdctl endpoint status`), or -1. */
  leader(): number {
    const live = this.clientUrls.filter((_, i) => this.children[i]?.running === true);
    const result = spawnSync("etcdctl", ["--endpoints", live.join(","), "endpoint", "status", "-w", "json"], {
      encoding: "utf8",
      timeout: 5_000,
    });
    // Member ids are 64-bit: compare them as digit strings, never as parsed numbers.
    for (const entry of result.stdout.split('{"Endpoint":').slice(1)) {
      const url = /^"([^"]+)"/.exec(entry)?.[1];
      const member = /"member_id":(\d+)/.exec(entry)?.[1];
      const leader = /"leader":(\d+)/.exec(entry)?.[1];
      if (url !== undefined && member !== undefined && member === leader) return this.clientUrls.indexOf(url);
    }
    return -1;
  }
}

/** One redis-server with AOF in the given fsync mode, no RDB snapshots. */
export class RedisServer {
  readonly folder = mkdtempSync(join(tmpdir(), "redis-bench-"));
  child: Child | null = null;
  port = 0;

  constructor(readonly appendfsync: "everysec" | "always") {}

  async start(ready: (port: number) => Promise<boolean>): Promise<void> {
    this.port = await freePort();
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.folder];
    args.push("--appendonly", "yes", "--appendfsync", this.appendfsync, "--save", "", "--daemonize", "no");
    this.child = track(new Child(`redis ${this.appendfsync}`, "redis-server", args));
    await waitFor(
      `redis-server (${this.appendfsync}) to answer PING`,
      () => ready(this.port),
      peerLimits.readyMs,
    );
  }

  async stop(): Promise<void> {
    if (this.child !== null) {
      await this.child.stop();
      allChildren.delete(this.child);
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}
