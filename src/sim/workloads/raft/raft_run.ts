// One seed of the raft-kv simulation (T5): a 3- or 5-voter cluster (plus learners) serving a KV
// register map to clients that time out and retry with the same (client, sequence), under a fault
// mix drawn from the seed (VOPR swarm style). A safety phase with faults is followed by a liveness
// phase (everything healed) in which a leader must appear and every pending request be answered
// within 20 election timeouts. The history is checked by src/check (kv model), and by a log-position
// check: every completed operation names the log position it reflects, and positions must respect
// real time (a stale read, a lost write or a double apply breaks it).

import { assert } from "../../../lib/assert.js";
import { Prng } from "../../../lib/prng.js";
import type { ConfChange } from "../../../protocol/raft/index.js";
import type { KvCommand } from "../../../structures/kv_machine.js";
import type { ClientId, NodeId } from "../../../types.js";
import type { HistoryEvent } from "../../../check/history.js";
import { linkFaultsNone, SimNetwork } from "../../network.js";
import { SimScheduler } from "../../scheduler.js";
import type { Trace } from "../../trace.js";
import { checkRegisterHistory } from "../register_check.js";
import { Figure8Nemesis } from "./figure8.js";
import {
  type KvReply,
  RaftCluster,
  type RaftClusterOptions,
  raftClusterOptionsDefault,
  type SimMember,
  type SimPacket,
} from "./raft_cluster.js";

/** Faults the raft-kv workload understands (`--faults a,b`). */
export const raftFaultNames = [
  "delay",
  "loss",
  "duplicate",
  "clog",
  "partition",
  "crash",
  "pause",
  "drift",
  "disk-stall",
  "membership",
  "leader-crash",
  "figure8",
] as const;

/** Mutants the workload can switch on (`--mutant M1`). */
export const raftMutantNames = ["M1", "M2", "M5", "M6", "M7", "M8", "M9"] as const;

/** Parameters of one run. */
export interface RaftRunParams {
  readonly voters: number;
  readonly learners: number;
  readonly clients: number;
  readonly safetyMs: number;
  readonly mutant: string | null;
  readonly faults: readonly string[] | null;
  /** Largest disk write latency (a larger one widens the window a crash can hit, for mutant hunts). */
  readonly diskLatencyMsMax: number;
  /** Most bytes of entries per append (1 sends one entry per message, as Figure 8 needs). */
  readonly appendBytesMax: number;
  /** Longest pause between two nemesis actions. */
  readonly nemesisIntervalMsMax: number;
}

/** Defaults: 3 voters (5 on odd seeds), one learner, 4 clients, 3 virtual seconds of faults. */
export function raftRunParamsDefault(seed: number): RaftRunParams {
  return {
    voters: seed % 2 === 0 ? 3 : 5,
    learners: 1,
    clients: 4,
    safetyMs: 3000,
    mutant: null,
    faults: null,
    diskLatencyMsMax: 3,
    appendBytesMax: 4096,
    nemesisIntervalMsMax: 400,
  };
}

/** What one run found. */
export interface RaftRunResult {
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly summary: string;
  readonly figures: Readonly<Record<string, number>>;
  readonly history: readonly HistoryEvent[];
}

const clientTimeoutMs = 120;
/** Wall-clock budget of the linearizability check per seed; running out is a failure (`unknown`). */
const checkBudgetMs = 10_000;
const clientAttemptsMax = 25;
const keys = ["a", "b", "c"];
const nemesisMembersMax = 9;

interface OpenOp {
  readonly f: "read" | "write" | "cas";
  readonly key: string;
  readonly command: KvCommand;
  readonly sequence: number;
  readonly label: string;
  readonly invokedMs: number;
  attempt: number;
  requestId: string;
  timer: number | null;
}

interface Completed {
  readonly invokedMs: number;
  readonly completedMs: number;
  readonly position: number;
  readonly isWrite: boolean;
  readonly label: string;
}

class SimClient {
  sequence = 0;
  reads = 0;
  process: number;
  open: OpenOp | null = null;
  target: NodeId;
  writes = 0;

