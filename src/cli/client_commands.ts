// The client commands of `shoal`: map, atomic, counter, set and lock. Each connects through
// --endpoint (default 127.0.0.1:7401), runs one operation and prints its result: the plain value,
// or with --json one JSON document. Errors print `error CODE: message` on standard error and exit 2;
// `map get` of a missing key prints nothing and exits 1. `lock run NAME -- COMMAND ...` holds the
// lock while COMMAND runs, renewing it every third of its TTL, with the fence in SHOAL_FENCE; if a
// renewal fails the command is sent SIGTERM (the lease is gone), and the exit code is COMMAND's.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { connect, type Shoal } from "../client/index.js";
import { ShoalError } from "../errors.js";

interface ClientFlags {
  endpoint: string;
  json?: boolean;
  cluster: string;
  secretFile?: string;
  timeoutMs: string;
}

function withClientFlags(command: Command): Command {
  return command
    .option("--endpoint <host:port>", "a member's client address", "127.0.0.1:7401")
    .option("--json", "print one JSON document")
    .option("--cluster <name>", "cluster name", "shoal")
    .option("--secret-file <file>", "file holding the cluster's shared secret")
    .option("--timeout-ms <ms>", "operation timeout", "10000");
}

async function session<T>(flags: ClientFlags, run: (shoal: Shoal) => Promise<T>): Promise<T> {
  const timeoutMs = Number(flags.timeoutMs);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
    throw new Error("--timeout-ms must be a positive integer");
  const secret = flags.secretFile === undefined ? undefined : readFileSync(flags.secretFile, "utf8").trim();
  const shoal = await connect({
    endpoints: [flags.endpoint],
    clusterName: flags.cluster,
    timeoutMs,
    ...(secret === undefined ? {} : { secret }),
  });
  try {
    return await run(shoal);
  } finally {
    await shoal.close();
  }
}

function print(flags: ClientFlags, value: unknown): void {
  if (flags.json === true) process.stdout.write(`${JSON.stringify(value ?? null)}\n`);
  else if (Array.isArray(value)) process.stdout.write(value.map((v) => `${plain(v)}\n`).join(""));
  else process.stdout.write(`${plain(value)}\n`);
}

function plain(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Runs one command action, turning errors into a message and exit code 2. */
function action<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (error) {
      const code = error instanceof ShoalError ? error.code : "ERROR";
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`error ${code}: ${message}\n`);
      process.exitCode = 2;
    }
  };
}

