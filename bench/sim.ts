// The bench's exact figures, from the simulator (virtual time, one seed, no timing noise):
//
// - Raft traffic: the REAL Member code (src/runtime/member.ts, with the real CP machine) on a
//   SimCluster of 3, 5 or 7 voters hosting one partition, driven by 8 simulated clients that each
//   keep one map put in flight until a fixed number of writes is acknowledged. Every frame the
//   network carries is tallied by wire kind; frames from or to a client are kept apart. Figures:
//   member-to-member messages and bytes per committed write (gross over the write window, and net
//   of the at-rest rate over the same window), and member-to-member messages and bytes per second
//   at rest (heartbeats, SWIM) measured over a quiet window before the writes.
// - SWIM traffic: the `swim` workload's SwimSimCluster (pure SWIM cores on the simulator) of 16,
//   64 or 256 members without faults; messages per member per second over a window after every
//   view is full.

import { Prng } from "../src/lib/prng.js";
import { peekEnvelope, WireCodec } from "../src/protocol/wire/index.js";
import { raftBatchDecode } from "../src/runtime/raft_batch_codec.js";
import { Member, type MemberOptions, memberOptionsDefault } from "../src/runtime/index.js";
import { linkFaultsNone, SimCluster, type SimEnvironment, Trace } from "../src/sim/index.js";
import type { Process } from "../src/sim/index.js";
import { swimWorkloadConfig, swimWorkloadParams } from "../src/sim/workloads/swim.js";
import { SwimSimCluster } from "../src/sim/workloads/swim/swim_sim_cluster.js";
import { createCpMachine } from "../src/structures/index.js";
import { type Address, nodeId } from "../src/types.js";
import { TestClient, type TestOutcome } from "../test/fixtures/test_client.js";

/** Bounds of the simulated measurements; units last (virtual time unless said otherwise). */
export const simLimits = {
  /** Longest the cluster may take to form and elect every group. */
  formMsMax: 60_000,
  /** Quiet time after forming, so leader balancing and SWIM settle before anything is counted. */
  settleMs: 10_000,
  /** The at-rest window. */
  restMs: 10_000,
  /** Longest the fixed write load may take. */
  writeMsMax: 600_000,
  /** Quiet time after the last acknowledgement that still belongs to the write window. */
  tailMs: 1_000,
  /** Simulated clients by default, each with one write in flight. */
  clients: 8,
  /** Most simulated clients. */
  clientsMax: 256,
  /** Keys the writes cycle through. */
  keys: 1_000,
  /** Longest SWIM may take to fill every view. */
  swimBootstrapMsMax: 300_000,
  /** Poll interval of virtual-time conditions. */
  pollMs: 100,
} as const;

/** Messages and bytes, in total and by wire kind. */
export interface Tally {
  messages: number;
  bytes: number;
  readonly byKind: Record<string, { messages: number; bytes: number }>;
}

function tallyNew(): Tally {
  return { messages: 0, bytes: 0, byKind: {} };
}

function tallyAdd(tally: Tally, kind: string, bytes: number): void {
  tally.messages += 1;
  tally.bytes += bytes;
  const row = tally.byKind[kind] ?? { messages: 0, bytes: 0 };
  row.messages += 1;
  row.bytes += bytes;
  tally.byKind[kind] = row;
}

/** One measured Raft cluster. */
export interface RaftTraffic {
  readonly voters: number;
  readonly clients: number;
  /** Voters of each Raft group, as member m1 reports them ("g0 3, g1 5"). */
  readonly groupVoters: string;
  readonly writesAsked: number;
  readonly writesCommitted: number;
  readonly writesFailed: number;
  readonly valueBytes: number;
  /** Virtual time from the first write to the last acknowledgement, plus the tail. */
  readonly writeWindowMs: number;
  /** Member-to-member traffic during the write window. */
  readonly writes: Tally;
  /** The Raft messages inside the member frames of the write window. */
  readonly writesRaft: RaftContent;
  /** Client-to-member and member-to-client traffic during the write window. */
  readonly clientTraffic: Tally;
  readonly restWindowMs: number;
  /** Member-to-member traffic during the quiet window. */
  readonly rest: Tally;
  /** Wall time of this measurement. */
  readonly wallMs: number;
  /** CPU time (user + system) of this process during the write window: members, clients, simulator. */
  readonly writeCpuUs: number;
  /** The members' counters over the write window, summed: passes, frames, WAL syncs. */
  readonly writeStats: {
    readonly passes: number;
    readonly framesReceived: number;
    readonly walSyncs: number;
  };
}

