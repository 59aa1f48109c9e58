// Serving clients. A `client-request` names an operation; the member finds its partition
// (partitionOf(placementKeyOf(op))), hence its group. A CP write on the group's leader becomes a
// proposal carrying {clientId, sequence, logTimeMs (the leader's wall clock), operation}; once
// applied it passes the partition's session table (exactly once, H10) and the CpMachine, and the
// member that proposed it answers. A CP read takes a ReadIndex and is answered once the applied
// index reaches it. A member that does not lead the group answers NOT_LEADER with the client
// address of the leader it knows (or of the partition's first replica when it does not replicate
// the partition); it never forwards, so a client always talks to the member that answers. No
// leader: NO_LEADER at once. Every request has a deadline (its timeoutMs, capped): TIMEOUT.
// AP operations (counter, set) are applied at once at this member's replica of the partition and
// gossiped after (ap_service.ts); a member that is not a replica redirects to the first replica.
//
// Batches (protocol/client/messages.ts): each request of a batch is handled exactly as a single
// request. Answers to batched requests go to a per-client outbox: those a batch produces at once
// (AP operations, refusals, routing) leave in one frame at the end of the batch; those that come
// later (applied writes, served reads, timeouts) leave at the end of the member pass that released
// them, in one frame per client, in the same turn (so batching adds no latency, and a commit that
// answers twenty writes costs one frame, not twenty encodings). Single requests are answered at
// once, one frame each. Payloads come in the binary client form (client_codec.ts) or, from an
// older client, as MessagePack; each client is answered in the form of its last request.

import type { Environment } from "../env/environment.js";
import { assertNever } from "../lib/assert.js";
import type { Logger } from "../env/logger.js";
import type { ErrorCode } from "../errors.js";
import type {
  ClientRequest,
  ClientResponse,
  ClientResponsePayload,
  RoutingTable,
} from "../protocol/client/messages.js";
import { consistencyOf, isReadOnly, type Operation, PartitionMemo } from "../protocol/client/index.js";
import type { ProposeResult, ReadResult } from "../protocol/raft/index.js";
import { binaryPayloadMagic, type WireMessage } from "../protocol/wire/index.js";
import type { MachineResult } from "../structures/machine.js";
import type { SessionOutcome } from "../structures/sessions.js";
import {
  type Address,
  type ClientId,
  type GroupId,
  groupId,
  type LogIndex,
  type NodeId,
  type PartitionId,
  type Term,
} from "../types.js";
import type { ApService } from "./ap_service.js";
import { ClientResponseEncoder, clientPayloadDecode } from "./client_codec.js";
import type { ClientRequestCheck } from "./client_request.js";
import { type ClusterConfig, commandEncode } from "./codec.js";
import type { MemberOptions } from "./member_options.js";
import type { Applied, RaftGroup } from "./raft_group.js";

/** What the Raft core answers when it will not take a proposal or a read. */
type RaftRefusal = Exclude<ProposeResult | ReadResult, { kind: "accepted" } | { kind: "pending" }>;

/** What the client service needs from its member. */
export interface ClientHost {
  readonly nodeId: NodeId;
  readonly cluster: ClusterConfig | null;
  readonly groups: ReadonlyMap<GroupId, RaftGroup>;
  readonly options: MemberOptions;
  readonly environment: Environment;
  readonly logger: Logger;
  readonly stats: { proposals: number };
  readonly ap: ApService;
  addressOf(node: NodeId): Address | null;
  frameSend(to: Address, message: WireMessage<unknown>): boolean;
}

interface Pending {
  readonly requestId: number;
  readonly from: Address;
  readonly group: GroupId;
  readonly startMs: number;
  readonly deadlineMs: number;
  readonly kind: "write" | "read";
  /** Whether it came in a batch, so its answer may share a frame with others. */
  readonly batched: boolean;
}

interface PendingWrite extends Pending {
  readonly term: Term;
}

