// The SWIM member: a pure state machine (DESIGN.md rule 1). The driver calls `tick()` once per
// `config.tickMs`, `step()` for each inbound packet, then sends `takeOutbox()` and publishes
// `takeEvents()`. Time is counted in ticks, randomness comes from the injected Prng, and nothing
// here touches the network: the same code runs in the simulator and over UDP.
//
// Protocol (SWIM, Das et al. 2002; Lifeguard, Dadgar et al. 2018; memberlist as the reference):
// each probe interval the member pings the next member of a shuffled round-robin order; without an
// ack within the probe timeout it asks `indirectChecks` members to ping-req the target; without
// any ack by the end of the interval it suspects the target. Suspicions spread by piggybacking,
// the suspected member refutes by raising its incarnation, and an unrefuted suspicion becomes a
// death after the (dynamic) suspicion timeout.

import { assert, assertNever } from "../../lib/assert.js";
import { bytesEqual } from "../../lib/bytes.js";
import type { Prng } from "../../lib/prng.js";
import type { Address, NodeId } from "../../types.js";
import { Awareness } from "./awareness.js";
import { BroadcastQueue } from "./broadcast_queue.js";
import {
  pushPullIntervalScaledTicks,
  retransmitLimit,
  type SwimConfig,
  suspicionConfirmationsNeeded,
  suspicionMaxTicks,
  suspicionMinTicks,
  swimConfigCheck,
  ticksFromMs,
} from "./config.js";
import { type MembershipEvent, MembershipEventKind } from "./events.js";
import { isActiveState, updateVerdict } from "./member_state.js";
import {
  type AliveUpdate,
  type DeadUpdate,
  type LeftUpdate,
  type MemberRecord,
  MemberState,
  messageBaseSizeBytes,
  type PingRequestMessage,
  type PushPullMessage,
  type SuspectUpdate,
  type SwimMessage,
  type Update,
  updateSizeBytes,
} from "./messages.js";
import { ProbeOrder } from "./probe_order.js";
import { stateRecords, updateFromRecord } from "./push_pull.js";
import { RelayTable } from "./relay_table.js";
import { Suspicion } from "./suspicion.js";

/** How this member was started. */
export interface SwimMemberOptions {
  readonly id: NodeId;
  readonly address: Address;
  readonly config: SwimConfig;
  /** This core's random stream (`Prng.derive(seed, "swim")`). */
  readonly prng: Prng;
  /** The starting incarnation; a restarted member passes one above any it used before, if it knows it. */
  readonly incarnation: number;
  readonly metadata: Uint8Array;
  /** Addresses to join through; empty for the first member. */
  readonly seeds: readonly Address[];
}

/** A packet to send. The caller owns it once taken. */
export interface Outbound {
  readonly to: Address;
  readonly message: SwimMessage;
}

/** What this member knows of another one. */
export interface MemberView {
  readonly member: NodeId;
  readonly address: Address;
  readonly incarnation: number;
  readonly state: MemberState;
  readonly metadata: Uint8Array;
}

/** Counters of refused work, for metrics. */
export interface SwimCounters {
  membersRefused: number;
  relaysRefused: number;
  refutations: number;
  probesFailed: number;
}

interface MemberEntry {
  readonly id: NodeId;
  address: Address;
  incarnation: number;
  metadata: Uint8Array;
  state: MemberState;
  stateChangeTick: number;
}

interface Probe {
  readonly target: NodeId;
  readonly incarnation: number;
  readonly sequence: number;
  readonly timeoutTick: number;
  readonly deadlineTick: number;
  isIndirectSent: boolean;
  expectedNacks: number;
  nacks: number;
}

/** The share of the requester's remaining window a relay waits before it nacks. */
const relayWindowFraction = 0.8;