/** What one Raft traffic measurement runs. */
export interface RaftTrafficOptions {
  readonly voters: number;
  readonly writes: number;
  readonly valueBytes: number;
  readonly seed: number;
  /** Clients, each with one write in flight (default {@link simLimits.clients}). */
  readonly clients?: number;
  /** Jittered delays that reorder frames on a link (the simulator's fault-free default); default off. */
  readonly reorder?: boolean;
  /** Partitions, one Raft group each (default 1). */
  readonly partitions?: number;
  /**
   * Whether the tap decodes every raft-batch to count its messages and entries (default true);
   * off when the run measures CPU, which that decoding would inflate.
   */
  readonly raftContent?: boolean;
}

/**
 * Fault-free links with a fixed 1 ms delay: frames on a link arrive in the order sent, as on the
 * TCP connection a member pair shares. (The simulator's jittered default reorders them, which makes
 * followers reject pipelined appends that overtook each other, and the leader resend.)
 */
export const simFifoLinks = { ...linkFaultsNone(), delayMsMean: 0 };

function memberOptions(name: string, names: readonly string[], partitions: number): MemberOptions {
  const base = memberOptionsDefault(nodeId(name), createCpMachine);
  return {
    ...base,
    clusterName: "bench-sim",
    join: names.map((n) => n as Address),
    expect: names.length,
    partitionCount: partitions,
    replicaCountMax: names.length,
    wal: { ...base.wal, segmentBytes: 4 * 1024 * 1024, recordPayloadBytesMax: 1024 * 1024 },
  };
}

/** A simulated client process: one TestClient that knows every member. */
class SimClient implements Process {
  readonly client: TestClient;
  constructor(environment: SimEnvironment, members: readonly string[], clientId: string) {
    const addresses = members.map((n) => n as Address);
    this.client = new TestClient(environment.transport, environment.clock, addresses, clientId);
  }
  stop(): void {}
}

/** Raft messages inside member frames: by type, and the log entries appends carry. */
export interface RaftContent {
  readonly byType: Record<string, number>;
  /** Entries carried by appends, counting every copy. */
  entriesSent: number;
  /** Distinct (follower, group, index, term) entries carried: a resent entry counts once. */
  readonly entriesDistinct: Set<string>;
}

function raftContentNew(): RaftContent {
  return { byType: {}, entriesSent: 0, entriesDistinct: new Set() };
}

/** Counts every frame into the current member or client tally (the network is wrapped, not changed). */
class Tap {
  members = tallyNew();
  clients = tallyNew();
  raft = raftContentNew();
  private readonly codec = new WireCodec({ frameBytesMax: 64 * 1024 * 1024 });

  constructor(
    cluster: SimCluster<Process>,
    isClient: (name: string) => boolean,
    private readonly decodeRaft: boolean,
  ) {
    const network = cluster.network;
    const send = network.send.bind(network);
    network.send = (from: string, to: string, frame: Uint8Array): void => {
      const header = peekEnvelope(frame);
      const kind = header.kind === "ok" ? header.messageKind : "bad-frame";
      tallyAdd(isClient(from) || isClient(to) ? this.clients : this.members, kind, frame.byteLength);
      if (kind === "raft-batch" && this.decodeRaft) this.raftBatch(to, frame);
      send(from, to, frame);
    };
  }

  reset(): void {
    this.members = tallyNew();
    this.clients = tallyNew();
    this.raft = raftContentNew();
  }

  private raftBatch(to: string, frame: Uint8Array): void {
    const decoded = this.codec.decode(frame);
    if (decoded.kind !== "ok") return;
    const batch = raftBatchDecode(decoded.message.payload, nodeId(to));
    if (batch === null) return;
    for (const [group, message] of batch.messages) {
      this.raft.byType[message.type] = (this.raft.byType[message.type] ?? 0) + 1;
      if (message.type !== "append") continue;
      if (message.entries.length === 0)
        this.raft.byType["append (empty)"] = (this.raft.byType["append (empty)"] ?? 0) + 1;
      this.raft.entriesSent += message.entries.length;
      for (const entry of message.entries)
        this.raft.entriesDistinct.add(`${to}/${group}/${entry.index}/${entry.term}`);
    }
  }
}

function isReady(cluster: SimCluster<Process>, names: readonly string[]): boolean {
  return names.every((name) => (cluster.process(name) as Member).status().ready);
}

