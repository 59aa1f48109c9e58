// The replication core of one replica: delta-state propagation with acknowledged delta-intervals
// (causal delta-merging condition), full-state fallback, and Merkle-digest anti-entropy. Pure: the
// driver calls tick() on a fixed cadence, step() for each inbound message, and sends whatever
// takeOutbox() returns. A replica that lost its state must come back under a new ReplicaId: peers
// key their acknowledgements by id, so a new id starts from nothing and no dot is ever reused.
//
// Origin-only propagation. Almeida, Shoker and Baquero's Algorithm 2 buffers every delta that
// inflates the state, received ones included, and sends the buffer to every neighbour: deltas
// travel transitively, which a sparse topology needs. The replicas of a partition are a full mesh
// (every replica is a peer of every other; setPeers is given all of them), so a delta made here is
// sent by this replica to each other replica directly, and forwarding it again from each receiver
// would make every replica decode and join it once per replica instead of once. So only local
// deltas are buffered and sent; a delta received from a peer is joined and acknowledged, never
// forwarded. (One received from a replica that is not a peer, an earlier incarnation or a member
// that left, is buffered as if local: no one else may ever get it from its origin.)
// Delivery from the origin stays reliable: acks, nacks, retransmission, and the full state when
// the buffer no longer holds what a peer lacks. What transitive forwarding repaired, a delta that
// reached some replicas before its origin died or was cut off from the others, is repaired by
// anti-entropy: every interval with a random peer, and at once with every peer when the peer set
// changes (a peer restarted under a new id, left, or joined) or when the driver reports a peer
// lost (peerLost: its SWIM suspicion or death). Skipping the forward is safe for causal types
// because receiving out of causal order is: a replica may now join a peer's delta before a delta
// of a third replica it depends on (an OR-set remove made at B of an element A added, reaching C
// before A's add). The remove's context names the add's dot; C keeps it in its dot cloud
// (causal_context.ts), so the add, when it comes, finds its dot already seen and stays removed;
// the cloud folds into the version vector once the gap closes. The per-sender condition (an
// interval joins only after everything before it from the same sender) still holds, as before.

import { assert } from "../../lib/assert.js";
import type { Prng } from "../../lib/prng.js";
import type { ReplicaId } from "../../types.js";
import { Hlc, type HlcConfig, type HlcTimestamp } from "../clock/hlc.js";
import { CausalCrdt } from "../crdt/causal.js";
import type { Crdt, CrdtTypeName, ProjectableCrdt } from "../crdt/crdt.js";
import type { CrdtMutants } from "../crdt/mutants.js";
import { ByteWriter } from "../crdt/codec.js";
import { decodeCrdt, encodeCrdt, encodeCrdtInto, latestStampOf } from "../crdt/registry.js";
import { DeltaBuffer } from "./delta_buffer.js";
import type { MerkleShape } from "./merkle.js";
import type { KeyedBytes, ReplicationMessage } from "./messages.js";
import { ReplicaStore } from "./store.js";
import { AntiEntropy } from "./anti_entropy.js";
import { messageSizeBytes } from "./messages.js";

/** Configuration of a {@link Replicator}. */
export interface ReplicatorConfig {
  /** "delta" sends delta-intervals; "full" always sends the whole state (the differential baseline). */
  readonly mode: "delta" | "full";
  /** Ticks between two rounds of delta (or full-state) gossip to every peer. */
  readonly gossipIntervalTicks: number;
  /** Ticks between two Merkle digest exchanges with one random peer; 0 turns them off. */
  readonly antiEntropyIntervalTicks: number;
  /** Most deltas buffered for peers that have not acknowledged them. */
  readonly deltaBufferEntriesMax: number;
  /** Ticks before an unacknowledged interval is sent again when nothing new was buffered. */
  readonly retransmitTicks: number;
  /** Most key states in one leaf-states message. */
  readonly leafStatesEntriesMax: number;
  readonly merkle: MerkleShape;
  readonly hlc: HlcConfig;
  readonly mutants: CrdtMutants;
}

/** The outcome of a local mutation. */
export type MutateResult =
  | { readonly kind: "ok"; readonly delta: Crdt }
  | { readonly kind: "wrong-type"; readonly actual: string };