/** One member of a SWIM cluster, with the Lifeguard refinements. */
export class SwimMember {
  /** This member's identity. */
  readonly id: NodeId;
  /** This member's address, as others reach it. */
  readonly address: Address;
  /** Counters of refused work. */
  readonly counters: SwimCounters = { membersRefused: 0, relaysRefused: 0, refutations: 0, probesFailed: 0 };
  private readonly config: SwimConfig;
  private readonly prng: Prng;
  private readonly awareness: Awareness;
  private readonly broadcasts: BroadcastQueue;
  private readonly members = new Map<NodeId, MemberEntry>();
  private readonly suspicions = new Map<NodeId, Suspicion>();
  private readonly relays: RelayTable;
  private readonly probeOrder: ProbeOrder;
  private readonly seeds: Address[];
  private nowTicks = 0;
  private incarnationValue: number;
  private metadataValue: Uint8Array;
  private isLeaving = false;
  private activeCount = 0;
  private probe: Probe | null = null;
  private sequence: number;
  private nextProbeTick: number;
  private nextGossipTick: number;
  private nextPushPullTick: number;
  private nextReconnectTick: number;
  private nextJoinTick = 0;
  private nextReclaimTick = 0;
  private outbox: Outbound[] = [];
  private events: MembershipEvent[] = [];

  /** Creates a member; it joins through `options.seeds` on its first tick. */
  constructor(options: SwimMemberOptions) {
    swimConfigCheck(options.config);
    assert(options.incarnation >= 0 && Number.isSafeInteger(options.incarnation), "bad incarnation");
    assert(
      options.metadata.byteLength <= options.config.metadataBytesMax,
      "metadata exceeds metadataBytesMax",
    );
    this.id = options.id;
    this.address = options.address;
    this.config = options.config;
    this.prng = options.prng;
    this.incarnationValue = options.incarnation;
    this.metadataValue = options.metadata;
    this.seeds = options.seeds.filter((seed) => seed !== options.address);
    this.awareness = new Awareness(options.config.awarenessMax);
    this.broadcasts = new BroadcastQueue(options.config.membersMax);
    this.relays = new RelayTable(options.config.relaysMax);
    this.probeOrder = new ProbeOrder(this.prng, 2 * options.config.membersMax);
    this.sequence = this.prng.below(0x4000_0000);
    // Random phases keep members that start together from probing and gossiping in lockstep.
    this.nextProbeTick = 1 + this.prng.below(options.config.probeIntervalTicks);
    this.nextGossipTick = 1 + this.prng.below(options.config.gossipIntervalTicks);
    this.nextPushPullTick = 1 + this.prng.below(options.config.pushPullIntervalTicks);
    this.nextReconnectTick = 1 + this.prng.below(options.config.reconnectIntervalTicks);
    this.broadcasts.enqueue(this.selfAlive());
  }

  /** This member's current incarnation. */
  get incarnation(): number {
    return this.incarnationValue;
  }

  /** This member's local health score (0 is healthy). */
  get healthScore(): number {
    return this.awareness.score;
  }

  /** Ticks since start. */
  get currentTick(): number {
    return this.nowTicks;
  }

  /** Whether `leave()` was called. */
  get hasLeft(): boolean {
    return this.isLeaving;
  }

  /** Whether the leave announcement has been sent its full number of times. */
  get isLeaveDisseminated(): boolean {
    return this.isLeaving && !this.broadcasts.has(this.id);
  }

  /** Number of other members believed alive or suspect. */
  get activeMemberCount(): number {
    return this.activeCount;
  }

  /** Returns what this member knows of `member` (null if unknown or itself). */
  memberView(member: NodeId): MemberView | null {
    const entry = this.members.get(member);
    return entry === undefined ? null : SwimMember.viewOf(entry);
  }

  /** Returns every other member this one tracks, sorted by id. The caller owns the array. */
  memberViews(): MemberView[] {
    return [...this.members.values()].map(SwimMember.viewOf).sort((a, b) => (a.member < b.member ? -1 : 1));
  }

  /** Advances logical time by one tick: probes, relays, suspicions, gossip, push-pull, joins. */
  tick(): void {
    this.nowTicks += 1;
    this.tickProbe();
    this.tickRelays();
    this.tickSuspicions();
    this.tickGossip();
    if (!this.isLeaving) {
      this.tickPushPull();
      this.tickReconnect();
      this.tickJoin();
    }
    this.tickReclaim();
  }