/** Runs `writes` map puts, one in flight per client; returns their outcomes. */
function writeLoad(
  cluster: SimCluster<Process>,
  clients: readonly SimClient[],
  options: RaftTrafficOptions,
): TestOutcome[] {
  const outcomes: TestOutcome[] = [];
  const value = new Uint8Array(options.valueBytes).fill(0x76);
  let issued = 0;
  const next = (client: TestClient): void => {
    if (issued >= options.writes) return;
    const key = `k${issued % simLimits.keys}`;
    issued += 1;
    client.submit({ structure: "map", op: "put", name: "bench-map", key, value }, (outcome) => {
      outcomes.push(outcome);
      next(client);
    });
  };
  for (const process of clients) next(process.client);
  const deadline = cluster.scheduler.nowMs + simLimits.writeMsMax;
  const done = cluster.scheduler.runUntilCondition(() => outcomes.length === options.writes, deadline);
  if (!done) throw new Error(`only ${outcomes.length}/${options.writes} writes ended in virtual time`);
  return outcomes;
}

/** Measures member traffic at rest and per committed write for one cluster size. */
export function measureRaftTraffic(options: RaftTrafficOptions): RaftTraffic {
  const wallStart = performance.now();
  const names = Array.from({ length: options.voters }, (_, i) => `m${i + 1}`);
  const clientCount = options.clients ?? simLimits.clients;
  if (!(Number.isInteger(clientCount) && clientCount >= 1 && clientCount <= simLimits.clientsMax))
    throw new RangeError(`clients out of range: ${clientCount}`);
  const clientNames = Array.from({ length: clientCount }, (_, i) => `c${i + 1}`);
  const cluster = new SimCluster<Process>({
    seed: options.seed,
    trace: new Trace(),
    linkFaults: options.reorder === true ? linkFaultsNone() : simFifoLinks,
  });
  const tap = new Tap(cluster, (name) => clientNames.includes(name), options.raftContent ?? true);
  for (const name of names) {
    cluster.addNode(name, (environment) => {
      const member = new Member(environment, memberOptions(name, names, options.partitions ?? 1));
      member.start();
      return member;
    });
  }
  const clients = clientNames.map((name) =>
    cluster.addNode(name, (environment) => new SimClient(environment as SimEnvironment, names, name)),
  ) as SimClient[];
  if (!cluster.scheduler.runUntilCondition(() => isReady(cluster, names), simLimits.formMsMax))
    throw new Error(
      `${options.voters} members did not form within ${simLimits.formMsMax} ms (seed ${options.seed})`,
    );
  cluster.scheduler.runFor(simLimits.settleMs);
  tap.reset();
  cluster.scheduler.runFor(simLimits.restMs);
  const rest = tap.members;
  tap.reset();
  const writeStart = cluster.scheduler.nowMs;
  const members = names.map((name) => cluster.process(name) as Member);
  const statsSum = () => ({
    passes: members.reduce((sum, m) => sum + m.stats.passes, 0),
    framesReceived: members.reduce((sum, m) => sum + m.stats.framesReceived, 0),
    walSyncs: members.reduce((sum, m) => sum + m.stats.walSyncs, 0),
  });
  const statsBefore = statsSum();
  const cpuBefore = process.cpuUsage();
  const outcomes = writeLoad(cluster, clients, options);
  const cpu = process.cpuUsage(cpuBefore);
  const statsAfter = statsSum();
  cluster.scheduler.runFor(simLimits.tailMs);
  const writeWindowMs = cluster.scheduler.nowMs - writeStart;
  const committed = outcomes.filter((o) => o.kind === "ok").length;
  const groups = (cluster.process("m1") as Member).status().groups;
  const groupVoters = groups.map((g) => `g${g.group} ${g.voters.length}`).join(", ");
  cluster.shutdown();
  return {
    voters: options.voters,
    clients: clientCount,
    groupVoters,
    writesAsked: options.writes,
    writesCommitted: committed,
    writesFailed: outcomes.length - committed,
    valueBytes: options.valueBytes,
    writeWindowMs,
    writes: tap.members,
    writesRaft: tap.raft,
    clientTraffic: tap.clients,
    restWindowMs: simLimits.restMs,
    rest,
    wallMs: performance.now() - wallStart,
    writeCpuUs: cpu.user + cpu.system,
    writeStats: {
      passes: statsAfter.passes - statsBefore.passes,
      framesReceived: statsAfter.framesReceived - statsBefore.framesReceived,
      walSyncs: statsAfter.walSyncs - statsBefore.walSyncs,
    },
  };
}

/** One measured SWIM cluster. */
export interface SwimTraffic {
  readonly members: number;
  /** Virtual time until every member counted every other as active. */
  readonly bootstrapMs: number;
  readonly windowMs: number;
  readonly messages: number;
  readonly messagesPerMemberPerSecond: number;
  readonly wallMs: number;
}