/** Counters of what the replicator did. */
export interface ReplicatorStats {
  messagesSent: number;
  bytesSent: number;
  antiEntropyBytesSent: number;
  fullStatesSent: number;
  nonCausalRefused: number;
  driftRefused: number;
  malformedRefused: number;
  misaddressed: number;
  wrongType: number;
  /** Keyed states and deltas decoded from peers (delta and leaf-states entries). */
  entriesDecoded: number;
  /** Digest exchanges started: on the anti-entropy cadence, a peer-set change, or a lost peer. */
  exchangesStarted: number;
}

/** One replica's delta replication and anti-entropy. */
export class Replicator {
  readonly store: ReplicaStore;
  readonly stats: ReplicatorStats = {
    messagesSent: 0,
    bytesSent: 0,
    antiEntropyBytesSent: 0,
    fullStatesSent: 0,
    nonCausalRefused: 0,
    driftRefused: 0,
    malformedRefused: 0,
    misaddressed: 0,
    wrongType: 0,
    entriesDecoded: 0,
    exchangesStarted: 0,
  };
  private readonly buffer: DeltaBuffer;
  private readonly hlc: Hlc;
  private readonly antiEntropy: AntiEntropy;
  /** Per peer: every local delta below this sequence is acknowledged. */
  private readonly acked = new Map<ReplicaId, number>();
  /** Per peer: every delta of that peer below this sequence has been joined here. */
  private readonly received = new Map<ReplicaId, number>();
  /** Per peer: the nextSeq and tick of the last interval sent, to avoid resending it every round. */
  private readonly lastSent = new Map<ReplicaId, { readonly seq: number; readonly tick: number }>();
  private peers: ReplicaId[] = [];
  /** Reused by intervalEntries: its buffer grows to the largest interval and stays. */
  private readonly intervalWriter = new ByteWriter(1024);
  /** The projection on this replica of the state at a key written by mutateProjected. */
  private readonly projectSelf = (key: string): Crdt | null => {
    const state = this.store.get(key) as ProjectableCrdt | undefined;
    if (state === undefined) return null;
    assert(typeof state.projection === "function", "a projected entry's state is projectable");
    return state.projection(this.self);
  };
  private outbox: ReplicationMessage[] = [];
  private ticks = 0;

  constructor(
    readonly self: ReplicaId,
    readonly config: ReplicatorConfig,
    private readonly prng: Prng,
  ) {
    assert(config.gossipIntervalTicks >= 1, "gossipIntervalTicks must be at least 1");
    assert(config.antiEntropyIntervalTicks >= 0, "antiEntropyIntervalTicks must be non-negative");
    this.store = new ReplicaStore(config.merkle, config.mutants);
    this.buffer = new DeltaBuffer(config.mode === "full" ? 0 : config.deltaBufferEntriesMax);
    this.hlc = new Hlc(config.hlc);
    this.antiEntropy = new AntiEntropy(self, this.store, config.leafStatesEntriesMax);
  }

  /**
   * Sets the current peers (never self): every other replica of the partition (a full mesh; see
   * the file comment). Forgets the bookkeeping of peers no longer listed. When a peer left the set
   * (it is gone, or restarted under a new id) and anti-entropy is on, starts a digest exchange with
   * every peer: the one that left may have sent a delta to some replicas only. A new peer needs no
   * exchange: it has acknowledged nothing, so each replica sends it its full state.
   */
  setPeers(peers: readonly ReplicaId[]): void {
    assert(!peers.includes(this.self), "a replica is not its own peer");
    const sorted = [...peers].sort();
    const someoneLeft = this.peers.some((peer) => !sorted.includes(peer));
    this.peers = sorted;
    for (const peer of [...this.acked.keys()]) if (!peers.includes(peer)) this.acked.delete(peer);
    for (const peer of [...this.received.keys()]) if (!peers.includes(peer)) this.received.delete(peer);
    for (const peer of [...this.lastSent.keys()]) if (!peers.includes(peer)) this.lastSent.delete(peer);
    if (someoneLeft) this.exchangeWithAllBut(null);
  }

  /**
   * The driver's failure detector suspects `peer` (or declared it dead): a delta it made may have
   * reached some replicas and not others, and it will not finish sending it. Starts a digest
   * exchange with every other peer (when anti-entropy is on), which repairs that at once instead
   * of at the next anti-entropy interval.
   */
  peerLost(peer: ReplicaId): void {
    if (this.peers.includes(peer)) this.exchangeWithAllBut(peer);
  }