  /** Handles one packet that arrived from `from`. The message must already be validated. */
  step(from: Address, message: SwimMessage): void {
    switch (message.kind) {
      case "ping":
        this.applyUpdates(from, message.piggyback);
        if (message.target !== this.id) return; // Meant for an earlier identity at this address.
        this.sendWithPiggyback(from, (piggyback) => ({
          kind: "ack",
          sequence: message.sequence,
          source: this.id,
          piggyback,
        }));
        return;
      case "ack":
        this.applyUpdates(from, message.piggyback);
        this.ackReceived(message.sequence);
        return;
      case "nack":
        if (this.probe !== null && this.probe.sequence === message.sequence) this.probe.nacks += 1;
        return;
      case "ping-req":
        this.applyUpdates(from, message.piggyback);
        this.relayStart(from, message);
        return;
      case "gossip":
        this.applyUpdates(from, message.piggyback);
        return;
      case "push-pull":
        this.pushPullReceived(from, message);
        return;
      default:
        assertNever(message, "unknown SWIM message");
    }
  }

  /** Removes and returns the packets to send, in order. */
  takeOutbox(): Outbound[] {
    const outbox = this.outbox;
    this.outbox = [];
    return outbox;
  }

  /** Removes and returns the membership events since the last call, in order. */
  takeEvents(): MembershipEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  /** Sends a join request (a push-pull) to each of `seeds` now; retried while no member is known. */
  join(seeds: readonly Address[]): void {
    assert(!this.isLeaving, "cannot join after leaving");
    for (const seed of seeds) if (seed !== this.address && !this.seeds.includes(seed)) this.seeds.push(seed);
    this.nextJoinTick = this.nowTicks;
    this.tickJoin();
  }

  /** Replaces this member's metadata; the new version is announced with a higher incarnation. */
  updateMetadata(metadata: Uint8Array): void {
    assert(!this.isLeaving, "cannot update metadata after leaving");
    assert(metadata.byteLength <= this.config.metadataBytesMax, "metadata exceeds metadataBytesMax");
    this.metadataValue = metadata;
    this.incarnationValue += 1;
    this.broadcasts.enqueue(this.selfAlive());
  }

  /**
   * Announces a graceful leave: stops probing, and gossips a `left` update until it has been sent
   * its full number of times (`isLeaveDisseminated`); the driver then stops the member.
   */
  leave(): void {
    assert(!this.isLeaving, "leave called twice");
    this.isLeaving = true;
    this.probe = null;
    this.broadcasts.enqueue({ kind: "left", member: this.id, incarnation: this.incarnationValue });
    this.nextGossipTick = this.nowTicks;
  }

  /** Asserts the core's invariants; the simulator calls it after every step. */
  invariants(): void {
    assert(!this.members.has(this.id), "a member never tracks itself");
    assert(this.members.size < this.config.membersMax, "members over membersMax");
    assert(this.relays.size <= this.config.relaysMax, "relays over relaysMax");
    let active = 0;
    for (const entry of this.members.values()) if (isActiveState(entry.state)) active += 1;
    assert(active === this.activeCount, "active member count drifted");
    for (const member of this.suspicions.keys()) {
      assert(this.members.get(member)?.state === MemberState.Suspect, "a suspicion without a suspect");
    }
    if (this.probe !== null) assert(this.probe.target !== this.id, "a member never probes itself");
  }

  // --- Probing -----------------------------------------------------------------------------

  private tickProbe(): void {
    const probe = this.probe;
    if (probe !== null) {
      if (!probe.isIndirectSent && this.nowTicks >= probe.timeoutTick) this.probeIndirect(probe);
      if (this.nowTicks >= probe.deadlineTick) this.probeFail(probe);
    }
    if (this.probe === null && !this.isLeaving && this.nowTicks >= this.nextProbeTick) this.probeStart();
  }

  private probeStart(): void {
    assert(this.probe === null, "one probe at a time");
    this.nextProbeTick = this.nowTicks + this.config.probeIntervalTicks;
    const target = this.probeTargetNext();
    if (target === null) return;
    const sequence = this.sequenceNext();
    // Local health stretches both the wait for a direct ack and the whole probe (Lifeguard §IV-A).
    this.probe = {
      target: target.id,
      incarnation: target.incarnation,
      sequence,
      timeoutTick: this.nowTicks + this.awareness.scaleTicks(this.config.probeTimeoutTicks),
      deadlineTick: this.nowTicks + this.awareness.scaleTicks(this.config.probeIntervalTicks),
      isIndirectSent: false,
      expectedNacks: 0,
      nacks: 0,
    };
    // Buddy system: a suspected member learns of the suspicion from the probe itself and refutes at once.
    const leading: Update[] =
      this.config.isBuddyEnabled && target.state === MemberState.Suspect
        ? [{ kind: "suspect", member: target.id, incarnation: target.incarnation, from: this.id }]
        : [];
    this.sendWithPiggyback(
      target.address,
      (piggyback) => ({ kind: "ping", sequence, source: this.id, target: target.id, piggyback }),
      leading,
    );
  }