  constructor(
    readonly id: ClientId,
    process: number,
    target: NodeId,
  ) {
    this.process = process;
    this.target = target;
  }
}

/** Runs one seed. Deterministic in (seed, params) except the checker's wall-clock budget. */
export function runRaftKv(seed: number, params: RaftRunParams, trace: Trace): RaftRunResult {
  return new RaftRun(seed, params, trace).run();
}

class RaftRun {
  private readonly scheduler = new SimScheduler();
  private readonly prng: Prng;
  private readonly network: SimNetwork<SimPacket>;
  private readonly cluster: RaftCluster;
  private readonly enabled: Set<string>;
  private readonly clients: SimClient[] = [];
  private readonly history: HistoryEvent[] = [];
  private readonly completed: Completed[] = [];
  private readonly failures: string[] = [];
  private processNext = 0;
  private nextMemberNumber: number;
  private phase: "safety" | "liveness" = "safety";
  private figure8: Figure8Nemesis | null = null;
  private readonly counts = { ok: 0, fail: 0, info: 0, crashes: 0, pauses: 0, partitions: 0, confChanges: 0 };

  constructor(
    private readonly seed: number,
    private readonly params: RaftRunParams,
    private readonly trace: Trace,
  ) {
    this.prng = Prng.derive(seed, "raft-kv");
    // The swarm draws every fault but leader-crash and figure8, which run only when named (`--faults`).
    const swarm = raftFaultNames.filter((name) => name !== "leader-crash" && name !== "figure8");
    this.enabled = new Set(params.faults ?? swarm.filter(() => this.prng.chance(0.5)));
    const faults = linkFaultsNone();
    const network = {
      delayMsMin: this.enabled.has("delay") ? 0.5 + this.prng.next() * 3 : faults.delayMsMin,
      delayMsMean: this.enabled.has("delay") ? 1 + this.prng.next() * 15 : faults.delayMsMean,
      lossProbability: this.enabled.has("loss") ? this.prng.next() * 0.15 : 0,
      duplicateProbability: this.enabled.has("duplicate") ? this.prng.next() * 0.2 : 0,
    };
    this.network = new SimNetwork<SimPacket>(this.scheduler, Prng.derive(seed, "raft-net"), trace, {
      faults: network,
      describe: describePacket,
    });
    this.cluster = new RaftCluster(
      this.scheduler,
      this.network,
      this.clusterOptions(),
      seed,
      this.voterIds(),
    );
    this.nextMemberNumber = params.voters + 1;
  }

  private voterIds(): NodeId[] {
    return Array.from({ length: this.params.voters }, (_, i) => `n${i + 1}` as NodeId);
  }

  private clusterOptions(): RaftClusterOptions {
    const base = raftClusterOptionsDefault();
    const mutant = this.params.mutant;
    return {
      ...base,
      raft: {
        ...base.raft,
        appendBytesMax: this.params.appendBytesMax,
        mutants: {
          replyBeforePersist: mutant === "M1",
          readIndexBeforeTermCommit: mutant === "M2",
          commitOldTermByCount: mutant === "M5",
          keepConflictAfterSnapshot: mutant === "M6",
          twoUncommittedConfChanges: mutant === "M7",
          voteBeforePersist: mutant === "M9",
        },
      },
      sessions: { ...base.sessions, dedupe: mutant !== "M8" },
      clockRateDeviationMax: this.enabled.has("drift") ? 0.05 : 0,
      diskStallProbability: this.enabled.has("disk-stall") ? 0.02 : 0,
      diskLatencyMsMax: this.params.diskLatencyMsMax,
    };
  }

  run(): RaftRunResult {
    try {
      this.runPhases();
    } catch (error) {
      // An assertion in a core or in the driver is an invariant violation: the seed fails.
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.failures.push(`t=${this.scheduler.nowMs.toFixed(1)} ${text}`);
    }
    return this.result();
  }

