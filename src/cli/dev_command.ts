// `shoal dev` (what `npm start` runs): a local cluster of three `shoal start` members as child
// processes on 127.0.0.1 (client ports 7401–7403, admin ports 7071–7073), data under ./data/n1..n3,
// their logs in this terminal prefixed by member. Ctrl-C (or SIGTERM) sends SIGTERM to each child
// by PID and waits for all of them (SIGKILL after a deadline). Started again over the same folder,
// the members recover from their write-ahead logs and the cluster resumes with its data.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";

interface DevFlags {
  members: string;
  data: string;
  clientPort: string;
  adminPort: string;
  partitions: string;
  verbose?: boolean;
}

/** Longest a member may take to stop after SIGTERM before it gets SIGKILL. */
const stopMsMax = 10_000;

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
}

/** The command that runs `shoal` again: the same entry file, through tsx when it is TypeScript. */
function shoalCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  const isSource = self.endsWith(".ts");
  const main = join(dirname(self), isSource ? "main.ts" : "main.js");
  // Resolved from this package, so that `shoal dev` works from any folder.
  return isSource ? ["--import", import.meta.resolve("tsx"), main] : [main];
}

/** Info events shown without --verbose: the ones that tell a story (start, formation, stop). */
const infoShown = /start|form|signal|stop|hand|recover/;

/** One log line of a member, shortened (level, event, fields), or null when it is filtered out. */
function logLine(name: string, line: string, verbose: boolean): string | null {
  try {
    const event = JSON.parse(line) as Record<string, unknown>;
    const {
      level,
      event: kind,
      msg: _msg,
      time: _time,
      pid: _pid,
      hostname: _host,
      node: _node,
      ...rest
    } = event;
    const msg = kind;
    const quiet =
      level === "debug" || level === "trace" || (level === "info" && !infoShown.test(String(msg)));
    if (quiet && !verbose) return null;
    const fields = Object.keys(rest).length === 0 ? "" : ` ${JSON.stringify(rest)}`;
    return `[${name}] ${String(level ?? "")} ${String(msg ?? "")}${fields}`;
  } catch {
    return `[${name}] ${line}`;
  }
}

function spawnMember(name: string, args: readonly string[], verbose: boolean): Child {
  const child = spawn(process.execPath, [...shoalCommand(), "start", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on("line", (line) => {
      const shown = logLine(name, line, verbose);
      if (shown !== null) process.stdout.write(`${shown}\n`);
    });
  }
  const exited = new Promise<void>((resolveExit) => {
    child.once("exit", (code, signal) => {
      process.stdout.write(`[${name}] exited (${signal ?? `code ${code}`})\n`);
      resolveExit();
    });
  });
  return { name, process: child, exited };
}

async function stopAll(children: readonly Child[]): Promise<void> {
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGTERM");
  }
  const deadline = setTimeout(() => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
  }, stopMsMax);
  await Promise.all(children.map((child) => child.exited));
  clearTimeout(deadline);
}

function portOf(text: string, flag: string): number {
  const port = Number(text);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65_535) throw new Error(`${flag} must be a port`);
  return port;
}

async function runDev(flags: DevFlags): Promise<void> {
  const count = Number(flags.members);
  if (!Number.isSafeInteger(count) || count < 1 || count > 9) throw new Error("--members must be 1..9");
  const clientPort = portOf(flags.clientPort, "--client-port");
  const adminPort = portOf(flags.adminPort, "--admin-port");
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const listen = names.map((_, i) => `127.0.0.1:${clientPort + i}`);
  const admin = names.map((_, i) => `127.0.0.1:${adminPort + i}`);
  const children = names.map((name, i) => {
    const data = resolve(flags.data, name);
    mkdirSync(data, { recursive: true });
    const args = ["--name", name, "--listen", listen[i]!, "--admin", admin[i]!, "--data", data];
    args.push("--join", listen.join(","), "--expect", String(count), "--partitions", flags.partitions);
    args.push("--exit-with-parent");
    return spawnMember(name, args, flags.verbose === true);
  });
  process.stdout.write(
    [
      `Shoal: ${count} members on 127.0.0.1, data under ${resolve(flags.data)}`,
      ...names.map((name, i) => `  ${name}  client ${listen[i]}   dashboard http://${admin[i]}/`),
      "Try:  npm run shoal -- map put accounts alice 100   (then: map get accounts alice)",
      "Ctrl-C stops every member; `npm start` again resumes with the same data.",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping ${count} members...\n`);
    stopAll(children).then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  await Promise.all(children.map((child) => child.exited));
  if (!stopping) {
    process.stdout.write("every member has exited\n");
    process.exitCode = 1;
  }
}

/** Registers `shoal dev`. */
export function registerDevCommand(program: Command): void {
  program
    .command("dev")
    .description("run a local three-member cluster (what `npm start` runs)")
    .option("--members <n>", "members to run", "3")
    .option("--data <dir>", "data folder (one sub-folder per member)", "data")
    .option("--client-port <port>", "first member's client port", "7401")
    .option("--admin-port <port>", "first member's admin port", "7071")
    .option("--partitions <p>", "partitions, fixed when the cluster first forms", "16")
    .option("--verbose", "show the members' info logs, not only warnings")
    .action(async (flags: DevFlags) => {
      await runDev(flags);
    });
}