  private probeIndirect(probe: Probe): void {
    probe.isIndirectSent = true;
    const target = this.members.get(probe.target);
    if (target === undefined || !isActiveState(target.state)) return;
    const relays = this.randomMembers(
      this.config.indirectChecks,
      (entry) => entry.state === MemberState.Alive && entry.id !== probe.target,
    );
    const windowTicks = Math.max(1, probe.deadlineTick - this.nowTicks);
    const relayTimeoutMs = Math.max(1, Math.floor(windowTicks * this.config.tickMs * relayWindowFraction));
    for (const relay of relays) {
      const wantsNack = this.config.isNackEnabled;
      if (wantsNack) probe.expectedNacks += 1;
      this.sendWithPiggyback(relay.address, (piggyback) => ({
        kind: "ping-req",
        sequence: probe.sequence,
        source: this.id,
        target: target.id,
        targetAddress: target.address,
        relayTimeoutMs,
        wantsNack,
        piggyback,
      }));
    }
  }

  private probeFail(probe: Probe): void {
    this.probe = null;
    this.counters.probesFailed += 1;
    // Missing nacks mean the fault is likely ours, not the target's (Lifeguard §IV-A). Without
    // relays to judge by, every failed probe counts against our own health.
    const delta = probe.expectedNacks > 0 ? probe.expectedNacks - probe.nacks : 1;
    this.awareness.applyDelta(Math.max(0, delta));
    const target = this.members.get(probe.target);
    if (target === undefined || !isActiveState(target.state)) return;
    this.applyUpdate({
      kind: "suspect",
      member: probe.target,
      incarnation: probe.incarnation,
      from: this.id,
    });
  }

  private ackReceived(sequence: number): void {
    if (this.probe !== null && this.probe.sequence === sequence) {
      this.probe = null;
      this.awareness.applyDelta(-1);
      return;
    }
    const relay = this.relays.takeAnswered(sequence);
    if (relay === undefined) return; // A late or duplicate ack.
    this.sendWithPiggyback(relay.requester, (piggyback) => ({
      kind: "ack",
      sequence: relay.requesterSequence,
      source: this.id,
      piggyback,
    }));
  }

  private probeTargetNext(): MemberEntry | null {
    const member = this.probeOrder.next(
      (id) => {
        const entry = this.members.get(id);
        return entry !== undefined && isActiveState(entry.state);
      },
      () => [...this.members.values()].filter((entry) => isActiveState(entry.state)).map((entry) => entry.id),
    );
    return member === null ? null : this.members.get(member)!;
  }

  // --- Relaying (indirect probes for others) -------------------------------------------------

  private relayStart(from: Address, message: PingRequestMessage): void {
    const sequence = this.sequenceNext();
    const isAdded = this.relays.add(sequence, {
      requester: from,
      requesterSequence: message.sequence,
      // A peer's timeout is clamped to the longest window a healthy requester could have.
      deadlineTick:
        this.nowTicks +
        Math.min(
          ticksFromMs(message.relayTimeoutMs, this.config.tickMs),
          this.config.probeIntervalTicks * this.config.awarenessMax,
        ),
      wantsNack: message.wantsNack && this.config.isNackEnabled,
    });
    if (!isAdded) {
      this.counters.relaysRefused += 1;
      return;
    }
    this.sendWithPiggyback(message.targetAddress, (piggyback) => ({
      kind: "ping",
      sequence,
      source: this.id,
      target: message.target,
      piggyback,
    }));
  }

  private tickRelays(): void {
    for (const relay of this.relays.takeExpired(this.nowTicks)) {
      if (!relay.wantsNack) continue;
      this.outbox.push({
        to: relay.requester,
        message: { kind: "nack", sequence: relay.requesterSequence, source: this.id },
      });
    }
  }

  // --- Suspicion, gossip, push-pull, joins, reclaim -------------------------------------------