  private runPhases(): void {
    for (const id of this.voterIds()) this.cluster.addMember(id);
    for (let i = 0; i < this.params.learners; i++) this.addLearner();
    for (let i = 0; i < this.params.clients; i++) {
      const client = new SimClient(`c${i + 1}` as ClientId, this.processNext++, this.randomMember());
      this.clients.push(client);
      this.network.attach(client.id, (_from, packet) => this.clientReceive(client, packet));
      this.scheduler.after(50 + i, () => this.startOp(client));
    }
    this.scheduleLearnerSetup();
    this.scheduleNemesis();
    if (this.enabled.has("leader-crash"))
      this.cluster.onLeaderEvent = (member) => this.crashLeaderSometimes(member);
    if (this.enabled.has("figure8")) this.startFigure8();
    this.scheduler.runUntil(this.params.safetyMs, 5_000_000);
    this.liveness();
    this.check();
  }

  // -------------------------------------------------------------------------------------------
  // Clients.

  private randomMember(): NodeId {
    const live = [...this.cluster.members.values()].filter((m) => !m.removed).map((m) => m.id);
    return this.prng.pick(live);
  }

  private startOp(client: SimClient): void {
    if (this.phase !== "safety" || client.open !== null) return;
    const key = this.prng.pick(keys);
    const roll = this.prng.next();
    let command: KvCommand;
    let input: unknown;
    let sequence = 0;
    if (roll < 0.4) {
      // Reads go through ReadIndex, not the log, so they take no session sequence number.
      command = { op: "read", key };
      input = null;
      client.reads++;
    } else {
      const value = Number(client.id.slice(1)) * 100_000 + ++client.writes;
      sequence = ++client.sequence;
      if (roll < 0.75) {
        command = { op: "write", key, value };
        input = value;
      } else {
        const expected = this.prng.chance(0.3)
          ? null
          : this.prng.intBetween(1, this.params.clients) * 100_000 + this.prng.intBetween(1, 5);
        command = { op: "cas", key, expected, value };
        input = [expected, value];
      }
    }
    const now = this.scheduler.nowMs;
    const label = sequence > 0 ? `${sequence}` : `r${client.reads}`;
    client.open = {
      f: command.op,
      key,
      command,
      sequence,
      label,
      invokedMs: now,
      attempt: 0,
      requestId: "",
      timer: null,
    };
    this.history.push({
      type: "invoke",
      process: client.process,
      f: command.op,
      key,
      value: input,
      time: now,
    });
    this.sendAttempt(client);
  }

  private sendAttempt(client: SimClient): void {
    const op = client.open;
    assert(op !== null, "no open operation");
    op.attempt++;
    op.requestId = `${client.id}:${op.label}:${op.attempt}`;
    const request = {
      kind: "request",
      client: client.id,
      sequence: op.sequence,
      requestId: op.requestId,
      command: op.command,
    } as const;
    if (this.cluster.members.get(client.target)?.removed !== false) client.target = this.randomMember();
    this.network.send(client.id, client.target, request);
    const requestId = op.requestId;
    op.timer = this.scheduler.after(clientTimeoutMs, () => this.clientTimeout(client, requestId));
  }

  private clientTimeout(client: SimClient, requestId: string): void {
    const op = client.open;
    if (op === null || op.requestId !== requestId) return;
    op.timer = null;
    client.target = this.randomMember();
    if (op.attempt >= clientAttemptsMax && this.phase === "safety") this.giveUp(client, op);
    else this.sendAttempt(client);
  }

  /** Gives up on an operation: its outcome is unknown; the process ends and the client goes on as a new one. */
  private giveUp(client: SimClient, op: OpenOp): void {
    this.history.push({
      type: "info",
      process: client.process,
      f: op.f,
      key: op.key,
      time: this.scheduler.nowMs,
    });
    this.counts.info++;
    client.process = this.processNext++;
    client.open = null;
    this.scheduler.after(this.prng.intBetween(1, 20), () => this.startOp(client));
  }

