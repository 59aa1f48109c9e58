// The member: a multi-Raft host on one Environment (DESIGN.md rule 2), so the same code runs on
// nodeEnvironment and on the simulator's SimEnvironment. One `clock.every(tickMs)` drives it all
// (etcd's raft node loop, TigerBeetle's "do nothing in reaction to external events"); the transport
// callback only enqueues. Each tick:
//
//   1. tick every Raft group;
//   2. drain inbound frames (bounded) and step each into the right core by wire kind and group;
//   3. for every group with a Ready: append the entries of ALL groups to the one WAL and sync ONCE
//      (group commit), persist the hard states that changed term or vote, then send, apply and
//      advance; serve ReadIndex reads once applied; snapshot and compact every N entries;
//   4. send all Raft messages for one peer in one `raft-batch` frame (coalescing);
//   5. expire client requests; check every core's invariants when asked.
//
// SWIM runs hosted on the same loop (swim_driver.ts): one SWIM tick per member tick, `swim` frames
// stepped as they are drained, its packets sent through this member's transport. SWIM informs
// (status, logs); it never decides placement or Raft membership (TESTING.md T10).
//
// Between ticks, arriving frames schedule one pass of steps 2–4 (processSoon), so replies do not
// wait for the next tick; timeouts, heartbeats and elections still move only on ticks.
//
// Durability of the commit index: term and vote are written before any message that depends on
// them leaves; the commit index is written lazily (at snapshots and on stop). A recovered commit
// index that lags is safe: Raft learns the commit again from the leader, and a restart re-applies
// from the last snapshot up to the durable commit, then the rest as the leader re-announces it.

import type { Cancel } from "../env/clock.js";
import type { Environment } from "../env/environment.js";
import type { Logger } from "../env/logger.js";
import { assert } from "../lib/assert.js";
import { BoundedQueue } from "../lib/bounded_queue.js";
import { configOfVoters, type Message, type Ready } from "../protocol/raft/index.js";
import { type PartitionTable, preferredLeaders } from "../protocol/placement/index.js";
import { describeMembershipEvent, swimConfigLan } from "../protocol/swim/index.js";
import { WireCodec, type WireMessage } from "../protocol/wire/index.js";
import { type GroupRecovery, type HardState, Wal } from "../storage/index.js";
import { type Address, type GroupId, groupId, type NodeId, type ReplicaId } from "../types.js";
import { apPersistConfigOf } from "./ap_persist.js";
import { ApService, memberReplicatorConfig } from "./ap_service.js";
import { ClientService } from "./client_service.js";
import {
  type ClusterConfig,
  type ClusterMember,
  entryToWal,
  type Hello,
  type RaftBatch,
  walSnapshotEncode,
} from "./codec.js";
import { clusterConfigBuild, configGroupVoters, Formation } from "./formation.js";
import { type LeaderWatch, leaderWatchAttach } from "./leader_watch.js";
import type { MemberOptions, MemberStats } from "./member_options.js";
import { RaftBatchEncoder, raftBatchDecode } from "./raft_batch_codec.js";
import { RaftGroup } from "./raft_group.js";
import { sendInHalves } from "./send_in_halves.js";
import { type MemberStatus, memberStatusOf } from "./status.js";
import { SwimDriver } from "./swim_driver.js";

/** Most entries a preferred leader may lag and still be handed its group (leadersBalance). */
const leaderTransferLagMax = 256;

/** Most Ready rounds in one pass (each round is at most one WAL sync). */
const readyRoundsMax = 4;

interface InboundFrame {
  readonly from: Address;
  readonly frame: Uint8Array;
}

