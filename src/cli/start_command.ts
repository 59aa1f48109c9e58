// `shoal start`: runs one member as a process. Peers and clients share --listen (one TCP port, the
// same handshake: clients present the cluster name and, with --secret-file, prove the secret);
// the admin endpoint listens apart on --admin. Logs one JSON event per line on standard output.
// SIGINT/SIGTERM: hand off every group this member leads (leadership transfer), stop the member
// (which writes every group's commit index), close the admin endpoint and the transport, exit 0.

import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { AdminServer, MemberMetrics } from "../admin/index.js";
import type { Logger } from "../env/logger.js";
import { nodeCrc32, nodeEnvironment, pinoLogger } from "../platform/node/index.js";
import type { NodeEnvironment } from "../platform/node/index.js";
import { addressParse } from "../platform/node/tcp_transport.js";
import { Member, memberOptionsDefault } from "../runtime/index.js";
import { walConfigDefault } from "../storage/index.js";
import { createCpMachine } from "../structures/index.js";
import type { CpMachineFactory } from "../structures/machine.js";
import { type Address, nodeId } from "../types.js";

/** What `shoal start` needs, parsed. */
export interface StartOptions {
  readonly name: string;
  readonly listen: string;
  readonly admin: string;
  readonly data: string;
  readonly join: readonly string[];
  readonly expect: number;
  readonly partitions: number;
  readonly clusterName: string;
  readonly secret: Uint8Array | null;
}

/** A started member process: its parts and how to stop it. */
export interface RunningMember {
  readonly member: Member;
  readonly environment: NodeEnvironment;
  readonly admin: AdminServer;
  readonly logger: Logger;
  /** Hands off leadership, stops the member, closes everything. */
  shutdown(): Promise<void>;
}

/** Longest a graceful stop waits for leadership transfers. */
const handOffMsMax = 2_000;

function hostPort(text: string, flag: string): { host: string; port: number } {
  const parsed = addressParse(text as Address);
  if (parsed === null) throw new Error(`${flag} must be HOST:PORT, not "${text}"`);
  return parsed;
}

/** Starts a member, its admin endpoint and its timers. */
export async function startMember(
  options: StartOptions,
  machineFactory: CpMachineFactory,
  logger: Logger,
): Promise<RunningMember> {
  const listen = hostPort(options.listen, "--listen");
  const admin = hostPort(options.admin, "--admin");
  const environment = await nodeEnvironment({
    host: listen.host,
    port: listen.port,
    clusterName: options.clusterName,
    secret: options.secret,
    dataDirectory: options.data,
    logger,
    // nodeEnvironment's own default draws from [0, 2^48), one past randomInt's range; pass a seed.
    seed: randomInt(0, 2 ** 47),
  });
  const metrics = new MemberMetrics(options.name);
  const member = new Member(environment, {
    ...memberOptionsDefault(nodeId(options.name), machineFactory),
    clusterName: options.clusterName,
    adminAddress: options.admin,
    join: options.join as Address[],
    expect: options.expect,
    partitionCount: options.partitions,
    wal: walConfigDefault(""),
    walChecksum: nodeCrc32,
    hooks: metrics.hooks,
  });
  metrics.bind(() => member.status());
  const adminServer = await AdminServer.listen({
    host: admin.host,
    port: admin.port,
    source: member,
    metrics,
    logger,
  });
  member.start();
  logger.info("member.started", {
    node: options.name,
    listen: environment.transport.localAddress,
    admin: adminServer.address,
  });
  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      await member.handOff(handOffMsMax);
      member.stop();
      await adminServer.close();
      await environment.close();
    })();
    return stopping;
  };
  return { member, environment, admin: adminServer, logger, shutdown };
}

interface StartFlags {
  name: string;
  listen: string;
  admin: string;
  data: string;
  join?: string;
  expect: string;
  partitions: string;
  cluster: string;
  secretFile?: string;
  exitWithParent?: boolean;
}

function optionsParse(flags: StartFlags): StartOptions {
  const expect = Number(flags.expect);
  const partitions = Number(flags.partitions);
  if (!Number.isSafeInteger(expect) || expect < 1) throw new Error("--expect must be a positive integer");
  if (!Number.isSafeInteger(partitions) || partitions < 1)
    throw new Error("--partitions must be a positive integer");
  const secretText = flags.secretFile === undefined ? null : readFileSync(flags.secretFile, "utf8").trim();
  if (secretText === "") throw new Error("--secret-file is empty");
  return {
    name: flags.name,
    listen: flags.listen,
    admin: flags.admin,
    data: flags.data,
    join: flags.join === undefined ? [] : flags.join.split(",").filter((s) => s.length > 0),
    expect,
    partitions,
    clusterName: flags.cluster,
    secret: secretText === null ? null : new TextEncoder().encode(secretText),
  };
}

/** Registers `shoal start`. `machineFactory` resolves the CP machine the member hosts. */
export function registerStartCommand(
  program: Command,
  machineFactory: () => Promise<CpMachineFactory>,
): void {
  program
    .command("start")
    .description("run one cluster member")
    .requiredOption("--name <id>", "this member's stable id")
    .requiredOption("--listen <host:port>", "peer and client address")
    .requiredOption("--admin <host:port>", "admin HTTP address (/healthz, /readyz, /metrics, /api/status)")
    .requiredOption("--data <dir>", "data folder (write-ahead log, hard state, snapshots)")
    .option("--join <host:port,...>", "members to introduce this one to while the cluster forms")
    .option("--expect <n>", "members that form the cluster", "1")
    .option("--partitions <p>", "partitions, fixed at bootstrap", "64")
    .option("--cluster <name>", "cluster name checked by the handshake", "shoal")
    .option("--secret-file <file>", "file holding the cluster's shared secret")
    .option(
      "--exit-with-parent",
      "stop gracefully when the process that started this one ends (for tools that spawn members)",
    )
    .action(async (flags: StartFlags) => {
      const logger = pinoLogger({ level: "info" });
      const running = await startMember(optionsParse(flags), await machineFactory(), logger);
      let stopping = false;
      const onSignal = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info("member.signal", { signal });
        running.shutdown().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error("member.shutdown_failed", { error: String(error) });
            process.exit(1);
          },
        );
      };
      process.once("SIGINT", () => onSignal("SIGINT"));
      process.once("SIGTERM", () => onSignal("SIGTERM"));
      if (flags.exitWithParent === true) parentWatch(() => onSignal("parent-exit"));
    });
}

/** How often a member started with --exit-with-parent checks that its parent still lives. */
const parentWatchIntervalMs = 500;

/**
 * Calls `gone` once this process's parent has ended. Node has no parent-death signal, but an
 * orphan is re-parented (to init or a subreaper), so its parent pid changes. A tool killed hard
 * (SIGKILL, a crash) would otherwise leave its members running and loading the machine.
 */
function parentWatch(gone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    gone();
  }, parentWatchIntervalMs);
  timer.unref();
}

/** Resolves the CP machine of `src/structures/` (maps, atomic longs, fenced locks). */
export async function structuresMachineFactory(): Promise<CpMachineFactory> {
  return createCpMachine;
}