interface PendingRead extends Pending {
  readonly operation: Operation;
  index: LogIndex | null;
}

/**
 * Most sessions whose last AP write a member remembers. A retry of an AP write that reaches the
 * member that applied it is answered from memory instead of applied twice; one that reaches
 * another replica, or comes after the session was forgotten or the member restarted, is applied
 * again (AP writes are at-least-once across replicas).
 */
export const apSessionsMax = 65_536;

/**
 * Most clients a member remembers as speaking the binary client form (client_codec.ts). One it
 * forgets is answered in MessagePack, which every client reads: slower, never wrong.
 */
export const binaryClientsMax = 65_536;

/** Client requests in flight on one member, and how they are answered. */
export class ClientService {
  /** Writes by group, then by log index (no key is built per write). */
  private readonly writes = new Map<GroupId, Map<LogIndex, PendingWrite>>();
  private writeCount = 0;
  /** Reads by group, then by read id. */
  private readonly reads = new Map<GroupId, Map<string, PendingRead>>();
  private readCount = 0;
  private readSequence = 0;
  /** Answers to batched requests, by client, sent together at the end of a batch or a pass. */
  private readonly outbox = new Map<Address, ClientResponse[]>();
  /** The last AP write applied here per session (client id), oldest session first. */
  private readonly apSessions = new Map<string, { sequence: number; result: MachineResult }>();
  /** The partition of each operation, remembered for the cluster's partition count. */
  private partitions: PartitionMemo | null = null;
  /** Clients whose last request came in the binary form: they are answered in it, oldest first. */
  private readonly binaryClients = new Set<Address>();
  private readonly responseEncoder = new ClientResponseEncoder();

  constructor(private readonly host: ClientHost) {}

  /** Requests waiting for an answer. */
  get pendingCount(): number {
    return this.writeCount + this.readCount;
  }

  /**
   * Handles one `client-request` payload from `from`: one request, or a batch of them, in the
   * binary form or MessagePack (an older client); its answers go back in the same form.
   */
  request(from: Address, payload: unknown): void {
    this.formRemember(from, payload instanceof Uint8Array && payload[0] === binaryPayloadMagic);
    const checked = clientPayloadDecode(payload, this.host.options.limits);
    if (checked.kind === "single") {
      this.requestOne(from, checked.check, false);
      return;
    }
    let bad: Extract<ClientRequestCheck, { kind: "bad" }> | null = null;
    let badCount = 0;
    for (const check of checked.checks) {
      if (check.kind === "bad") {
        bad = check;
        badCount += 1;
      }
      this.requestOne(from, check, true);
    }
    // One line per batch, however many of its requests were bad.
    if (bad !== null)
      this.host.logger.warn("client.bad_request", { from, reason: bad.message, badRequests: badCount });
    this.outboxFlush();
  }

  /** Records which form `from` speaks; forgets the oldest binary client past the limit. */
  private formRemember(from: Address, binary: boolean): void {
    if (!binary) {
      this.binaryClients.delete(from);
      return;
    }
    if (this.binaryClients.has(from)) return;
    this.binaryClients.add(from);
    if (this.binaryClients.size <= binaryClientsMax) return;
    const oldest = this.binaryClients.values().next();
    if (oldest.done !== true) this.binaryClients.delete(oldest.value);
  }

  private requestOne(from: Address, check: ClientRequestCheck, batched: boolean): void {
    if (check.kind === "bad") {
      if (!batched) this.host.logger.warn("client.bad_request", { from, reason: check.message });
      // In a batch, an answer without a request id would match nothing the client waits for.
      if (batched && check.requestId < 0) return;
      const { requestId, code, message } = check;
      this.respond(from, { type: "error", requestId, code, message }, batched);
      return;
    }
    const request = check.request;
    if (request.type === "routing") {
      const table = this.routingTable();
      this.respond(from, { type: "routing", requestId: request.requestId, table }, batched);
      this.host.options.hooks.requestDone?.("routing", "ok", 0);
      return;
    }
    this.operation(from, request, batched);
  }