function integer(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${what} must be an integer, not "${text}"`);
  return value;
}

function registerMap(program: Command): void {
  const map = program.command("map").description("CP map of strings: get, put, del");
  withClientFlags(map.command("get <name> <key>")).action(
    action(async (name: string, key: string, flags: ClientFlags) => {
      const value = await session(flags, (shoal) => shoal.map<unknown>(name).get(key));
      if (flags.json === true) print(flags, value);
      else if (value === undefined) process.exitCode = 1;
      else print(flags, value);
    }),
  );
  withClientFlags(map.command("put <name> <key> <value>")).action(
    action(async (name: string, key: string, value: string, flags: ClientFlags) => {
      await session(flags, (shoal) => shoal.map<string>(name).put(key, value));
      print(flags, flags.json === true ? { ok: true } : "OK");
    }),
  );
  withClientFlags(map.command("del <name> <key>")).action(
    action(async (name: string, key: string, flags: ClientFlags) => {
      print(flags, await session(flags, (shoal) => shoal.map<unknown>(name).delete(key)));
    }),
  );
}

function registerAtomic(program: Command): void {
  const atomic = program.command("atomic").description("CP atomic long: get, incr");
  withClientFlags(atomic.command("get <name>")).action(
    action(async (name: string, flags: ClientFlags) => {
      print(flags, await session(flags, (shoal) => shoal.atomicLong(name).get()));
    }),
  );
  withClientFlags(atomic.command("incr <name> [n]")).action(
    action(async (name: string, n: string | undefined, flags: ClientFlags) => {
      const delta = n === undefined ? 1 : integer(n, "N");
      print(flags, await session(flags, (shoal) => shoal.atomicLong(name).addAndGet(delta)));
    }),
  );
}

function registerCounter(program: Command): void {
  const counter = program.command("counter").description("AP counter: get, incr");
  withClientFlags(counter.command("get <name>")).action(
    action(async (name: string, flags: ClientFlags) => {
      print(flags, await session(flags, (shoal) => shoal.counter(name).value()));
    }),
  );
  withClientFlags(counter.command("incr <name> [n]")).action(
    action(async (name: string, n: string | undefined, flags: ClientFlags) => {
      const delta = n === undefined ? 1 : integer(n, "N");
      print(flags, await session(flags, (shoal) => shoal.counter(name).increment(delta)));
    }),
  );
}

function registerSet(program: Command): void {
  const set = program.command("set").description("AP set of strings: add, remove, list");
  withClientFlags(set.command("add <name> <value>")).action(
    action(async (name: string, value: string, flags: ClientFlags) => {
      await session(flags, (shoal) => shoal.set(name).add(value));
      print(flags, flags.json === true ? { ok: true } : "OK");
    }),
  );
  withClientFlags(set.command("remove <name> <value>")).action(
    action(async (name: string, value: string, flags: ClientFlags) => {
      await session(flags, (shoal) => shoal.set(name).remove(value));
      print(flags, flags.json === true ? { ok: true } : "OK");
    }),
  );
  withClientFlags(set.command("list <name>")).action(
    action(async (name: string, flags: ClientFlags) => {
      print(flags, await session(flags, (shoal) => shoal.set(name).values()));
    }),
  );
}

interface LockFlags extends ClientFlags {
  ttlMs: string;
  waitMs: string;
}

function registerLock(program: Command): void {
  const lock = program.command("lock").description("CP fenced lock: run a command while holding it");
  withClientFlags(lock.command("run <name> <command...>"))
    .option("--ttl-ms <ms>", "lease time, renewed every third of it", "10000")
    .option("--wait-ms <ms>", "longest wait for the lock", "60000")
    .action(
      action(async (name: string, command: string[], flags: LockFlags) => {
        const ttlMs = integer(flags.ttlMs, "--ttl-ms");
        const waitMs = integer(flags.waitMs, "--wait-ms");
        const code = await session(flags, (shoal) => lockRun(shoal, name, command, ttlMs, waitMs, flags));
        process.exitCode = code;
      }),
    );
}

async function lockRun(
  shoal: Shoal,
  name: string,
  command: readonly string[],
  ttlMs: number,
  waitMs: number,
  flags: ClientFlags,
): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined) throw new Error("lock run needs a command after --");
  const lease = await shoal.lock(name).acquire({ ttlMs, timeoutMs: waitMs });
  if (flags.json === true) process.stderr.write(`${JSON.stringify({ lock: name, fence: lease.fence })}\n`);
  const child = spawn(file, args, {
    stdio: "inherit",
    env: { ...process.env, SHOAL_FENCE: String(lease.fence) },
  });
  let lost = false;
  const renewEveryMs = Math.max(1, Math.floor(ttlMs / 3));
  const renewer = setInterval(() => {
    lease.renew(ttlMs, { timeoutMs: renewEveryMs }).then(
      (held) => {
        if (held || lost) return;
        lost = true;
        process.stderr.write(
          `error LOCK_LOST: lock ${name} (fence ${lease.fence}) was lost; stopping the command\n`,
        );
        child.kill("SIGTERM");
      },
      () => {},
    );
  }, renewEveryMs);
  const code = await new Promise<number>((resolve) => {
    child.on("error", (error) => {
      process.stderr.write(`error SPAWN: ${error.message}\n`);
      resolve(127);
    });
    child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal === null ? 1 : 128)));
  });
  clearInterval(renewer);
  if (!lost) await lease.release().catch(() => false);
  return lost && code === 0 ? 3 : code;
}

/** Registers the client commands: map, atomic, counter, set, lock. */
export function registerClientCommands(program: Command): void {
  registerMap(program);
  registerAtomic(program);
  registerCounter(program);
  registerSet(program);
  registerLock(program);
}
