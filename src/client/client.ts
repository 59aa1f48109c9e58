// The client core: routes each operation to the member that can answer it, and retries until an
// answer, a final error, the deadline or the caller's abort. CP operations go to the partition's
// Raft leader (from the routing table, corrected by NOT_LEADER hints); AP operations to one of the
// partition's replicas. Every operation runs under one session (client id, sequence) leased from a
// pool for its whole life, and every retry repeats that pair, so a write retried after a lost answer
// is applied once (the member's session table answers the duplicate). A session carries at most
// one request at a time: its sequence numbers reach each partition in order, never overtaken.
//
// Retry policy by answer: NOT_LEADER with a hint goes straight to the hinted member; NOT_LEADER
// without one, NO_LEADER, UNAVAILABLE, OVERLOADED, TIMEOUT and silence back off (exponential with
// jitter, capped), refresh the routing table and try again. Anything else is final and becomes a
// typed error (src/errors.ts). The deadline gives TimeoutError, the signal AbortedError: both mean
// "outcome unknown", as a write may still be applied.

import { randomBytes } from "node:crypto";
import {
  AbortedError,
  BadInputError,
  ClosedError,
  type ErrorCode,
  LimitExceededError,
  NoLeaderError,
  ShoalError,
  TimeoutError,
} from "../errors.js";
import { type Limits, limitsDefault } from "../limits.js";
import type { ClientResponse, ClientResult, RoutingTable } from "../protocol/client/messages.js";
import { consistencyOf, type Operation } from "../protocol/client/operations.js";
import { PartitionMemo } from "../protocol/client/partition_memo.js";
import type { Address } from "../types.js";
import { Channel } from "./channel.js";

/** Options of every operation, always the last argument. */
export interface OperationOptions {
  /** Aborts the operation: it rejects with AbortedError (its outcome is then unknown). */
  readonly signal?: AbortSignal;
  /** Overrides the client's default timeout for this operation. */
  readonly timeoutMs?: number;
}

/** How to reach a cluster. */
export interface ConnectOptions {
  /** Members to ask for the routing table first, `host:port`. */
  readonly endpoints: readonly string[];
  /** The cluster's name (default "shoal"). */
  readonly clusterName?: string;
  /** The cluster's shared secret, when it has one. */
  readonly secret?: string | Uint8Array;
  /** Default time an operation may take before it fails with TimeoutError (default 10 s). */
  readonly timeoutMs?: number;
}

/** Tuning of the retry loop; units last. */
export const clientTuning = {
  /** Default operation timeout. */
  timeoutMsDefault: 10_000,
  /** Longest a member may work on one attempt before it answers TIMEOUT. */
  attemptTimeoutMsMax: 1_000,
  /** Extra wait for an attempt's answer beyond what the member was given. */
  attemptSlackMs: 200,
  /** A member that left an attempt unanswered is tried last for this long. */
  silentAvoidMs: 3_000,
  /**
   * First and largest backoff between retries. The cap is kept well under the members' election
   * timeout (500–1000 ms) so a client waiting out an election learns of the new leader within about
   * one cap of it, not one election later.
   */
  backoffMsMin: 20,
  backoffMsMax: 100,
  /** Longest one routing-table request waits. */
  routingWaitMs: 1_000,
  /** Most sessions kept idle in the pool (more concurrent operations open more). */
  sessionsIdleMax: 64,
} as const;

/** The routing table resolved to addresses once per table, so routing an operation allocates nothing. */
interface Routes {
  readonly table: RoutingTable;
  /** The partition of each operation, remembered for this table's partition count. */
  readonly partitions: PartitionMemo;
  /** Per partition, the client address of its leader, or null. */
  readonly leaders: readonly (Address | null)[];
  /** Per partition, the client addresses of its replicas. */
  readonly replicas: readonly (readonly Address[])[];
  /** Every member's client address. */
  readonly members: readonly Address[];
}