  private exchangeWithAllBut(excluded: ReplicaId | null): void {
    if (this.config.antiEntropyIntervalTicks <= 0) return;
    for (const peer of this.peers) if (peer !== excluded) this.exchangeStart(peer);
  }

  private exchangeStart(peer: ReplicaId): void {
    this.stats.exchangesStarted += 1;
    this.send(this.antiEntropy.start(peer));
  }

  /** Stamps a local write with the hybrid logical clock at wall time `wallMs`. */
  stamp(wallMs: number): HlcTimestamp {
    return this.hlc.now(wallMs);
  }

  /**
   * Applies a local mutation: `makeDelta` reads the current state (or `bottom()` if the key is new)
   * without changing it and returns a delta, which is joined here and buffered for the peers.
   */
  mutate<T extends Crdt>(key: string, bottom: () => T, makeDelta: (state: T) => Crdt): MutateResult {
    const fresh = bottom();
    const current = this.store.get(key) ?? fresh;
    if (current.type !== fresh.type) {
      this.stats.wrongType += 1;
      return { kind: "wrong-type", actual: current.type };
    }
    const delta = makeDelta(current as T);
    const result = this.store.join(key, delta);
    assert(result !== "wrong-type", "a delta has its state's type");
    if (result === "changed") this.buffer.push(key, delta);
    return { kind: "ok", delta };
  }

  /**
   * Applies a local mutation in place, without a copy of the state or a join of the delta:
   * `apply` changes the stored state of `key` (a fresh `bottom()` when the key is new) and returns
   * the delta it applied, which must satisfy state after = state before ⊔ delta (each type's
   * in-place mutator is checked against that law). The delta is buffered for the peers unless it
   * is bottom. `type` is the type `bottom()` makes, so that no bottom is built for a held key.
   */
  mutateInPlace<T extends Crdt>(
    key: string,
    type: CrdtTypeName,
    bottom: () => T,
    apply: (state: T) => Crdt,
  ): MutateResult {
    const result = this.store.update(key, type, bottom, apply);
    if (result.kind === "wrong-type") {
      this.stats.wrongType += 1;
      return result;
    }
    if (!result.delta.isBottom) this.buffer.push(key, result.delta);
    return { kind: "ok", delta: result.delta };
  }

  /**
   * Applies a local write in place and makes no delta: `apply(state, self, argument)` changes the
   * stored state of `key` (a fresh `bottom()` when the key is new) and returns whether it did. The
   * peers are sent the state's projection on this replica when the next interval is taken, which
   * includes this write and every other of this replica (ProjectableCrdt), so a key written many
   * times between two gossip rounds travels once. The cheapest write path: counters use it.
   */
  mutateProjected<T extends ProjectableCrdt, A>(
    key: string,
    type: CrdtTypeName,
    bottom: () => T,
    apply: (state: T, self: ReplicaId, argument: A) => boolean,
    argument: A,
  ):
    | { readonly kind: "ok"; readonly state: T; readonly changed: boolean }
    | { readonly kind: "wrong-type"; readonly actual: CrdtTypeName } {
    const result = this.store.modify(key, type, bottom, apply, this.self, argument);
    if (result.kind === "wrong-type") {
      this.stats.wrongType += 1;
      return result;
    }
    if (result.changed) this.buffer.pushProjected(key);
    return result;
  }

  /** Advances logical time by one tick: gossips and starts digest exchanges on their cadence. */
  tick(): void {
    this.ticks += 1;
    if (this.ticks % this.config.gossipIntervalTicks === 0) this.gossip();
    const interval = this.config.antiEntropyIntervalTicks;
    if (interval > 0 && this.ticks % interval === 0 && this.peers.length > 0) {
      this.exchangeStart(this.prng.pick(this.peers));
    }
  }