/** One cluster member: Raft groups, the WAL, the client service, on one Environment. */
export class Member {
  readonly nodeId: NodeId;
  readonly stats: MemberStats = {
    ticks: 0,
    passes: 0,
    framesReceived: 0,
    framesDropped: 0,
    framesInvalid: 0,
    framesSent: 0,
    sendsRefused: 0,
    walSyncs: 0,
    walEntries: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    proposals: 0,
    leaderTransfers: 0,
  };
  readonly groups = new Map<GroupId, RaftGroup>();
  readonly wal: Wal;
  readonly codec: WireCodec;
  /** Encodes raft-batch payloads into one reused buffer; the codec copies each into its frame. */
  private readonly batchEncoder = new RaftBatchEncoder();
  readonly logger: Logger;
  readonly clients: ClientService;
  readonly ap: ApService;
  readonly startedMs: number;
  /** SWIM membership, hosted on this member's transport and tick loop; informs, never decides. */
  readonly swim: SwimDriver;
  cluster: ClusterConfig | null = null;
  /** Each partition's preferred leader, for the table it was computed from (leadersBalance). */
  private preferred: { readonly table: PartitionTable; readonly leaders: readonly NodeId[] } | null = null;
  /** The last time each peer was heard from (monotonic ms). */
  readonly lastHeardMs = new Map<NodeId, number>();
  private readonly formation: Formation;
  private readonly inbound: BoundedQueue<InboundFrame>;
  private readonly outbox = new Map<NodeId, [GroupId, Message][]>();
  private readonly recovered = new Map<GroupId, GroupRecovery>();
  private cancelTick: Cancel | null = null;
  /** Hastens elections when the transport loses a leader's connection; null without the signal. */
  private leaderWatch: LeaderWatch | null = null;
  private processScheduled = false;
  private isStopped = false;

  constructor(
    readonly environment: Environment,
    readonly options: MemberOptions,
  ) {
    assert(options.tickMs > 0 && options.snapshotEntries > 0, "bad member options");
    this.nodeId = options.nodeId;
    this.logger = environment.logger.child({ node: options.nodeId });
    this.codec = new WireCodec({ frameBytesMax: options.limits.frameBytesMax });
    this.inbound = new BoundedQueue<InboundFrame>(options.inboundFramesMax);
    this.startedMs = environment.clock.nowMs();
    const self: ClusterMember = {
      nodeId: options.nodeId,
      address: environment.transport.localAddress,
      adminAddress: options.adminAddress,
    };
    this.formation = new Formation(self, options.expect);
    const walOptions =
      options.walChecksum === null
        ? { logger: this.logger }
        : { logger: this.logger, checksum: options.walChecksum };
    const { wal, recovery } = Wal.open(environment.disk, options.wal, walOptions);
    this.wal = wal;
    for (const group of recovery.groups) this.recovered.set(group.group, group);
    this.clients = new ClientService(this);
    this.ap = new ApService(this, memberReplicatorConfig(), apPersistConfigOf(environment, options));
    this.swim = this.swimCreate();
    const configGroup = this.recovered.get(groupId(0));
    if (configGroup?.snapshot != null) this.groupsStart(null);
    this.logger.info("member.opened", {
      groupsRecovered: recovery.groups.length,
      tail: recovery.tailReason,
      tailTruncated: recovery.tailTruncated,
      hasCluster: this.cluster !== null,
    });
  }

  /** Starts the tick timer and the inbound handler. */
  start(): void {
    assert(this.cancelTick === null && !this.isStopped, "start() once");
    this.environment.transport.onFrame((from, frame) => {
      if (this.inbound.push({ from, frame }) === "full") this.stats.framesDropped += 1;
      this.processSoon();
    });
    this.leaderWatch = leaderWatchAttach(this);
    this.cancelTick = this.environment.clock.every(this.options.tickMs, () => this.tick());
  }