/** SWIM messages per member per second for `members` members without faults, over `windowMs`. */
export function measureSwimTraffic(members: number, windowMs: number, seed: number): SwimTraffic {
  const wallStart = performance.now();
  const params = swimWorkloadParams({ members: String(members) });
  const cluster = new SwimSimCluster({
    config: swimWorkloadConfig(params),
    prng: Prng.derive(seed, "bench-swim"),
    trace: new Trace(),
    faults: linkFaultsNone(),
    checkInvariants: false,
  });
  const names = Array.from({ length: members }, (_, i) => `m${String(i).padStart(3, "0")}`);
  for (const [i, name] of names.entries()) cluster.addMember(name, i === 0 ? [] : [names[0] as string]);
  const full = (): boolean => names.every((name) => cluster.member(name).activeMemberCount === members - 1);
  const deadline = simLimits.swimBootstrapMsMax;
  while (!full() && cluster.nowMs < deadline) cluster.scheduler.runUntil(cluster.nowMs + simLimits.pollMs);
  if (!full())
    throw new Error(`SWIM views of ${members} members not full within ${deadline} ms (seed ${seed})`);
  const bootstrapMs = cluster.nowMs;
  const before = cluster.network.stats.sent;
  cluster.scheduler.runFor(windowMs);
  const messages = cluster.network.stats.sent - before;
  return {
    members,
    bootstrapMs,
    windowMs,
    messages,
    messagesPerMemberPerSecond: messages / members / (windowMs / 1_000),
    wallMs: performance.now() - wallStart,
  };
}

function perSecond(count: number, windowMs: number): number {
  return windowMs > 0 ? (count * 1_000) / windowMs : 0;
}

function kinds(tally: Tally, divisor: number): string {
  return Object.entries(tally.byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, row]) => `${kind} ${(row.messages / divisor).toFixed(2)}`)
    .join(", ");
}

function raftTypes(content: RaftContent, divisor: number): string {
  return Object.entries(content.byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${type} ${(count / divisor).toFixed(2)}`)
    .join(", ");
}

/** The simulated figures in markdown: the Raft table and the SWIM table. */
export function simMarkdown(
  raft: readonly RaftTraffic[],
  swim: readonly SwimTraffic[],
  notes: readonly string[],
): string {
  const lines = ["### In simulation: messages and bytes (exact, virtual time)", "", notes.join(" "), ""];
  lines.push(
    "| members (group 1 voters) | writes ok / asked | msgs/write | bytes/write | net msgs/write | net bytes/write | at rest msgs/s | at rest bytes/s | client msgs/write |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of raft) {
    const ok = Math.max(1, r.writesCommitted);
    const restMessages = perSecond(r.rest.messages, r.restWindowMs);
    const restBytes = perSecond(r.rest.bytes, r.restWindowMs);
    const netMessages = (r.writes.messages - (restMessages * r.writeWindowMs) / 1_000) / ok;
    const netBytes = (r.writes.bytes - (restBytes * r.writeWindowMs) / 1_000) / ok;
    lines.push(
      `| ${r.voters} | ${r.writesCommitted} / ${r.writesAsked} | ${(r.writes.messages / ok).toFixed(2)} | ${(r.writes.bytes / ok).toFixed(0)} | ${netMessages.toFixed(2)} | ${netBytes.toFixed(0)} | ${restMessages.toFixed(1)} | ${restBytes.toFixed(0)} | ${(r.clientTraffic.messages / ok).toFixed(2)} |`,
    );
  }
  lines.push("", "By wire kind (member-to-member messages per committed write | per second at rest):", "");
  for (const r of raft) {
    const ok = Math.max(1, r.writesCommitted);
    lines.push(
      `- ${r.voters} members (group voters: ${r.groupVoters}): ${kinds(r.writes, ok)} | ${kinds(r.rest, r.restWindowMs / 1_000)}; Raft messages per write: ${raftTypes(r.writesRaft, ok)}; log entries sent per write per follower ${(r.writesRaft.entriesSent / ok / Math.max(1, r.voters - 1)).toFixed(2)} (distinct ${(r.writesRaft.entriesDistinct.size / ok / Math.max(1, r.voters - 1)).toFixed(2)}); write window ${r.writeWindowMs.toFixed(0)} ms virtual, ${(r.wallMs / 1_000).toFixed(1)} s wall.`,
    );
  }
  if (swim.length > 0) {
    lines.push(
      "",
      "| SWIM members | msgs/member/s | window (virtual s) | views full after (virtual ms) | wall s |",
    );
    lines.push("|---|---|---|---|---|");
    for (const s of swim) {
      lines.push(
        `| ${s.members} | ${s.messagesPerMemberPerSecond.toFixed(2)} | ${(s.windowMs / 1_000).toFixed(0)} | ${s.bootstrapMs.toFixed(0)} | ${(s.wallMs / 1_000).toFixed(1)} |`,
      );
    }
  }
  return lines.join("\n");
}