  private clientReceive(client: SimClient, packet: SimPacket): void {
    if (packet.kind === "raft" || packet.kind === "request") return;
    const op = client.open;
    if (op === null || op.requestId !== packet.requestId) return; // A late answer to an old attempt.
    if (op.timer !== null) this.scheduler.cancel(op.timer);
    op.timer = null;
    if (packet.kind === "redirect") {
      client.target = packet.leader;
      this.scheduler.after(1, () => this.retryIfOpen(client, op.requestId));
      return;
    }
    if (packet.kind === "unavailable" && packet.reason.startsWith("session")) {
      this.giveUp(client, op); // The session table refused it (expired or stale): it was not executed now.
      return;
    }
    if (packet.kind === "unavailable") {
      client.target = this.randomMember();
      this.scheduler.after(20, () => this.retryIfOpen(client, op.requestId));
      return;
    }
    this.complete(client, op, packet);
  }

  private retryIfOpen(client: SimClient, requestId: string): void {
    if (client.open !== null && client.open.requestId === requestId) this.sendAttempt(client);
  }

  private complete(client: SimClient, op: OpenOp, reply: Extract<KvReply, { kind: "reply" }>): void {
    const now = this.scheduler.nowMs;
    const swapped = op.f !== "cas" || reply.response.ok;
    const event: HistoryEvent =
      op.f === "read"
        ? {
            type: "ok",
            process: client.process,
            f: op.f,
            key: op.key,
            value: reply.response.value,
            time: now,
          }
        : { type: swapped ? "ok" : "fail", process: client.process, f: op.f, key: op.key, time: now };
    this.history.push(event);
    if (swapped) this.counts.ok++;
    else this.counts.fail++;
    this.completed.push({
      invokedMs: op.invokedMs,
      completedMs: now,
      position: reply.position,
      isWrite: op.f !== "read",
      label: `${client.id}#${op.label} ${op.f} ${op.key}`,
    });
    client.open = null;
    this.scheduler.after(this.prng.intBetween(0, 10), () => this.startOp(client));
  }

  // -------------------------------------------------------------------------------------------
  // Nemesis.

  /** Adds the initial learners once a leader exists, one change at a time. */
  private scheduleLearnerSetup(): void {
    const step = () => {
      const change = this.pendingLearners[0];
      if (change === undefined || this.phase !== "safety") return;
      const result = this.cluster.proposeConfChange(change);
      if (result === "accepted") {
        this.pendingLearners.shift();
        this.counts.confChanges++;
      }
      this.scheduler.after(150, step);
    };
    this.scheduler.after(300, step);
  }

  private scheduleNemesis(): void {
    const kinds = ["partition", "crash", "pause", "clog", "membership"].filter((name) =>
      this.enabled.has(name),
    );
    if (kinds.length === 0) return;
    const step = () => {
      if (this.phase !== "safety") return;
      this.nemesisStep(this.prng.pick(kinds));
      this.scheduler.after(this.prng.intBetween(50, this.params.nemesisIntervalMsMax), step);
    };
    this.scheduler.after(this.prng.intBetween(200, 500), step);
  }

  private nemesisStep(kind: string): void {
    const live = [...this.cluster.members.values()].filter((m) => !m.removed);
    const leader = this.cluster.leader();
    const victim: SimMember = leader !== null && this.prng.chance(0.5) ? leader : this.prng.pick(live);
    if (kind === "partition") this.partition(live.map((m) => m.id));
    else if (kind === "crash" && victim.raft !== null) {
      const outcome = this.cluster.crash(victim);
      this.counts.crashes++;
      this.trace.record(this.scheduler.nowMs, `nemesis crash ${victim.id} ${outcome}`);
      this.scheduler.after(this.prng.intBetween(50, 600), () => this.restart(victim));
    } else if (kind === "pause" && victim.raft !== null && !victim.paused) {
      victim.paused = true;
      this.counts.pauses++;
      this.trace.record(this.scheduler.nowMs, `nemesis pause ${victim.id}`);
      this.scheduler.after(this.prng.intBetween(200, 700), () => this.cluster.resume(victim));
    } else if (kind === "clog") {
      const other = this.prng.pick(live);
      if (other !== victim) this.network.clog(victim.id, other.id, this.prng.intBetween(50, 500));
    } else if (kind === "membership") {
      this.membershipStep();
    }
  }