  /**
   * Stops: no more ticks, answers pending clients with UNAVAILABLE, writes every group's commit
   * index, closes the WAL. The Environment's owner closes the transport.
   */
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.cancelTick?.();
    this.cancelTick = null;
    this.swim.stop();
    this.clients.closeAll();
    this.clients.outboxFlush();
    this.commitsPersist([...this.groups.values()]);
    this.ap.save();
    this.wal.close();
    this.logger.info("member.stopped", {});
  }

  /**
   * Graceful leave, first half: announces the SWIM leave and asks every group this member leads
   * to transfer leadership to its most caught-up live voter (thesis §3.10), then resolves once it
   * leads none and the leave was gossiped, or after `timeoutMs`. Ticks keep running meanwhile;
   * call stop() after.
   */
  handOff(timeoutMs: number): Promise<void> {
    const left = this.swim.stopped || this.swim.core.hasLeft ? Promise.resolve() : this.swim.leave(timeoutMs);
    return Promise.all([left, this.leadershipHandOff(timeoutMs)]).then(() => undefined);
  }

  private leadershipHandOff(timeoutMs: number): Promise<void> {
    let transfers = 0;
    for (const group of this.groups.values()) {
      if (group.role !== "leader") continue;
      const status = group.node.status();
      const candidates = status.progress.filter(
        (p) => p.id !== this.nodeId && status.config.voters.includes(p.id),
      );
      candidates.sort((a, b) => b.match - a.match);
      const target = candidates[0];
      if (target !== undefined && group.node.transferLeadership(target.id).kind === "started") transfers += 1;
    }
    this.logger.info("member.hand_off", { transfers });
    const deadlineMs = this.environment.clock.nowMs() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        const leading = [...this.groups.values()].some((g) => g.role === "leader");
        if (!leading || this.isStopped || this.environment.clock.nowMs() >= deadlineMs) resolve();
        else this.environment.clock.after(this.options.tickMs, check);
      };
      check();
    });
  }

  /** Whether stop() ran. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** The member's view of itself and the cluster, for the admin API and `shoal status`. */
  status(): MemberStatus {
    return memberStatusOf(this);
  }

  /** The address of a member by id, from the configuration or from formation. */
  addressOf(node: NodeId): Address | null {
    const member =
      this.cluster?.members.find((m) => m.nodeId === node) ??
      this.formation.others().find((m) => m.nodeId === node);
    return member === undefined ? null : (member.address as Address);
  }

  /** One tick of the whole member. Exposed for tests that drive time by hand. */
  tick(): void {
    if (this.isStopped) return;
    this.stats.ticks += 1;
    this.leaderWatch?.drain();
    for (const group of this.groups.values()) group.node.tick();
    this.ap.tick();
    this.swim.tick();
    this.inboundDrain();
    if (this.cluster === null || this.stats.ticks % this.options.helloIntervalTicks === 0) this.helloMaybe();
    const balance = this.options.leaderBalanceIntervalTicks;
    if (balance > 0 && this.stats.ticks % balance === 0) this.leadersBalance();
    this.readyAll();
    this.outboxFlush();
    this.clients.expire(this.environment.clock.nowMs());
    this.clients.outboxFlush();
    if (this.options.checkInvariants) {
      for (const group of this.groups.values()) group.node.invariants();
      this.ap.invariants();
      this.swim.core.invariants();
    }
  }

  /**
   * Schedules one pass of step, persist, send and apply (no tick) as soon as the event loop is
   * free, so a request or a reply does not wait for the next tick: latency is then a few fsyncs
   * and round trips, not a few ticks. The callback still only schedules; frames that arrive
   * together are handled in one pass (and one WAL sync).
   */
  private processSoon(): void {
    if (this.processScheduled || this.isStopped || this.cancelTick === null) return;
    this.processScheduled = true;
    this.environment.clock.after(0, () => {
      this.processScheduled = false;
      if (this.isStopped) return;
      this.stats.passes += 1;
      this.inboundDrain();
      this.readyAll();
      this.outboxFlush();
      this.clients.outboxFlush();
      // A burst larger than one pass: keep going, one bounded pass per turn of the event loop.
      if (!this.inbound.isEmpty) this.processSoon();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // SWIM.

  /**
   * One SWIM member on this member's peer address, ticked once per member tick, seeded with the
   * --join list (and the configuration's members once formed). A restart starts at incarnation 0:
   * the first accusation of its earlier life it hears makes it refute above it.
   */
  private swimCreate(): SwimDriver {
    const transport = this.environment.transport;
    return new SwimDriver({
      environment: this.environment,
      id: this.nodeId,
      config: swimConfigLan(this.options.tickMs),
      seeds: this.options.join,
      incarnation: 0,
      metadata: new Uint8Array(0),
      onEvent: (event) => {
        this.logger.info("member.swim", { event: describeMembershipEvent(event) });
        if (event.kind === "suspect" || event.kind === "dead") this.ap.peerLost(event.member);
      },
      inboundFramesMax: 1,
      frameBytesMax: this.options.limits.frameBytesMax,
      send: (to, frame) => {
        const result = transport.send(to, frame);
        if (result === "queued") this.stats.framesSent += 1;
        else this.stats.sendsRefused += 1;
        return result;
      },
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Groups.

  /** Creates every group this member replicates, from the WAL or fresh from `bootstrap`. */
  private groupsStart(bootstrap: ClusterConfig | null): void {
    assert(this.groups.size === 0, "groups start once");
    const base = {
      self: this.nodeId,
      seed: this.environment.seed,
      raft: this.options.raft,
      sessions: this.options.sessions,
    };
    const recovery0 = this.recovered.get(groupId(0)) ?? null;
    const config0 = new RaftGroup({
      ...base,
      group: groupId(0),
      machineFactory: null,
      bootstrapVoters: bootstrap === null ? [this.nodeId] : configGroupVoters(bootstrap),
      bootstrapCluster: bootstrap,
      recovery: recovery0,
    });
    const cluster = config0.cluster;
    assert(cluster !== null, "group 0 holds the configuration");
    this.cluster = cluster;
    if (bootstrap !== null) this.configGroupPersist(config0);
    if (configGroupVoters(cluster).includes(this.nodeId)) this.groups.set(groupId(0), config0);
    for (const row of cluster.table.partitions) {
      if (!row.replicas.includes(this.nodeId) && !row.learners.includes(this.nodeId)) continue;
      const group = groupId(row.partition + 1);
      this.groups.set(
        group,
        new RaftGroup({
          ...base,
          group,
          machineFactory: this.options.machineFactory,
          bootstrapVoters: row.replicas,
          bootstrapCluster: null,
          recovery: this.recovered.get(group) ?? null,
        }),
      );
    }
    this.ap.start(cluster.table);
    this.swim.join(cluster.members.map((m) => m.address as Address));
    this.recovered.clear();
    this.logger.info("member.groups_started", { groups: this.groups.size, members: cluster.members.length });
  }

  /** Writes group 0's bootstrap snapshot, so a restart finds the configuration it formed with. */
  private configGroupPersist(group: RaftGroup): void {
    const snapshot = group.storage.snapshot();
    const data = walSnapshotEncode(configOfVoters(snapshot.meta.config.voters), snapshot.data);
    this.wal.saveSnapshot(
      group.group,
      { index: snapshot.meta.index, term: snapshot.meta.term, data },
      "keep-log",
    );
  }

  /**
   * Leader balancing: elections put leaders wherever timers fire first, so one member may lead
   * most groups. Each partition has a preferred leader among its replicas (preferredLeaders: rank
   * order, evened out over the members); a leader hands the group to it once it is alive and at
   * most leaderTransferLagMax entries behind, a few per round. The core catches it up first and
   * drops proposals meanwhile (clients retry), so a transfer under load pauses writes for about
   * one append round; waiting for a follower with every entry would wait forever under load.
   */
  private leadersBalance(): void {
    const cluster = this.cluster;
    if (cluster === null) return;
    if (this.preferred === null || this.preferred.table !== cluster.table)
      this.preferred = { table: cluster.table, leaders: preferredLeaders(cluster.table) };
    const leaders = this.preferred.leaders;
    const nowMs = this.environment.clock.nowMs();
    let transfers = 0;
    for (const group of this.groups.values()) {
      if (transfers >= this.options.leaderBalanceTransfersMax) return;
      if (group.role !== "leader" || group.partition === null) continue;
      const preferred = leaders[group.partition];
      if (preferred === undefined || preferred === this.nodeId) continue;
      const heardMs = this.lastHeardMs.get(preferred);
      if (heardMs === undefined || nowMs - heardMs > this.options.peerSilentMs) continue;
      const status = group.node.status();
      const progress = status.progress.find((p) => p.id === preferred);
      if (progress === undefined || status.lastIndex - progress.match > leaderTransferLagMax) continue;
      if (group.node.transferLeadership(preferred).kind !== "started") continue;
      transfers += 1;
      this.stats.leaderTransfers += 1;
      this.logger.debug("member.leader_transfer", { group: group.group, to: preferred });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Inbound.

  private inboundDrain(): void {
    const frames = this.inbound.drain(Math.min(this.inbound.size, this.options.inboundFramesPerTickMax));
    for (const { from, frame } of frames) {
      this.stats.framesReceived += 1;
      const decoded = this.codec.decode(frame);
      if (decoded.kind !== "ok") {
        this.frameInvalid(from, `${decoded.reason}: ${decoded.detail}`);
        continue;
      }
      this.frameStep(from, decoded.message);
    }
  }

  private frameStep(from: Address, message: WireMessage): void {
    switch (message.kind) {
      case "raft-batch":
        this.raftBatchStep(from, message.payload);
        return;
      case "client-request":
        this.clients.request(from, message.payload);
        // The answers this frame released (AP writes, local reads, refusals) leave now, not at the
        // end of the pass: a client that split its requests over several frames (client/channel.ts)
        // works on the first frame's answers while this member handles the next frame.
        this.environment.transport.flush?.(from);
        return;
      case "crdt-delta":
      case "crdt-digest":
        if (message.group === undefined || !this.ap.step(message.group, message.payload)) {
          this.frameInvalid(from, `malformed ${message.kind}`);
        }
        return;
      case "crdt-batch": {
        const malformed = this.ap.stepBatch(message.payload);
        if (malformed > 0) this.frameInvalid(from, `crdt-batch with ${malformed} malformed entries`);
        return;
      }
      case "swim":
        this.swim.deliver(from, message.payload);
        return;
      case "raft":
      case "client-response":
        // Not spoken by this member version: members coalesce Raft traffic into raft-batch frames.
        this.frameInvalid(from, `unexpected kind ${message.kind}`);
        return;
    }
  }

  private frameInvalid(from: Address, reason: string): void {
    this.stats.framesInvalid += 1;
    this.logger.warn("member.frame_invalid", { from, reason });
  }

  private raftBatchStep(from: Address, payload: unknown): void {
    // Decoding checks every message: its fields, from the batch's sender, to this member.
    const batch = raftBatchDecode(payload, this.nodeId);
    if (batch === null) {
      this.frameInvalid(from, "malformed raft-batch");
      return;
    }
    this.lastHeardMs.set(batch.from, this.environment.clock.nowMs());
    this.ap.peerReplicaSeen(batch.from, batch.replica as ReplicaId);
    if (batch.hello !== null) this.helloReceived(batch.hello);
    for (const [group, message] of batch.messages) {
      const host = this.groups.get(group);
      if (host === undefined) continue; // A group this member does not (yet) replicate.
      host.node.step(message);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Formation.

  private helloReceived(hello: Hello): void {
    if (this.cluster !== null) {
      // A member still forming asks; answer it with the configuration.
      if (hello.cluster === null) this.helloSend(hello.member.address as Address);
      return;
    }
    if (hello.cluster?.members.some((m) => m.nodeId === this.nodeId)) {
      this.logger.info("member.cluster_adopted", { from: hello.member.nodeId });
      this.groupsStart(hello.cluster);
      return;
    }
    this.formation.observe(hello);
  }

  private helloMaybe(): void {
    if (this.cluster === null && this.formation.isComplete()) {
      const cluster = clusterConfigBuild(this.options.clusterName, this.formation.members(), {
        partitionCount: this.options.partitionCount,
        replicaCountMax: this.options.replicaCountMax,
      });
      this.logger.info("member.cluster_formed", { members: cluster.members.map((m) => m.nodeId).join(",") });
      this.groupsStart(cluster);
    }
    if (this.cluster !== null) return;
    const targets = new Set<string>(this.options.join);
    for (const member of this.formation.others()) targets.add(member.address);
    targets.delete(this.environment.transport.localAddress);
    for (const target of targets) this.helloSend(target as Address);
  }

  private helloSend(to: Address): void {
    const batch: RaftBatch = {
      from: this.nodeId,
      replica: this.ap.replicaId,
      hello: this.formation.hello(this.cluster),
      messages: [],
    };
    this.frameSend(to, { version: 1, kind: "raft-batch", payload: this.batchEncoder.encode(batch) });
  }

  // ---------------------------------------------------------------------------------------------
  // Ready: persist (one sync), send, apply, advance.

  /**
   * Runs Ready rounds until no group has one (at most readyRoundsMax), or until a round leaves its
   * fsync in flight: advance() releases the responses a write made safe (H9) and the commits it
   * enabled into the next Ready, which must not wait for the next tick. While a sync is in flight
   * no group may take a Ready (one outstanding per core), but every core still steps what arrives,
   * and what it has to send leaves now (takeMessages: heartbeats, read rounds, appends of entries
   * proposed since; H12).
   */
  private readyAll(): void {
    for (let round = 0; round < readyRoundsMax; round++) {
      if (this.wal.syncing) {
        this.messagesTake();
        this.outboxFlush();
        this.committedTake();
        return;
      }
      if (!this.readyRound()) return;
    }
  }

  private messagesTake(): void {
    for (const group of this.groups.values()) this.outboxAdd(group.group, group.node.takeMessages());
  }

  /**
   * While the round's sync is in flight: applies and answers what committed meanwhile (a quorum
   * holds it durably), and serves reads whose round was confirmed, so neither waits for this
   * member's own fsync of newer entries. The outstanding Ready's committed entries were applied
   * when it was taken (readyRound), which takeCommittedEntries requires.
   */
  private committedTake(): void {
    for (const group of this.groups.values()) {
      for (const entry of group.node.takeCommittedEntries()) {
        if (entry.index <= group.appliedIndex) continue;
        this.clients.applied(group, group.apply(entry));
      }
      for (const read of group.node.takeReadStates())
        this.clients.readIndexKnown(group, read.requestId, read.index);
      this.clients.readsServe(group);
    }
  }

  /**
   * One Ready round over every group; false when no group had one. Pipelined group commit:
   * 1. Ready messages leave first. They never depend on what this Ready persists (the core
   *    withholds those until advance), so a leader's fsync overlaps its followers' (thesis
   *    §10.2.1) and a write costs about one fsync of latency instead of two.
   * 2. Every group's entries go to the WAL, and one fdatasync starts on the thread pool.
   * 3. Committed entries are applied and answered at once: they are durable on a quorum already,
   *    so they need not wait for this member's sync of newer entries.
   * 4. When the sync ends: hard states, the storage mirrors, advance(), snapshots; the next round.
   * A Ready with a snapshot (rare) takes the synchronous path, since installing it must precede
   * applying anything after it.
   */
  private readyRound(): boolean {
    this.messagesTake();
    const readies: [RaftGroup, Ready][] = [];
    for (const group of this.groups.values())
      if (group.node.hasReady()) readies.push([group, group.node.ready()]);
    if (readies.length === 0) return false;
    for (const [group, ready] of readies) this.outboxAdd(group.group, ready.messages);
    this.outboxFlush();
    if (readies.some(([, ready]) => ready.snapshot !== null)) {
      this.readySynchronous(readies);
      return true;
    }
    const entryCount = this.walAppend(readies);
    for (const [group, ready] of readies) {
      this.readyApply(group, ready);
      this.clients.readsServe(group);
    }
    if (entryCount === 0) {
      this.readyDurable(readies);
      return true;
    }
    const startMs = this.environment.clock.nowMs();
    this.wal.syncAsync((error) => {
      if (this.isStopped) return;
      // An fsync error leaves the page cache's state unknown (fsyncgate): stopping is the only
      // answer that never acknowledges a lost write.
      assert(error === null, `WAL sync failed: ${String(error)}`);
      this.walSynced(startMs, entryCount);
      this.readyDurable(readies);
      this.processSoon();
    });
    return true;
  }

  /** The whole round at once, with a blocking sync: used when a Ready carries a snapshot. */
  private readySynchronous(readies: readonly [RaftGroup, Ready][]): void {
    for (const [group, ready] of readies) {
      if (ready.snapshot === null) continue;
      const data = walSnapshotEncode(ready.snapshot.meta.config, ready.snapshot.data);
      const { index, term } = ready.snapshot.meta;
      this.wal.saveSnapshot(group.group, { index, term, data }, "discard-log");
    }
    const entryCount = this.walAppend(readies);
    if (entryCount > 0) {
      const startMs = this.environment.clock.nowMs();
      this.wal.sync();
      this.walSynced(startMs, entryCount);
    }
    for (const [group, ready] of readies) {
      if (ready.snapshot === null) continue;
      group.storage.applySnapshot(ready.snapshot);
      group.installSnapshot(ready.snapshot);
      this.stats.snapshotsInstalled += 1;
    }
    for (const [group, ready] of readies) this.readyApply(group, ready);
    this.readyDurable(readies);
  }

  /** Appends every group's new entries to the WAL (not yet durable); returns how many. */
  private walAppend(readies: readonly [RaftGroup, Ready][]): number {
    let entryCount = 0;
    for (const [group, ready] of readies) {
      if (ready.entries.length === 0) continue;
      this.wal.append(group.group, ready.entries.map(entryToWal));
      entryCount += ready.entries.length;
    }
    return entryCount;
  }

  private walSynced(startMs: number, entryCount: number): void {
    this.stats.walSyncs += 1;
    this.stats.walEntries += entryCount;
    this.options.hooks.walSynced?.(this.environment.clock.nowMs() - startMs, entryCount);
  }

  /**
   * After the round's entries are durable: the hard states whose term or vote changed (before any
   * message that depends on them leaves: advance releases those), the storage mirrors, advance,
   * reads that became servable, snapshots.
   */
  private readyDurable(readies: readonly [RaftGroup, Ready][]): void {
    const changed: [RaftGroup, HardState][] = [];
    for (const [group, ready] of readies) {
      group.storage.append(ready.entries);
      const hard = ready.hardState;
      if (hard !== null && (hard.term !== group.persistedTerm || hard.vote !== group.persistedVote))
        changed.push([group, hard]);
    }
    // Every term and vote change of the round in one table write and one fsync.
    this.hardStatesSave(changed);
    for (const [group, ready] of readies) {
      if (ready.hardState !== null) group.storage.setHardState(ready.hardState);
      group.node.advance(ready);
      this.clients.readsServe(group);
      this.snapshotMaybe(group);
    }
  }

  private readyApply(group: RaftGroup, ready: Ready): void {
    if (ready.softState !== null) {
      group.leader = ready.softState.leader;
      group.role = ready.softState.role;
      if (ready.softState.role !== "leader") this.clients.leadershipLost(group, ready.softState.leader);
      this.logger.debug("raft.soft_state", {
        group: group.group,
        role: ready.softState.role,
        leader: ready.softState.leader,
      });
    }
    for (const entry of ready.committedEntries) {
      if (entry.index <= group.appliedIndex) continue; // Covered by a snapshot installed in this Ready.
      this.clients.applied(group, group.apply(entry));
    }
    for (const read of ready.readStates) this.clients.readIndexKnown(group, read.requestId, read.index);
  }

  /** Every `snapshotEntries` applied entries: snapshot the machine, compact the log and the WAL. */
  private snapshotMaybe(group: RaftGroup): void {
    const applied = group.appliedIndex;
    const storage = group.storage;
    if (applied - storage.snapshot().meta.index < this.options.snapshotEntries) return;
    if (applied > storage.hardState().commit || applied > this.wal.syncedLastIndex(group.group)) return;
    const config = group.node.configStateAt(applied);
    const data = group.stateEncode();
    storage.compact(applied, data, config);
    const term = storage.snapshot().meta.term;
    this.commitsPersist([group]);
    this.wal.saveSnapshot(
      group.group,
      { index: applied, term, data: walSnapshotEncode(config, data) },
      "keep-log",
    );
    this.stats.snapshotsTaken += 1;
    this.logger.debug("member.snapshot_taken", { group: group.group, index: applied });
  }

  /** Writes the commit index of every group in `groups` that moved since it was last written. */
  private commitsPersist(groups: readonly RaftGroup[]): void {
    const changed: [RaftGroup, HardState][] = [];
    for (const group of groups) {
      const hard = group.storage.hardState();
      if (hard.commit <= group.persistedCommit) continue;
      const durable = Math.max(this.wal.syncedLastIndex(group.group), group.storage.snapshot().meta.index);
      if (hard.commit > durable) continue;
      changed.push([group, hard]);
    }
    this.hardStatesSave(changed);
  }

  /** Writes the hard states of `changed` in one table write, then records them as persisted. */
  private hardStatesSave(changed: readonly (readonly [RaftGroup, HardState])[]): void {
    this.wal.saveHardStates(changed.map(([group, hard]) => [group.group, hard]));
    for (const [group, hard] of changed) {
      group.persistedTerm = hard.term;
      group.persistedVote = hard.vote;
      group.persistedCommit = hard.commit;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Outbound.

  private outboxAdd(group: GroupId, messages: readonly Message[]): void {
    for (const message of messages) {
      let queue = this.outbox.get(message.to);
      if (queue === undefined) {
        queue = [];
        this.outbox.set(message.to, queue);
      }
      queue.push([group, message]);
    }
  }

  /** One raft-batch frame per peer per tick, split in halves only if it exceeds a frame. */
  private outboxFlush(): void {
    for (const [peer, messages] of this.outbox) {
      const address = this.addressOf(peer);
      if (address === null) continue;
      this.batchSend(address, messages);
    }
    this.outbox.clear();
  }

  /** One raft-batch frame to `to`, split in halves only if it exceeds a frame. */
  private batchSend(to: Address, messages: readonly [GroupId, Message][]): void {
    sendInHalves(
      messages,
      (part) => {
        const batch: RaftBatch = {
          from: this.nodeId,
          replica: this.ap.replicaId,
          hello: null,
          messages: part,
        };
        return this.frameSend(to, {
          version: 1,
          kind: "raft-batch",
          payload: this.batchEncoder.encode(batch),
        });
      },
      ([group, message]) => this.logger.warn("member.message_too_large", { to, group, type: message.type }),
    );
  }

  /** Encodes and sends one frame; false only when it is too large for a frame. */
  frameSend(to: Address, message: WireMessage<unknown>): boolean {
    const encoded = this.codec.encode(message);
    if (encoded.kind !== "ok") return false;
    const result = this.environment.transport.send(to, encoded.body);
    if (result === "queued") this.stats.framesSent += 1;
    else this.stats.sendsRefused += 1;
    return true;
  }
}