  private operation(
    from: Address,
    request: Extract<ClientRequest, { type: "operation" }>,
    batched: boolean,
  ): void {
    const requestId = request.requestId;
    const cluster = this.host.cluster;
    if (cluster === null) {
      this.respondError(from, requestId, "UNAVAILABLE", "the cluster has not formed yet", null, batched);
      return;
    }
    if (this.pendingCount >= this.host.options.limits.pendingRequestsMax) {
      const message = `${this.pendingCount} requests pending (pendingRequestsMax)`;
      this.respondError(from, requestId, "OVERLOADED", message, null, batched);
      return;
    }
    if (this.partitions?.partitionCount !== cluster.table.partitionCount)
      this.partitions = new PartitionMemo(cluster.table.partitionCount);
    const partition = this.partitions.of(request.operation);
    if (consistencyOf(request.operation) === "ap") {
      this.apOperation(from, request, partition, batched);
      return;
    }
    const group = this.host.groups.get(groupId(partition + 1));
    if (group === undefined) {
      const first = cluster.table.partitions[partition]?.replicas[0] ?? null;
      const address = first === null ? null : this.host.addressOf(first);
      const message = `partition ${partition} is not replicated here`;
      this.respondError(from, requestId, "NOT_LEADER", message, address, batched);
      return;
    }
    if (isReadOnly(request.operation)) this.readStart(group, from, request, batched);
    else this.writeStart(group, from, request, batched);
  }

  /** When a request taken now must be answered by: its own timeout, capped. */
  private deadlineOf(nowMs: number, request: Extract<ClientRequest, { type: "operation" }>): number {
    return nowMs + Math.min(request.timeoutMs, this.host.options.requestTimeoutMsMax);
  }

  /** AP: applied (or read) at once at this replica, gossiped after; other members redirect. */
  private apOperation(
    from: Address,
    request: Extract<ClientRequest, { type: "operation" }>,
    partition: PartitionId,
    batched: boolean,
  ): void {
    const readOnly = isReadOnly(request.operation);
    if (!this.host.ap.replicates(partition)) {
      const first = this.host.cluster?.table.partitions[partition]?.replicas[0] ?? null;
      const address = first === null ? null : this.host.addressOf(first);
      const message = `partition ${partition} is not replicated here`;
      this.respondError(from, request.requestId, "NOT_LEADER", message, address, batched);
      return;
    }
    const nowMs = this.host.environment.clock.nowMs();
    const pending: Pending = {
      requestId: request.requestId,
      from,
      group: groupId(partition + 1),
      startMs: nowMs,
      deadlineMs: nowMs,
      kind: readOnly ? "read" : "write",
      batched,
    };
    if (readOnly) {
      this.answerResult(pending, this.host.ap.operation(partition, request.operation, true));
      return;
    }
    const last = this.apSessions.get(request.clientId);
    if (last !== undefined && request.sequence === last.sequence) {
      this.answerResult(pending, last.result); // A retry of a write applied here: not again.
      return;
    }
    if (last !== undefined && request.sequence < last.sequence) {
      this.answerError(pending, "BAD_INPUT", "a newer request of this session was applied already");
      return;
    }
    const result = this.host.ap.operation(partition, request.operation, false);
    if (result.kind === "ok") this.apRemember(request.clientId, request.sequence, result);
    this.answerResult(pending, result);
  }

  /** Records the last AP write applied here for a session; forgets the oldest past the limit. */
  private apRemember(clientId: string, sequence: number, result: MachineResult): void {
    const last = this.apSessions.get(clientId);
    if (last !== undefined) {
      last.sequence = sequence;
      last.result = result;
      return;
    }
    this.apSessions.set(clientId, { sequence, result });
    if (this.apSessions.size <= apSessionsMax) return;
    const oldest = this.apSessions.keys().next();
    if (oldest.done !== true) this.apSessions.delete(oldest.value);
  }