  /** Handles one inbound message at wall time `wallMs` (for the clock drift check). */
  step(message: ReplicationMessage, wallMs: number): void {
    if (message.to !== this.self) {
      this.stats.misaddressed += 1; // Meant for an earlier incarnation of this member.
      return;
    }
    switch (message.type) {
      case "delta":
        this.deltaReceive(message, wallMs);
        return;
      case "ack":
        // Acks from a member that is no longer a peer would only grow the map: ignore them.
        if (!this.peers.includes(message.from)) return;
        this.acked.set(message.from, Math.max(this.acked.get(message.from) ?? 0, message.seq));
        return;
      case "nack":
        if (!this.peers.includes(message.from)) return;
        // The peer holds less than we believed: restart from what it holds (full state if collected).
        this.acked.set(message.from, message.seq);
        this.lastSent.delete(message.from);
        return;
      case "digest":
        for (const reply of this.antiEntropy.digestReceive(message)) this.send(reply);
        return;
      case "leaf-states":
        this.leafStatesReceive(message, wallMs);
        return;
    }
  }

  /** Whether messages are queued (so a driver can skip takeOutbox() on the write path). */
  get hasOutbox(): boolean {
    return this.outbox.length > 0;
  }

  /** Hands over the messages queued since the last call; the caller owns delivery. */
  takeOutbox(): ReplicationMessage[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** Whether every peer has acknowledged every delta (nothing left to propagate). */
  isQuiet(): boolean {
    return this.peers.every((peer) => (this.acked.get(peer) ?? 0) >= this.buffer.nextSeq);
  }

  /**
   * Checks the replicator's invariants (the simulator calls it after every tick): no peer is
   * acknowledged beyond what was numbered, the buffer is within its limit, and every causal
   * state's store dots are in its context.
   */
  invariants(): void {
    const next = this.buffer.nextSeq;
    for (const [peer, seq] of this.acked) assert(seq <= next, `${peer} acknowledged ${seq}, beyond ${next}`);
    assert(this.buffer.size <= this.config.deltaBufferEntriesMax, "delta buffer over its limit");
    assert(!this.peers.includes(this.self), "a replica is not its own peer");
    for (const key of this.store.keys()) {
      const state = this.store.get(key)!;
      if (state instanceof CausalCrdt) state.invariants();
    }
  }

  /** One line for logs and traces: id, sequence, buffer, peers and their acknowledgements. */
  describe(): string {
    const acks = this.peers.map((peer) => `${peer}:${this.acked.get(peer) ?? 0}`).join(",");
    return `${this.self} seq=${this.buffer.nextSeq} buffered=${this.buffer.size} keys=${this.store.keyCount} acked={${acks}}`;
  }

  /** Number of deltas buffered. */
  get bufferedCount(): number {
    return this.buffer.size;
  }

  private gossip(): void {
    this.buffer.seal(); // Intervals are taken now: later writes need entries of their own.
    let ackedMin = this.buffer.nextSeq;
    // Peers in step are sent the same interval: it is joined and encoded once, for all of them.
    let shared: { readonly fromSeq: number; readonly entries: KeyedBytes[] } | null = null;
    for (const peer of this.peers) {
      const acked = this.acked.get(peer) ?? 0;
      ackedMin = Math.min(ackedMin, acked);
      if (acked >= this.buffer.nextSeq) continue;
      const from = this.sendFrom(peer, acked);
      if (from === null) continue;
      if (!this.buffer.holdsFrom(acked)) {
        this.fullStateSend(peer);
        continue;
      }
      if (shared === null || shared.fromSeq !== from)
        shared = { fromSeq: from, entries: this.intervalEntries(from) };
      this.intervalSend(peer, acked, from, shared.entries);
    }
    this.buffer.collect(ackedMin);
  }

  /**
   * Where the next interval to `peer` starts, or null when none is due. Deltas already sent and not
   * yet acknowledged are not sent again each round (under load acks lag a round or more, and
   * resending from the ack made every delta travel several times): the next interval starts where
   * the last one ended, as Raft pipelines appends. The peer joins it only if it holds everything
   * before it, else it nacks and we restart from what it holds; the retransmit timer restarts from
   * the ack when nothing is heard.
   */
  private sendFrom(peer: ReplicaId, acked: number): number | null {
    const last = this.lastSent.get(peer);
    if (last === undefined || last.seq <= acked) return acked;
    if (this.ticks - last.tick >= this.config.retransmitTicks) return acked;
    return last.seq < this.buffer.nextSeq ? last.seq : null;
  }

  /** The whole state, for a peer that lacks deltas the buffer no longer holds. */
  private fullStateSend(peer: ReplicaId): void {
    const toSeq = this.buffer.nextSeq;
    this.lastSent.set(peer, { seq: toSeq, tick: this.ticks });
    this.stats.fullStatesSent += 1;
    const entries: KeyedBytes[] = [];
    for (const key of this.store.keys()) entries.push({ key, bytes: encodeCrdt(this.store.get(key)!) });
    this.send({ type: "delta", from: this.self, to: peer, fromSeq: 0, toSeq, isFull: true, entries });
  }

  /**
   * The deltas [fromSeq, nextSeq) joined by key and encoded, all into one buffer: each entry's
   * bytes are a view of it (one allocation per interval, not two per key).
   */
  private intervalEntries(fromSeq: number): KeyedBytes[] {
    const joined = this.buffer.interval(fromSeq, this.config.mutants, this.projectSelf);
    const writer = this.intervalWriter;
    writer.reset();
    const ends: number[] = [];
    for (const delta of joined.values()) {
      encodeCrdtInto(writer, delta);
      ends.push(writer.view().byteLength);
    }
    const all = writer.finish();
    const entries: KeyedBytes[] = [];
    let start = 0;
    let i = 0;
    for (const key of joined.keys()) {
      const end = ends[i++]!;
      entries.push({ key, bytes: all.subarray(start, end) });
      start = end;
    }
    return entries;
  }

  /** Sends the interval [fromSeq, nextSeq); `entries` may be shared with other peers' messages. */
  private intervalSend(peer: ReplicaId, acked: number, fromSeq: number, entries: KeyedBytes[]): void {
    assert(fromSeq >= acked && fromSeq < this.buffer.nextSeq, "an interval starts at or after the ack");
    assert(entries.length > 0, "a non-empty interval holds a delta");
    const toSeq = this.buffer.nextSeq;
    this.lastSent.set(peer, { seq: toSeq, tick: this.ticks });
    this.send({ type: "delta", from: this.self, to: peer, fromSeq, toSeq, isFull: false, entries });
  }

  private deltaReceive(message: ReplicationMessage & { type: "delta" }, wallMs: number): void {
    const held = this.received.get(message.from) ?? 0;
    if (!message.isFull && message.fromSeq > held) {
      // Joining would break the causal delta-merging condition: refuse and say what we hold.
      this.stats.nonCausalRefused += 1;
      this.send({ type: "nack", from: this.self, to: message.from, seq: held });
      return;
    }
    if (!this.joinEntries(message.from, message.entries, wallMs)) return;
    const seq = Math.max(held, message.toSeq);
    this.received.set(message.from, seq);
    this.send({ type: "ack", from: this.self, to: message.from, seq });
  }

  private leafStatesReceive(message: ReplicationMessage & { type: "leaf-states" }, wallMs: number): void {
    if (!this.joinEntries(message.from, message.entries, wallMs)) return;
    if (message.wantsReply) this.send(this.antiEntropy.leafStatesReply(message));
  }

  /**
   * Decodes and checks every entry first, then joins them all: a message is taken whole or not at
   * all. Entries are not forwarded (origin-only, see the file comment) unless they come from a
   * replica that is not a peer: those that inflate the state are then buffered as local deltas.
   */
  private joinEntries(from: ReplicaId, entries: readonly KeyedBytes[], wallMs: number): boolean {
    const decoded: [string, Crdt, HlcTimestamp | null][] = [];
    this.stats.entriesDecoded += entries.length;
    for (const entry of entries) {
      const result = decodeCrdt(entry.bytes);
      if (result.kind === "malformed") {
        this.stats.malformedRefused += 1;
        return false;
      }
      const stamp = latestStampOf(result.value);
      if (stamp !== null && !this.hlc.isWithinDrift(stamp, wallMs)) {
        this.stats.driftRefused += 1;
        return false;
      }
      decoded.push([entry.key, result.value, stamp]);
    }
    const forward = !this.peers.includes(from);
    for (const [key, value, stamp] of decoded) {
      if (stamp !== null) this.hlc.observe(stamp, wallMs);
      const result = this.store.join(key, value);
      if (result === "wrong-type") this.stats.wrongType += 1;
      if (result === "changed" && forward) this.buffer.push(key, value);
    }
    return true;
  }

  private send(message: ReplicationMessage): void {
    const bytes = messageSizeBytes(message);
    this.stats.messagesSent += 1;
    this.stats.bytesSent += bytes;
    if (message.type === "digest" || message.type === "leaf-states") this.stats.antiEntropyBytesSent += bytes;
    this.outbox.push(message);
  }
}