  /** Starts the Figure 8 nemesis (figure8.ts); it needs 5 voters and owns the leader-event hook. */
  private startFigure8(): void {
    if (this.params.voters !== 5) throw new Error("--faults figure8 needs --voters 5");
    this.figure8 = new Figure8Nemesis(
      this.scheduler,
      this.network,
      this.cluster,
      Prng.derive(this.seed, "raft-figure8"),
      this.trace,
      () => this.phase === "safety",
      (member) => this.restart(member),
    );
    this.figure8.start(this.prng.intBetween(200, 500));
  }

  /** Crashes a leader right after it was elected or committed, a third of the time (Figure 8 timing). */
  private crashLeaderSometimes(member: SimMember): void {
    if (this.phase !== "safety" || !this.prng.chance(0.3)) return;
    const outcome = this.cluster.crash(member);
    this.counts.crashes++;
    this.trace.record(this.scheduler.nowMs, `nemesis leader-crash ${member.id} ${outcome}`);
    this.scheduler.after(this.prng.intBetween(20, 400), () => this.restart(member));
  }

  private restart(member: SimMember): void {
    if (member.raft !== null || member.removed) return;
    this.cluster.start(member);
    this.trace.record(this.scheduler.nowMs, `nemesis restart ${member.id}`);
  }

  private partition(ids: NodeId[]): void {
    this.network.heal();
    const shuffled = this.prng.shuffle([...ids]);
    const cut = this.prng.intBetween(1, Math.max(1, Math.floor(shuffled.length / 2)));
    const [side, rest] = [shuffled.slice(0, cut), shuffled.slice(cut)];
    if (this.prng.chance(0.3)) this.network.partitionOneWay(side, rest);
    else this.network.partition([side, rest]);
    this.counts.partitions++;
    this.scheduler.after(this.prng.intBetween(150, 1200), () => {
      if (this.phase === "safety") this.network.heal();
    });
  }

  private addLearner(): void {
    if (this.cluster.members.size >= nemesisMembersMax) return;
    const id = `n${this.nextMemberNumber++}` as NodeId;
    this.cluster.addMember(id);
    const change: ConfChange = { type: "add-learner", node: id };
    this.pendingLearners.push(change);
  }

  private readonly pendingLearners: ConfChange[] = [];

  private membershipStep(): void {
    const leader = this.cluster.leader();
    if (leader === null) return;
    const status = leader.raft!.status();
    const config = status.config;
    const changes: ConfChange[] = [];
    const waiting = this.pendingLearners.shift();
    if (waiting !== undefined) changes.push(waiting);
    for (const learner of config.learners) {
      const progress = status.progress.find((p) => p.id === learner);
      if (progress !== undefined && progress.match + 5 >= status.lastIndex)
        changes.push({ type: "promote", node: learner });
    }
    if (config.voters.length > 3) changes.push({ type: "remove", node: this.prng.pick(config.voters) });
    if (config.learners.length + config.voters.length < 6 && this.prng.chance(0.5)) {
      this.addLearner();
      const added = this.pendingLearners.pop();
      if (added !== undefined) changes.push(added);
    }
    // Two changes back to back: the second must be refused while the first is uncommitted (M7).
    for (const change of this.prng.shuffle(changes).slice(0, 2)) {
      const result = this.cluster.proposeConfChange(change);
      this.trace.record(this.scheduler.nowMs, `nemesis ${change.type} ${change.node}: ${result}`);
      if (result === "accepted") this.counts.confChanges++;
      else if (change.type === "add-learner") this.pendingLearners.push(change);
    }
    this.retireRemoved(leader);
  }