  private writeStart(
    group: RaftGroup,
    from: Address,
    request: Extract<ClientRequest, { type: "operation" }>,
    batched: boolean,
  ): void {
    const clock = this.host.environment.clock;
    // Log time in whole ms: the command layout carries integers (a simulated clock has fractions).
    const data = commandEncode({
      clientId: request.clientId as ClientId,
      sequence: request.sequence,
      logTimeMs: Math.floor(clock.wallMs()),
      operation: request.operation,
    });
    const result = group.node.propose(data);
    if (result.kind !== "accepted") {
      this.refused(group, result, "uncommitted entries", from, request.requestId, batched);
      return;
    }
    this.host.stats.proposals += 1;
    this.host.options.hooks.proposed?.(group.group);
    let byIndex = this.writes.get(group.group);
    if (byIndex === undefined) {
      byIndex = new Map();
      this.writes.set(group.group, byIndex);
    }
    const previous = byIndex.get(result.index);
    if (previous !== undefined) this.answerRetry(byIndex, result.index, previous, null);
    const nowMs = clock.nowMs();
    byIndex.set(result.index, {
      requestId: request.requestId,
      from,
      group: group.group,
      startMs: nowMs,
      deadlineMs: this.deadlineOf(nowMs, request),
      kind: "write",
      batched,
      term: result.term,
    });
    this.writeCount += 1;
  }

  private readStart(
    group: RaftGroup,
    from: Address,
    request: Extract<ClientRequest, { type: "operation" }>,
    batched: boolean,
  ): void {
    this.readSequence += 1;
    const readId = `${this.host.nodeId}/${this.readSequence}`;
    const result = group.node.readIndex(readId);
    if (result.kind !== "pending") {
      this.refused(group, result, "pending reads", from, request.requestId, batched);
      return;
    }
    let byId = this.reads.get(group.group);
    if (byId === undefined) {
      byId = new Map();
      this.reads.set(group.group, byId);
    }
    const nowMs = this.host.environment.clock.nowMs();
    byId.set(readId, {
      requestId: request.requestId,
      from,
      group: group.group,
      startMs: nowMs,
      deadlineMs: this.deadlineOf(nowMs, request),
      kind: "read",
      batched,
      operation: request.operation,
      index: null,
    });
    this.readCount += 1;
  }

  /** Answers a proposal or a read that the Raft core refused, with the matching typed error. */
  private refused(
    group: RaftGroup,
    result: RaftRefusal,
    queuedWhat: string,
    from: Address,
    requestId: number,
    batched: boolean,
  ): void {
    const fail = (code: ErrorCode, message: string, leaderAddress: string | null = null): void =>
      this.respondError(from, requestId, code, message, leaderAddress, batched);
    switch (result.kind) {
      case "not-leader":
      case "forwarded":
        fail(
          "NOT_LEADER",
          `group ${group.group} is led by ${result.leader}`,
          this.host.addressOf(result.leader),
        );
        return;
      case "no-leader":
        fail("NO_LEADER", `group ${group.group} has no leader`);
        return;
      case "overloaded":
        fail("OVERLOADED", `group ${group.group} has too many ${queuedWhat}`);
        return;
      case "dropped":
        fail("UNAVAILABLE", result.reason);
        return;
      default:
        assertNever(result);
    }
  }

  /** Answers the proposer of an applied entry, if this member proposed it. */
  applied(group: RaftGroup, applied: Applied): void {
    if (this.writeCount === 0) return;
    const byIndex = this.writes.get(group.group);
    const pending = byIndex?.get(applied.index);
    if (byIndex === undefined || pending === undefined) return;
    if (pending.term !== applied.term || applied.outcome === null) {
      // Another leader's entry replaced ours: it was never applied, so a retry is safe.
      this.answerRetry(byIndex, applied.index, pending, group.leader);
      return;
    }
    byIndex.delete(applied.index);
    this.writeCount -= 1;
    this.answerOutcome(pending, applied.outcome);
  }