  private tickSuspicions(): void {
    for (const [member, suspicion] of this.suspicions) {
      if (!suspicion.isExpired(this.nowTicks)) continue;
      const entry = this.members.get(member);
      assert(entry !== undefined && entry.state === MemberState.Suspect, "suspicion of a non-suspect");
      this.applyUpdate({ kind: "dead", member, incarnation: entry.incarnation, from: this.id });
    }
  }

  private tickGossip(): void {
    if (this.nowTicks < this.nextGossipTick) return;
    this.nextGossipTick = this.nowTicks + this.config.gossipIntervalTicks;
    if (this.broadcasts.size === 0) return;
    // Recently dead members still hear gossip, so that a wrongly declared one can refute.
    const targets = this.randomMembers(
      this.config.gossipNodes,
      (entry) =>
        isActiveState(entry.state) ||
        (entry.state === MemberState.Dead &&
          this.nowTicks - entry.stateChangeTick < this.config.gossipToTheDeadTicks),
    );
    for (const target of targets) {
      if (this.broadcasts.size === 0) break;
      this.sendWithPiggyback(target.address, (piggyback) => ({ kind: "gossip", source: this.id, piggyback }));
    }
  }

  private tickPushPull(): void {
    if (this.nowTicks < this.nextPushPullTick) return;
    this.nextPushPullTick =
      this.nowTicks + pushPullIntervalScaledTicks(this.config, this.memberCountEstimate());
    const [target] = this.randomMembers(1, (entry) => entry.state === MemberState.Alive);
    if (target !== undefined) this.pushPullSend(target.address, false, false);
  }

  private tickReconnect(): void {
    // A healed partition leaves both sides believing the other dead; an occasional exchange with a
    // dead member merges them again (serf's reconnect).
    if (this.nowTicks < this.nextReconnectTick) return;
    this.nextReconnectTick = this.nowTicks + this.config.reconnectIntervalTicks;
    const [target] = this.randomMembers(1, (entry) => entry.state === MemberState.Dead);
    if (target !== undefined) this.pushPullSend(target.address, false, false);
  }

  private tickJoin(): void {
    if (this.seeds.length === 0 || this.activeCount > 0 || this.nowTicks < this.nextJoinTick) return;
    this.nextJoinTick = this.nowTicks + this.config.joinRetryTicks;
    for (const seed of this.seeds) this.pushPullSend(seed, false, true);
  }

  private tickReclaim(): void {
    if (this.nowTicks < this.nextReclaimTick) return;
    this.nextReclaimTick = this.nowTicks + this.config.probeIntervalTicks;
    for (const [member, entry] of this.members) {
      const age = this.nowTicks - entry.stateChangeTick;
      const isForgotten =
        (entry.state === MemberState.Dead && age >= this.config.deadForgetTicks) ||
        (entry.state === MemberState.Left && age >= this.config.leftForgetTicks);
      if (isForgotten) this.members.delete(member);
    }
  }

  private pushPullSend(to: Address, isResponse: boolean, isJoin: boolean): void {
    const message: PushPullMessage = {
      kind: "push-pull",
      source: this.id,
      isResponse,
      isJoin,
      members: this.stateRecords(),
    };
    this.outbox.push({ to, message });
  }

  private pushPullReceived(from: Address, message: PushPullMessage): void {
    for (const record of message.members) this.applyUpdate(updateFromRecord(record, message.source));
    if (!message.isResponse) this.pushPullSend(from, true, message.isJoin);
  }

  private stateRecords(): MemberRecord[] {
    const self: MemberRecord = {
      member: this.id,
      address: this.address,
      incarnation: this.incarnationValue,
      state: this.isLeaving ? MemberState.Left : MemberState.Alive,
      metadata: this.metadataValue,
    };
    const others = [...this.members.values()].map(SwimMember.viewOf);
    return stateRecords(self, others, this.config.pushPullBytesMax);
  }

  // --- Applying updates (precedence in member_state.ts) ---------------------------------------

  private applyUpdates(from: Address, updates: readonly Update[]): void {
    let corrections: Update[] | null = null;
    for (const update of updates) {
      this.applyUpdate(update);
      const correction = this.isBuddyCorrecting(update);
      if (correction !== null) (corrections ??= []).push(correction);
    }
    // The sender still spreads an accusation we know was refuted: it missed the refutation, so
    // hand it back directly rather than trust random gossip to reach it before its timer runs out.
    if (corrections !== null) {
      this.outbox.push({ to: from, message: { kind: "gossip", source: this.id, piggyback: corrections } });
    }
  }