  private retireRemoved(leader: SimMember): void {
    const raft = leader.raft!;
    const committed = raft.configStateAt(raft.status().commit);
    for (const member of this.cluster.members.values()) {
      if (!member.removed && committed.retired.includes(member.id)) this.cluster.retire(member);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Liveness and checks.

  private liveness(): void {
    this.phase = "liveness";
    this.network.heal();
    this.network.setFaults(linkFaultsNone());
    for (const member of this.cluster.members.values()) {
      if (member.removed) continue;
      if (member.raft === null) this.restart(member);
      if (member.paused) this.cluster.resume(member);
    }
    const raft = raftClusterOptionsDefault();
    const deadlineMs = this.scheduler.nowMs + 20 * 2 * raft.raft.electionTimeoutTicks * raft.tickMs;
    const done = () => this.cluster.leader() !== null && this.clients.every((client) => client.open === null);
    if (!this.scheduler.runUntilCondition(done, deadlineMs)) {
      const open = this.clients.filter((client) => client.open !== null).map((client) => client.id);
      this.failures.push(
        `liveness: after healing, leader=${this.cluster.leader()?.id ?? "none"}, open requests of ${open.join(",")}`,
      );
    }
  }

  private check(): void {
    for (const violation of this.cluster.records.violations) this.failures.push(violation);
    this.checkPositions();
    const verdict = checkRegisterHistory(this.history, checkBudgetMs);
    if (verdict.verdict !== "ok") this.failures.push(`linearizability ${verdict.verdict}: ${verdict.detail}`);
    // Per seed, at least one answer; the batch-level floor lives in the tests. A seed whose nemesis
    // crashes a voter every few hundred milliseconds legitimately completes only a handful.
    if (this.counts.ok < 1) this.failures.push("non-vacuity: no operation succeeded");
  }

  /** Real-time order of log positions: an operation that completed before another began reflects an earlier state. */
  private checkPositions(): void {
    const byInvoke = [...this.completed].sort((a, b) => a.invokedMs - b.invokedMs);
    const byComplete = [...this.completed].sort((a, b) => a.completedMs - b.completedMs);
    let cursor = 0;
    let maxPosition = -1;
    let maxLabel = "";
    for (const op of byInvoke) {
      while (cursor < byComplete.length && byComplete[cursor]!.completedMs < op.invokedMs) {
        const done = byComplete[cursor++]!;
        if (done.position > maxPosition) {
          maxPosition = done.position;
          maxLabel = done.label;
        }
      }
      const bad = op.isWrite ? op.position <= maxPosition : op.position < maxPosition;
      if (bad) {
        this.failures.push(
          `real-time order: ${op.label} at position ${op.position} began after ${maxLabel} completed at ${maxPosition}`,
        );
        return;
      }
    }
  }

  private result(): RaftRunResult {
    const records = this.cluster.records;
    const stats = this.network.stats;
    const figures = {
      operations_ok: this.counts.ok,
      operations_info: this.counts.info,
      committed_entries: records.committedEntries,
      messages_sent: stats.sent,
      leader_changes: records.leaderChanges,
      snapshots_installed: records.snapshotsInstalled,
      crashes: this.counts.crashes,
      pauses: this.counts.pauses,
      partitions: this.counts.partitions,
      conf_changes: this.counts.confChanges,
      virtual_ms: Math.round(this.scheduler.nowMs),
      figure8_episodes: this.figure8?.counts.episodes ?? 0,
      figure8_b: this.figure8?.counts.reachedB ?? 0,
      figure8_c: this.figure8?.counts.reachedC ?? 0,
      figure8_d: this.figure8?.counts.reachedD ?? 0,
      figure8_overwrites: this.figure8?.counts.reachedOverwrite ?? 0,
    };
    const faults = [...this.enabled].sort().join(",") || "none";
    const summary =
      `voters=${this.params.voters} faults=${faults} ok=${this.counts.ok} info=${this.counts.info} ` +
      `committed=${records.committedEntries} leaders=${records.leaderChanges} snapshots=${records.snapshotsInstalled} ` +
      `conf=${this.counts.confChanges} crashes=${this.counts.crashes}${this.params.mutant === null ? "" : ` mutant=${this.params.mutant}`}`;
    return {
      ok: this.failures.length === 0,
      failures: this.failures,
      summary,
      figures,
      history: this.history,
    };
  }
}

function describePacket(packet: SimPacket): string {
  if (packet.kind === "raft") return `${packet.message.type} t${packet.message.term}`;
  return `${packet.kind} ${packet.requestId}`;
}