  private answerOutcome(pending: Pending, outcome: SessionOutcome<MachineResult>): void {
    switch (outcome.kind) {
      case "executed":
      case "duplicate":
        this.answerResult(pending, outcome.response);
        return;
      case "stale":
        this.answerError(pending, "BAD_INPUT", "a newer request of this session was applied already");
        return;
      case "expired":
        this.answerError(pending, "ABORTED", "the session expired; open a new session");
        return;
    }
  }

  private answerResult(pending: Pending, result: MachineResult): void {
    if (result.kind === "refused") {
      this.answerError(pending, "BAD_INPUT", result.message);
      return;
    }
    const response: ClientResponse = { type: "result", requestId: pending.requestId, result: result.result };
    this.respond(pending.from, response, pending.batched);
    this.done(pending, "ok");
  }

  /** Answers NOT_LEADER to the write pending at `index` of `byIndex` (its group's writes). */
  private answerRetry(
    byIndex: Map<LogIndex, PendingWrite>,
    index: LogIndex,
    pending: Pending,
    leader: NodeId | null,
  ): void {
    byIndex.delete(index);
    this.writeCount -= 1;
    const address = leader === null ? null : this.host.addressOf(leader);
    this.respondError(
      pending.from,
      pending.requestId,
      "NOT_LEADER",
      "leadership changed; retry with the same sequence",
      address,
      pending.batched,
    );
    this.done(pending, "NOT_LEADER");
  }

  private answerError(pending: Pending, code: ErrorCode, message: string): void {
    this.respondError(pending.from, pending.requestId, code, message, null, pending.batched);
    this.done(pending, code);
  }

  /** Records the index a pending read must wait for. */
  readIndexKnown(group: RaftGroup, readId: string, index: LogIndex): void {
    const pending = this.reads.get(group.group)?.get(readId);
    if (pending !== undefined) pending.index = index;
  }

  /** Answers every read of `group` whose read index is applied. */
  readsServe(group: RaftGroup): void {
    const byId = this.reads.get(group.group);
    if (byId === undefined || byId.size === 0) return;
    for (const [readId, pending] of byId) {
      if (pending.index === null || pending.index > group.appliedIndex) continue;
      byId.delete(readId);
      this.readCount -= 1;
      this.answerResult(pending, group.read(pending.operation));
    }
  }

  /** The group's leadership moved away from this member: in-flight requests go elsewhere. */
  leadershipLost(group: RaftGroup, leader: NodeId | null): void {
    const byIndex = this.writes.get(group.group);
    if (byIndex !== undefined)
      for (const [index, pending] of byIndex) this.answerRetry(byIndex, index, pending, leader);
    const byId = this.reads.get(group.group);
    if (byId === undefined) return;
    const address = leader === null ? null : this.host.addressOf(leader);
    for (const pending of byId.values()) {
      const message = "leadership changed";
      this.respondError(pending.from, pending.requestId, "NOT_LEADER", message, address, pending.batched);
      this.done(pending, "NOT_LEADER");
    }
    this.readCount -= byId.size;
    byId.clear();
  }

  /** Answers TIMEOUT to every request past its deadline. */
  expire(nowMs: number): void {
    if (this.pendingCount === 0) return;
    for (const byIndex of this.writes.values()) {
      for (const [index, pending] of byIndex) {
        if (pending.deadlineMs > nowMs) continue;
        byIndex.delete(index);
        this.writeCount -= 1;
        this.answerError(
          pending,
          "TIMEOUT",
          "no answer within the request's timeout; retry with the same sequence",
        );
      }
    }
    for (const byId of this.reads.values()) {
      for (const [readId, pending] of byId) {
        if (pending.deadlineMs > nowMs) continue;
        byId.delete(readId);
        this.readCount -= 1;
        this.answerError(pending, "TIMEOUT", "no answer within the request's timeout");
      }
    }
  }