  /** Returns the refutation to send back for a stale accusation about an alive member, or null. */
  private isBuddyCorrecting(update: Update): AliveUpdate | null {
    if (!this.config.isBuddyEnabled || (update.kind !== "suspect" && update.kind !== "dead")) return null;
    const entry = this.members.get(update.member);
    if (entry === undefined || entry.state !== MemberState.Alive) return null;
    if (update.incarnation >= entry.incarnation) return null;
    return {
      kind: "alive",
      member: entry.id,
      address: entry.address,
      incarnation: entry.incarnation,
      metadata: entry.metadata,
    };
  }

  private applyUpdate(update: Update): void {
    if (update.member === this.id) {
      this.applyUpdateAboutSelf(update);
      return;
    }
    const entry = this.members.get(update.member) ?? null;
    const verdict = updateVerdict(entry, update);
    if (verdict === "ignore") return;
    if (verdict === "confirm") {
      const suspicion = this.suspicions.get(update.member);
      // A new independent confirmation shortens the timeout; pass it on so others count it too.
      if (suspicion?.confirm((update as SuspectUpdate).from)) this.broadcasts.enqueue(update);
      return;
    }
    if (update.kind === "alive") this.applyAlive(entry, update);
    else if (entry === null) return;
    else if (update.kind === "suspect") this.applySuspect(entry, update);
    else this.applyDeparture(entry, update);
  }

  private applyAlive(entry: MemberEntry | null, update: AliveUpdate): void {
    if (entry === null) {
      if (this.members.size + 1 >= this.config.membersMax) {
        this.counters.membersRefused += 1;
        return;
      }
      const added: MemberEntry = { ...SwimMember.entryFrom(update), stateChangeTick: this.nowTicks };
      this.members.set(added.id, added);
      this.activeCount += 1;
      this.probeOrder.insert(added.id);
      this.broadcasts.enqueue(update);
      this.emit(MembershipEventKind.Joined, added);
      return;
    }
    assert(update.incarnation > entry.incarnation, "alive applies only at a higher incarnation");
    const previous = entry.state;
    const isChanged = entry.address !== update.address || !bytesEqual(entry.metadata, update.metadata);
    entry.address = update.address;
    entry.metadata = update.metadata;
    entry.incarnation = update.incarnation;
    this.stateSet(entry, MemberState.Alive);
    this.suspicions.delete(entry.id);
    this.broadcasts.enqueue(update);
    if (!isActiveState(previous)) {
      this.probeOrder.insert(entry.id);
      this.emit(MembershipEventKind.Joined, entry);
    } else if (previous === MemberState.Suspect) this.emit(MembershipEventKind.Alive, entry);
    if (isActiveState(previous) && isChanged) this.emit(MembershipEventKind.Updated, entry);
  }

  private applySuspect(entry: MemberEntry, update: SuspectUpdate): void {
    entry.incarnation = update.incarnation;
    this.stateSet(entry, MemberState.Suspect);
    const memberCount = this.memberCountEstimate();
    this.suspicions.set(
      entry.id,
      new Suspicion(
        update.from,
        this.nowTicks,
        suspicionConfirmationsNeeded(this.config, memberCount),
        suspicionMinTicks(this.config, memberCount),
        suspicionMaxTicks(this.config, memberCount),
      ),
    );
    this.broadcasts.enqueue(update);
    this.emit(MembershipEventKind.Suspect, entry);
    // Buddy system, eager form: besides the next probe, tell the suspect at once. Gossip alone
    // misses a given member with small but real odds; this makes its refutation near-certain.
    if (this.config.isBuddyEnabled) {
      this.outbox.push({
        to: entry.address,
        message: { kind: "gossip", source: this.id, piggyback: [update] },
      });
    }
  }

  private applyDeparture(entry: MemberEntry, update: DeadUpdate | LeftUpdate): void {
    entry.incarnation = update.incarnation;
    this.stateSet(entry, update.kind === "dead" ? MemberState.Dead : MemberState.Left);
    this.suspicions.delete(entry.id);
    this.broadcasts.enqueue(update);
    this.emit(update.kind === "dead" ? MembershipEventKind.Dead : MembershipEventKind.Left, entry);
  }