function routesOf(table: RoutingTable): Routes {
  const byNode = new Map<string, Address>();
  for (const member of table.members) byNode.set(member.nodeId, member.clientAddress as Address);
  const addressOf = (node: string | null | undefined): Address | null =>
    node === null || node === undefined ? null : (byNode.get(node) ?? null);
  const replicas: Address[][] = [];
  for (let partition = 0; partition < table.partitionCount; partition++) {
    const row = table.replicas[partition] ?? [];
    replicas.push(row.map(addressOf).filter((a): a is Address => a !== null));
  }
  return {
    table,
    partitions: new PartitionMemo(table.partitionCount),
    leaders: Array.from({ length: table.partitionCount }, (_, p) => addressOf(table.leaders[p])),
    replicas,
    members: table.members.map((m) => m.clientAddress as Address),
  };
}

/** UTF-8 bytes of `text` when they may exceed `bytesMax`; 0 when its length proves they do not. */
function utf8BytesOver(text: string, bytesMax: number): number {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  if (text.length * 3 <= bytesMax) return 0;
  const bytes = encoder.encode(text).byteLength;
  return bytes > bytesMax ? bytes : 0;
}

interface Session {
  readonly clientId: string;
  sequence: number;
}

const retriedCodes = new Set<string>(["NOT_LEADER", "NO_LEADER", "UNAVAILABLE", "OVERLOADED", "TIMEOUT"]);
const encoder = new TextEncoder();

/** Sleeps `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Turns a final error answer into its typed error. */
export function errorOf(code: ErrorCode, message: string): ShoalError {
  switch (code) {
    case "BAD_INPUT":
      return new BadInputError(message);
    case "NO_LEADER":
      return new NoLeaderError(message);
    default:
      return new ShoalError(code, message);
  }
}

/** A connection to a cluster: routing, sessions, retries. The structure handles sit on top. */
export class ClientCore {
  /**
   * This client's random prefix of every session id: 96 bits, base64url (16 characters). Every
   * request carries its session id, and every CP write stores it in a log entry and a session table
   * key, so it is kept short.
   */
  private readonly sessionBase = randomBytes(12).toString("base64url");
  /** Picks this client's home member among the routes' members (homeOf). */
  private readonly homeSlot = randomBytes(4).readUInt32BE(0);
  private sessionCount = 0;
  private readonly idleSessions: Session[] = [];
  private routes: Routes | null = null;
  /** Leaders learned from NOT_LEADER hints since the table was fetched, by partition. */
  private readonly hints = new Map<number, Address>();
  private routingRefresh: Promise<void> | null = null;
  private endpointCursor = 0;
  /** Members that left an attempt unanswered, until when they are tried last. */
  private readonly silentUntil = new Map<Address, number>();
  readonly limits: Limits = limitsDefault();

  private constructor(
    private readonly channel: Channel,
    private readonly endpoints: readonly Address[],
    readonly timeoutMsDefault: number,
  ) {}

  /** Connects and fetches the routing table (within the default timeout). */
  static async connect(options: ConnectOptions): Promise<ClientCore> {
    if (options.endpoints.length === 0) throw new BadInputError("connect needs at least one endpoint");
    for (const endpoint of options.endpoints)
      if (!/^[^:\s]+:\d{1,5}$/.test(endpoint))
        throw new BadInputError(`endpoint "${endpoint}" is not HOST:PORT`);
    const secret =
      typeof options.secret === "string" ? encoder.encode(options.secret) : (options.secret ?? null);
    const channel = await Channel.open({
      clusterName: options.clusterName ?? "shoal",
      secret,
      frameBytesMax: limitsDefault().frameBytesMax,
    });
    const timeoutMs = options.timeoutMs ?? clientTuning.timeoutMsDefault;
    const core = new ClientCore(channel, options.endpoints as Address[], timeoutMs);
    const deadlineMs = Date.now() + timeoutMs;
    while (core.routes === null) {
      if (Date.now() >= deadlineMs) {
        await channel.close();
        throw new TimeoutError(timeoutMs);
      }
      await core.refreshRouting();
      if (core.routes === null) await sleep(100, undefined);
    }
    return core;
  }

  /** The routing table last fetched. */
  get routing(): RoutingTable | null {
    return this.routes?.table ?? null;
  }

