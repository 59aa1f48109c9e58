// The public entry points: `connect` (a remote client) and `startMember` (a member in this process,
// reached through the same client over loopback), both returning the same `Shoal` interface.

import { BadInputError } from "../errors.js";
import { pinoLogger } from "../platform/node/index.js";
import { type RunningMember, startMember as memberStart } from "../cli/start_command.js";
import { createCpMachine } from "../structures/index.js";
import { ClientCore, type ConnectOptions, type OperationOptions } from "./client.js";
import { AtomicLong, type OperationRunner, ShoalCounter, ShoalLock, ShoalMap, ShoalSet } from "./handles.js";
import type { ClientResult } from "../protocol/client/messages.js";
import type { Operation } from "../protocol/client/operations.js";

/** A connection to a Shoal cluster and the structures in it. */
export class Shoal implements OperationRunner {
  private isClosed = false;

  constructor(
    private readonly core: ClientCore,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  get timeoutMsDefault(): number {
    return this.core.timeoutMsDefault;
  }

  /** Runs one raw operation (the handles are the usual way). */
  execute(operation: Operation, options?: OperationOptions): Promise<ClientResult> {
    return this.core.execute(operation, options);
  }

  /** A CP map of values `V` (encoded with msgpackr). */
  map<V>(name: string): ShoalMap<V> {
    return new ShoalMap<V>(this, checkName(name));
  }

  /** A CP atomic long. */
  atomicLong(name: string): AtomicLong {
    return new AtomicLong(this, checkName(name));
  }

  /** A CP fenced lock. */
  lock(name: string): ShoalLock {
    return new ShoalLock(this, checkName(name));
  }

  /** An AP PN-counter. */
  counter(name: string): ShoalCounter {
    return new ShoalCounter(this, checkName(name));
  }

  /** An AP OR-set of strings. */
  set<T extends string = string>(name: string): ShoalSet<T> {
    return new ShoalSet<T>(this, checkName(name));
  }

  /** Closes the connection (and, for an embedded member, stops the member). */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.core.close();
    await this.onClose();
  }
}

function checkName(name: string): string {
  if (typeof name !== "string" || name.length === 0)
    throw new BadInputError("a structure name is a non-empty string");
  return name;
}

/** Connects to a cluster through any of `endpoints`. */
export async function connect(options: ConnectOptions): Promise<Shoal> {
  return new Shoal(await ClientCore.connect(options));
}

/** How to run an embedded member. */
export interface StartMemberOptions {
  /** This member's stable id. */
  readonly name: string;
  /** Peer and client address, `host:port` (default 127.0.0.1:7401). */
  readonly listen?: string;
  /** Admin HTTP address (default 127.0.0.1:7071). */
  readonly admin?: string;
  /** Data folder. */
  readonly data: string;
  /** Members to join while the cluster forms. */
  readonly join?: readonly string[];
  /** Members that form the cluster (default 1). */
  readonly expect?: number;
  /** Partitions, fixed at bootstrap (default 64). */
  readonly partitions?: number;
  readonly clusterName?: string;
  readonly secret?: string;
  /** Default operation timeout of the returned client. */
  readonly timeoutMs?: number;
  /** Log level of the member's JSON logs on standard output (default "warn"). */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
}

/** A client bound to a member running in this process; `close()` stops both. */
export interface EmbeddedShoal extends Shoal {
  readonly member: RunningMember;
}

/**
 * Starts a member in this process (the same code as `shoal start`) and returns a client connected
 * to it. With `expect` above 1 it resolves once the cluster has formed.
 */
export async function startMember(options: StartMemberOptions): Promise<EmbeddedShoal> {
  const listen = options.listen ?? "127.0.0.1:7401";
  const secret = options.secret === undefined ? null : new TextEncoder().encode(options.secret);
  const running = await memberStart(
    {
      name: options.name,
      listen,
      admin: options.admin ?? "127.0.0.1:7071",
      data: options.data,
      join: options.join ?? [],
      expect: options.expect ?? 1,
      partitions: options.partitions ?? 64,
      clusterName: options.clusterName ?? "shoal",
      secret,
    },
    createCpMachine,
    pinoLogger({ level: options.logLevel ?? "warn" }),
  );
  try {
    const core = await ClientCore.connect({
      endpoints: [listen],
      clusterName: options.clusterName ?? "shoal",
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    const shoal = new Shoal(core, () => running.shutdown()) as EmbeddedShoal;
    Object.defineProperty(shoal, "member", { value: running, enumerable: true });
    return shoal;
  } catch (error) {
    await running.shutdown();
    throw error;
  }
}