  private applyUpdateAboutSelf(update: Update): void {
    if (update.kind === "alive") {
      // An echo of our own announcement is harmless; anything newer, or different at the same
      // incarnation, comes from an earlier life of this identity and must be overridden.
      const isEcho =
        update.incarnation === this.incarnationValue &&
        update.address === this.address &&
        bytesEqual(update.metadata, this.metadataValue);
      if (update.incarnation >= this.incarnationValue && !isEcho) this.refute(update.incarnation);
      return;
    }
    if (this.isLeaving) return; // We are going: a suspicion or death is no longer worth refuting.
    if (update.incarnation >= this.incarnationValue) this.refute(update.incarnation);
    // A stale accusation means its sender missed our refutation: announce our current incarnation
    // again (no raise), so that the ack of a buddy probe carries it straight back.
    else if (!this.broadcasts.has(this.id)) this.broadcasts.enqueue(this.selfAlive());
  }

  private refute(seenIncarnation: number): void {
    if (!this.config.isRefutationEnabled) return; // Mutant M12.
    this.incarnationValue = Math.max(this.incarnationValue, seenIncarnation) + 1;
    this.counters.refutations += 1;
    // Being suspected hints that we are the slow one (Lifeguard §IV-A).
    this.awareness.applyDelta(1);
    this.broadcasts.enqueue(this.selfAlive());
  }

  // --- Helpers -----------------------------------------------------------------------------------

  private sendWithPiggyback(
    to: Address,
    build: (piggyback: Update[]) => SwimMessage,
    leading: readonly Update[] = [],
  ): void {
    const base = messageBaseSizeBytes(build([]));
    let budget = this.config.packetBytesMax - base;
    for (const update of leading) budget -= updateSizeBytes(update);
    assert(budget >= 0, "a packet's leading updates exceed packetBytesMax");
    const taken = this.broadcasts.take(budget, retransmitLimit(this.config, this.memberCountEstimate()));
    this.outbox.push({ to, message: build([...leading, ...taken]) });
  }

  private randomMembers(count: number, accept: (entry: MemberEntry) => boolean): MemberEntry[] {
    const candidates: MemberEntry[] = [];
    for (const entry of this.members.values()) if (accept(entry)) candidates.push(entry);
    const picked = Math.min(count, candidates.length);
    // A partial Fisher–Yates shuffle: the first `picked` slots are a uniform sample.
    for (let i = 0; i < picked; i++) {
      const j = i + this.prng.below(candidates.length - i);
      const swap = candidates[i]!;
      candidates[i] = candidates[j]!;
      candidates[j] = swap;
    }
    return candidates.slice(0, picked);
  }

  private stateSet(entry: MemberEntry, state: MemberState): void {
    const wasActive = isActiveState(entry.state);
    const isActive = isActiveState(state);
    if (wasActive && !isActive) this.activeCount -= 1;
    if (!wasActive && isActive) this.activeCount += 1;
    if (entry.state !== state) entry.stateChangeTick = this.nowTicks;
    entry.state = state;
    assert(this.activeCount >= 0, "active member count below zero");
  }

  private emit(kind: MembershipEventKind, entry: MemberEntry): void {
    this.events.push({
      kind,
      member: entry.id,
      address: entry.address,
      incarnation: entry.incarnation,
      metadata: entry.metadata,
      tick: this.nowTicks,
    });
  }

  private memberCountEstimate(): number {
    return this.activeCount + 1;
  }

  private sequenceNext(): number {
    this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER;
    return this.sequence;
  }

  private selfAlive(): AliveUpdate {
    return {
      kind: "alive",
      member: this.id,
      address: this.address,
      incarnation: this.incarnationValue,
      metadata: this.metadataValue,
    };
  }

  private static viewOf(entry: MemberEntry): MemberView {
    return {
      member: entry.id,
      address: entry.address,
      incarnation: entry.incarnation,
      state: entry.state,
      metadata: entry.metadata,
    };
  }

  private static entryFrom(update: AliveUpdate): MemberEntry {
    return {
      id: update.member,
      address: update.address,
      incarnation: update.incarnation,
      metadata: update.metadata,
      state: MemberState.Alive,
      stateChangeTick: 0,
    };
  }
}