  /** Answers every pending request with UNAVAILABLE (the member is stopping). */
  closeAll(): void {
    for (const byIndex of this.writes.values())
      for (const pending of byIndex.values())
        this.answerError(pending, "UNAVAILABLE", "the member is stopping");
    for (const byId of this.reads.values())
      for (const pending of byId.values()) this.answerError(pending, "UNAVAILABLE", "the member is stopping");
    this.writes.clear();
    this.writeCount = 0;
    this.reads.clear();
    this.readCount = 0;
  }

  /** The routing table as this member sees it. */
  routingTable(): RoutingTable {
    const cluster = this.host.cluster;
    if (cluster === null) return { partitionCount: 0, members: [], leaders: [], replicas: [], version: 0 };
    const leaders = cluster.table.partitions.map(
      (row) => this.host.groups.get(groupId(row.partition + 1))?.leader ?? null,
    );
    return {
      partitionCount: cluster.table.partitionCount,
      members: cluster.members.map((m) => ({ nodeId: m.nodeId, clientAddress: m.address })),
      leaders,
      replicas: cluster.table.partitions.map((row) => [...row.replicas]),
      version: cluster.table.version,
    };
  }

  private done(pending: Pending, outcome: string): void {
    const hooks = this.host.options.hooks;
    if (hooks.requestDone === undefined) return;
    hooks.requestDone(pending.kind, outcome, this.host.environment.clock.nowMs() - pending.startMs);
  }

  private respondError(
    to: Address,
    requestId: number,
    code: ErrorCode,
    message: string,
    leaderAddress: string | null,
    batched: boolean,
  ): void {
    const response: ClientResponse =
      leaderAddress === null
        ? { type: "error", requestId, code, message }
        : { type: "error", requestId, code, message, leaderAddress };
    this.respond(to, response, batched);
  }

  /**
   * Answers a single request at once, in a frame of its own. An answer to a request that came in a
   * batch goes to the outbox, which leaves at the end of the batch's handling or of the member's
   * pass (the member calls outboxFlush after every pass and tick): a client's answers released by
   * one pass (the writes one commit applied, the reads one heartbeat round confirmed) share a frame
   * and wait for nothing.
   */
  private respond(to: Address, response: ClientResponse, batched: boolean): void {
    if (!batched) {
      this.responseFrameSend(to, response);
      return;
    }
    let queued = this.outbox.get(to);
    if (queued === undefined) {
      queued = [];
      this.outbox.set(to, queued);
    }
    queued.push(response);
  }

  /** Sends every client's queued answers, as few frames per client as the limits allow. */
  outboxFlush(): void {
    if (this.outbox.size === 0) return;
    const perFrameMax = this.host.options.limits.batchOperationsMax;
    for (const [to, responses] of this.outbox) {
      if (responses.length <= perFrameMax) this.responsesSend(to, responses);
      else
        for (let start = 0; start < responses.length; start += perFrameMax)
          this.responsesSend(to, responses.slice(start, start + perFrameMax));
    }
    this.outbox.clear();
  }

  /** Sends `responses` in one frame, or halves until each part fits in a frame. */
  private responsesSend(to: Address, responses: readonly ClientResponse[]): void {
    if (responses.length === 1) {
      this.responseFrameSend(to, responses[0]!);
      return;
    }
    if (this.responseFrameSend(to, { type: "batch", responses })) return;
    const half = Math.ceil(responses.length / 2);
    this.responsesSend(to, responses.slice(0, half));
    this.responsesSend(to, responses.slice(half));
  }

  /**
   * Sends one `client-response` frame, in the binary form to a client that speaks it and as
   * MessagePack to any other; false only when it is too large for a frame.
   */
  private responseFrameSend(to: Address, payload: ClientResponsePayload): boolean {
    const body = this.binaryClients.has(to) ? this.responseEncoder.encode(payload) : payload;
    return this.host.frameSend(to, { version: 1, kind: "client-response", payload: body });
  }
}