  /**
   * Runs one operation to a result or a typed error. Not itself async (one promise per operation
   * fewer): a refusal before the first attempt is returned as a rejected promise.
   */
  execute(operation: Operation, options: OperationOptions = {}): Promise<ClientResult> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMsDefault;
    const signal = options.signal;
    try {
      if (this.channel.closed) throw new ClosedError("client");
      this.checkLimits(operation);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
        throw new BadInputError("timeoutMs must be positive");
      if (signal?.aborted === true) throw new AbortedError({ cause: signal.reason });
    } catch (error) {
      return Promise.reject(error);
    }
    const session = this.idleSessions.pop() ?? this.sessionOpen();
    session.sequence += 1;
    return this.attempts(operation, session, Date.now() + timeoutMs, timeoutMs, signal);
  }

  /** Tries `operation` under `session` until an answer, a final error or the deadline; frees the session. */
  private async attempts(
    operation: Operation,
    session: Session,
    deadlineMs: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ClientResult> {
    try {
      let hint: Address | null = null;
      for (let attempt = 0; ; attempt++) {
        if (signal?.aborted === true) throw new AbortedError({ cause: signal.reason });
        const remainingMs = deadlineMs - Date.now();
        if (remainingMs <= 0) throw new TimeoutError(timeoutMs);
        const to: Address = hint ?? this.targetOf(operation, attempt);
        hint = null;
        const memberMs = Math.max(1, Math.min(Math.floor(remainingMs), clientTuning.attemptTimeoutMsMax));
        const response = await this.requestOnce(to, operation, session, memberMs, signal);
        if (response === null) this.silentUntil.set(to, Date.now() + clientTuning.silentAvoidMs);
        else if (this.silentUntil.size > 0) this.silentUntil.delete(to);
        if (response !== null && response.type === "result") return response.result;
        if (response !== null && response.type === "error" && !retriedCodes.has(response.code))
          throw errorOf(response.code, response.message);
        if (
          response?.type === "error" &&
          response.code === "NOT_LEADER" &&
          response.leaderAddress !== undefined
        ) {
          hint = response.leaderAddress as Address;
          this.hintRecord(operation, hint);
          // A hint pointing back at the member that refused means its view is stale, and one at a
          // silent member is likely a dead leader: back off instead.
          if (hint !== to && !this.isSilent(hint)) continue;
          hint = null;
        }
        this.hintForget(operation);
        void this.refreshRouting();
        const backoffMs = Math.min(
          clientTuning.backoffMsMax,
          clientTuning.backoffMsMin * 2 ** Math.min(attempt, 6),
        );
        await sleep(
          Math.min(backoffMs * (0.5 + Math.random()), Math.max(0, deadlineMs - Date.now())),
          signal,
        );
      }
    } finally {
      if (this.idleSessions.length < clientTuning.sessionsIdleMax) this.idleSessions.push(session);
    }
  }

  private requestOnce(
    to: Address,
    operation: Operation,
    session: Session,
    memberMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ClientResponse | null> {
    const request = {
      type: "operation" as const,
      requestId: this.channel.nextRequestId(),
      clientId: session.clientId,
      sequence: session.sequence,
      timeoutMs: memberMs,
      operation,
    };
    const answer = this.channel.request(to, request, memberMs + clientTuning.attemptSlackMs);
    if (signal === undefined) return answer;
    // An abort stops waiting at once; the answer, if it comes, is dropped.
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new AbortedError({ cause: signal.reason }));
      signal.addEventListener("abort", onAbort, { once: true });
      answer.then(
        (response) => {
          signal.removeEventListener("abort", onAbort);
          resolve(response);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  /** Where to send `operation` on its `attempt`-th try. */
  private targetOf(operation: Operation, attempt: number): Address {
    const routes = this.routes;
    if (routes === null) return this.nextEndpoint();
    const partition = routes.partitions.of(operation);
    const cp = consistencyOf(operation) === "cp";
    if (cp) {
      const hinted = this.hints.size === 0 ? undefined : this.hints.get(partition);
      if (hinted !== undefined && !this.isSilent(hinted)) return hinted;
      const leader = routes.leaders[partition] ?? null;
      if (leader !== null && attempt < 2 && !this.isSilent(leader)) return leader;
    }
    const replicas = routes.replicas[partition] ?? [];
    if (replicas.length === 0) return this.nextEndpoint();
    // AP operations start at this client's home member when it replicates the partition.
    const home = cp ? undefined : this.homeOf(routes);
    const first = home === undefined ? 0 : Math.max(0, replicas.indexOf(home));
    // The common case, nobody silent: no allocation.
    if (this.silentUntil.size === 0) return replicas[(first + attempt) % replicas.length]!;
    const live = replicas.filter((address) => !this.isSilent(address));
    const choices = live.length > 0 ? live : replicas;
    return choices[(first + attempt) % choices.length]!;
  }

  /**
   * The member this client sends its AP operations to first, wherever it is a replica: one member
   * per client (drawn at random, so many clients spread over the members). Sticking to one replica
   * gives a client read-your-writes and monotonic reads on AP structures while that member lives,
   * and under load one frame per flush carries all of the client's AP requests instead of one frame
   * per member (fewer frames, fewer wake-ups, fewer passes on the members).
   */
  private homeOf(routes: Routes): Address | undefined {
    return routes.members[this.homeSlot % Math.max(1, routes.members.length)];
  }

  private isSilent(address: Address): boolean {
    if (this.silentUntil.size === 0) return false;
    const until = this.silentUntil.get(address);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.silentUntil.delete(address);
    return false;
  }

  private partitionOfOperation(operation: Operation): number | null {
    return this.routes === null ? null : this.routes.partitions.of(operation);
  }

  private hintRecord(operation: Operation, leader: Address): void {
    const partition = this.partitionOfOperation(operation);
    if (partition !== null && consistencyOf(operation) === "cp") this.hints.set(partition, leader);
  }

  private hintForget(operation: Operation): void {
    if (this.hints.size === 0) return;
    const partition = this.partitionOfOperation(operation);
    if (partition !== null) this.hints.delete(partition);
  }

  private nextEndpoint(): Address {
    const members = this.routes?.members ?? [];
    const known = members.length > 0 ? members : this.endpoints;
    const live = known.filter((address) => !this.isSilent(address));
    const all = live.length > 0 ? live : known;
    this.endpointCursor += 1;
    return all[this.endpointCursor % all.length] as Address;
  }

  /** Fetches the routing table from some member; concurrent callers share one fetch. */
  refreshRouting(): Promise<void> {
    this.routingRefresh ??= this.routingFetch().finally(() => {
      this.routingRefresh = null;
    });
    return this.routingRefresh;
  }

  private async routingFetch(): Promise<void> {
    const to = this.nextEndpoint();
    const requestId = this.channel.nextRequestId();
    if (this.channel.closed) return;
    const response = await this.channel.request(
      to,
      { type: "routing", requestId },
      clientTuning.routingWaitMs,
    );
    if (response?.type !== "routing" || response.table.partitionCount === 0) return;
    const current = this.routes?.table ?? null;
    // Leaders move without a version change: take the newer table, or the same version's fresher view.
    if (current === null || response.table.version >= current.version) {
      this.routes = routesOf(response.table);
      this.hints.clear();
    }
  }

  private sessionOpen(): Session {
    this.sessionCount += 1;
    return { clientId: `${this.sessionBase}/${this.sessionCount}`, sequence: 0 };
  }

  /** Refuses oversized names, keys and values before they travel. */
  private checkLimits(operation: Operation): void {
    if (typeof operation.name !== "string" || operation.name.length === 0)
      throw new BadInputError("a structure name is a non-empty string");
    this.checkText("name bytes (keyBytesMax)", operation.name);
    if ("key" in operation) this.checkText("key bytes (keyBytesMax)", operation.key);
    if ("element" in operation) this.checkText("element bytes (keyBytesMax)", operation.element);
    if ("value" in operation) this.checkBytes(operation.value);
    if ("expected" in operation) this.checkBytes(operation.expected);
  }

  private checkText(label: string, text: string): void {
    const bytes = utf8BytesOver(text, this.limits.keyBytesMax);
    if (bytes > 0) throw new LimitExceededError(label, bytes, this.limits.keyBytesMax);
  }

  private checkBytes(value: unknown): void {
    if (value instanceof Uint8Array && value.byteLength > this.limits.valueBytesMax)
      throw new LimitExceededError(
        "value bytes (valueBytesMax)",
        value.byteLength,
        this.limits.valueBytesMax,
      );
  }

  /** Closes the connection; operations in flight fail with ClosedError or TimeoutError. */
  async close(): Promise<void> {
    await this.channel.close();
  }
}
