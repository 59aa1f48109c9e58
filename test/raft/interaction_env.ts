// The interpreter of the Raft scenario language (T4), in the manner of etcd's interaction tests: a
// handful of members driven by hand through a tiny command language, each command printing what
// happened. Persistence is explicit so that scripts can crash a member between the write and the
// fsync (H9): `process-append` writes a Ready without syncing, `sync` makes it durable and advances.
// After every command the interpreter checks the cross-member invariants (one leader per term,
// identical committed prefixes, commit never going back).

import { Prng } from "../../src/lib/prng.js";
import {
  type ConfChange,
  describeConfig,
  type Entry,
  type HardState,
  MemoryStorage,
  type Message,
  type RaftConfig,
  RaftNode,
  type Ready,
  raftConfigDefault,
  raftMutantsNone,
  type Snapshot,
} from "../../src/protocol/raft/index.js";
import type { LogIndex, NodeId } from "../../src/types.js";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const iterationsMax = 1000;

/** A parsed command: name, positional arguments and key=value options. */
export interface Command {
  readonly name: string;
  readonly args: readonly string[];
  readonly options: ReadonlyMap<string, string>;
}

interface Member {
  readonly id: NodeId;
  node: RaftNode | null;
  readonly durable: MemoryStorage;
  config: RaftConfig;
  pending: { ready: Ready } | null;
  applied: Entry[];
}

export function describeEntry(entry: Entry): string {
  if (entry.type === "conf-change")
    return `${entry.index}/${entry.term} conf ${entry.change.type} ${entry.change.node}`;
  return `${entry.index}/${entry.term} "${decoder.decode(entry.data)}"`;
}

export function describeMessage(message: Message): string {
  const head = `${message.from}->${message.to} ${message.type} t${message.term}`;
  switch (message.type) {
    case "pre-vote":
    case "vote":
      return `${head} last=${message.lastIndex}/${message.lastTerm}${message.transfer ? " transfer" : ""}`;
    case "pre-vote-response":
    case "vote-response":
      return `${head}${message.reject ? " reject" : " grant"}`;
    case "append":
      return `${head} prev=${message.prevIndex}/${message.prevTerm} commit=${message.commit} [${message.entries.map(describeEntry).join(", ")}]`;
    case "append-response":
      return message.reject
        ? `${head} reject index=${message.index} hint=${message.hintIndex}/${message.hintTerm}`
        : `${head} index=${message.index}`;
    case "heartbeat":
      return `${head} commit=${message.commit} context=${message.context}`;
    case "heartbeat-response":
      return `${head} context=${message.context}`;
    case "snapshot":
      return `${head} snap=${message.meta.index}/${message.meta.term} offset=${message.offset} bytes=${message.chunk.length}${message.done ? " done" : ""}`;
    case "snapshot-response":
      return `${head} snap=${message.index} offset=${message.offset}`;
    case "timeout-now":
      return head;
    case "propose":
      return `${head} [${message.data.map((d) => `"${decoder.decode(d)}"`).join(", ")}]`;
    case "read-index":
      return `${head} request=${message.requestId}`;
    case "read-index-response":
      return `${head} request=${message.requestId} index=${message.index}`;
  }
}

function describeHardState(state: HardState): string {
  return `term=${state.term} vote=${state.vote ?? "none"} commit=${state.commit}`;
}

/** The state of one scenario: members, the message queue between them, and the invariant records. */
export class InteractionEnv {
  private readonly members = new Map<NodeId, Member>();
  private queue: Message[] = [];
  private readonly leaders = new Map<number, NodeId>();
  private readonly committed = new Map<number, string>();
  private readonly out: string[] = [];

  /** Runs one command and returns its output lines joined with newlines. */
  run(command: Command): string {
    this.out.length = 0;
    this.dispatch(command);
    this.checkInvariants();
    return this.out.join("\n");
  }

  private dispatch(command: Command): unknown {
    const args = command.args;
    const options = command.options;
    switch (command.name) {
      case "add-nodes":
        return this.addNodes(Number(args[0]), options);
      case "campaign":
        return this.node(args[0]!).campaign();
      case "propose":
        return this.print(
          `${args[0]}: ${JSON.stringify(this.node(args[0]!).propose(encoder.encode(args[1] ?? "")))}`,
        );
      case "propose-conf-change":
        return this.print(
          `${args[0]}: ${JSON.stringify(this.node(args[0]!).proposeConfChange({ type: args[1], node: args[2] } as ConfChange))}`,
        );
      case "process-ready":
        return this.forEachId(args, (id) => this.processReady(id, true));
      case "process-append":
        return this.forEachId(args, (id) => this.processReady(id, false));
      case "process-messages":
        return this.forEachId(args, (id) => this.processMessages(id));
      case "sync":
        return this.forEachId(args, (id) => this.sync(id));
      case "deliver-msgs":
        return this.deliver(args, options);
      case "stabilize":
        return this.stabilize(args);
      case "tick-election":
        return this.forEachId(args, (id) => this.tickElection(id));
      case "tick-heartbeat":
        return this.forEachId(args, (id) =>
          this.tickTimes(id, this.member(id).config.heartbeatIntervalTicks),
        );
      case "tick":
        return this.tickTimes(args[0]!, Number(args[1] ?? "1"));
      case "crash":
        return this.crash(args[0]!, options);
      case "restart":
        return this.restart(args[0]!);
      case "compact":
        return this.compact(args[0]!, Number(args[1]));
      case "send-snapshot":
        return this.sendSnapshot(args[0]!, args[1]!);
      case "transfer-leadership":
        return this.print(
          `${args[0]}: ${JSON.stringify(this.node(args[0]!).transferLeadership(args[1] as NodeId))}`,
        );
      case "read-index":
        return this.print(`${args[0]}: ${JSON.stringify(this.node(args[0]!).readIndex(args[1]!))}`);
      case "peer-unreachable":
        return this.print(
          `${args[0]}: ${JSON.stringify(this.node(args[0]!).peerUnreachable(args[1] as NodeId))}`,
        );
      case "lease-read":
        return this.print(`${args[0]}: ${JSON.stringify(this.node(args[0]!).leaseRead())}`);
      case "status":
        return this.forEachId(args, (id) => this.status(id));
      case "raft-log":
        return this.forEachId(args, (id) => this.raftLog(id));
      case "applied":
        return this.forEachId(args, (id) =>
          this.print(`${id}: ${this.member(id).applied.map(describeEntry).join(", ")}`),
        );
      default:
        throw new Error(`unknown command ${command.name}`);
    }
  }

  private print(line: string): void {
    this.out.push(line);
  }

  private member(id: string): Member {
    const member = this.members.get(id as NodeId);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  private node(id: string): RaftNode {
    const node = this.member(id).node;
    if (node === null) throw new Error(`member ${id} is down`);
    return node;
  }

  private forEachId(args: readonly string[], action: (id: string) => void): void {
    const ids =
      args.length > 0 ? args : [...this.members.keys()].filter((id) => this.member(id).node !== null);
    for (const id of ids) action(id);
  }

  private addNodes(count: number, options: ReadonlyMap<string, string>): void {
    const first = this.members.size + 1;
    const voters = (options.get("voters")?.split(",") ?? range(first, count).map(String)) as NodeId[];
    const learners = (options
      .get("learners")
      ?.split(",")
      .filter((id) => id !== "") ?? []) as NodeId[];
    for (const index of range(first, count)) {
      const id = String(index) as NodeId;
      const storage =
        options.get("empty") === "true"
          ? MemoryStorage.bootstrap(voters)
          : new MemoryStorage({
              meta: {
                index: 0 as LogIndex,
                term: 0 as never,
                config: { voters: [...voters].sort(), learners: [...learners].sort(), retired: [] },
              },
              data: new Uint8Array(0),
            });
      const config = this.configFor(id, options);
      this.members.set(id, { id, node: null, durable: storage, config, pending: null, applied: [] });
      this.start(this.member(id));
    }
    this.print(`added ${count} members: ${describeConfig(this.node(String(first)).configState())}`);
  }

  private configFor(id: NodeId, options: ReadonlyMap<string, string>): RaftConfig {
    const mutant = options.get("mutant");
    return {
      ...raftConfigDefault(id),
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 1,
      preVote: options.get("pre-vote") !== "false",
      checkQuorum: options.get("check-quorum") !== "false",
      proposalForwarding: options.get("forwarding") === "true",
      readMode: options.get("read-mode") === "lease" ? "lease" : "read-index",
      snapshotChunkBytes: Number(options.get("chunk-bytes") ?? "4"),
      appendBytesMax: Number(options.get("append-bytes") ?? "1048576"),
      inflightMessagesMax: Number(options.get("inflight") ?? "8"),
      mutants: { ...raftMutantsNone(), ...(mutant === undefined ? {} : { [mutant]: true }) },
    };
  }

  private start(member: Member): void {
    const appliedIndex = member.durable.firstIndex() - 1;
    const config = { ...member.config, appliedIndex };
    member.node = new RaftNode(config, member.durable, Prng.derive(Number(member.id), "raft"));
  }

  /** Takes a Ready, writes it (not yet durable), sends its messages and applies; with `sync`, also syncs and advances. */
  private processReady(id: string, sync: boolean): void {
    const member = this.member(id);
    const node = this.node(id);
    if (member.pending !== null) {
      if (sync) this.sync(id);
      return;
    }
    if (!node.hasReady()) return;
    const ready = node.ready();
    this.printReady(id, ready);
    this.queue.push(...ready.messages);
    for (const entry of ready.committedEntries) this.applyEntry(member, entry);
    member.pending = { ready };
    if (sync) this.sync(id);
  }

  private processMessages(id: string): void {
    const messages = this.node(id).takeMessages();
    for (const message of messages) this.print(`  send: ${describeMessage(message)}`);
    this.queue.push(...messages);
  }

  private printReady(id: string, ready: Ready): void {
    this.print(`> ${id} handling Ready`);
    if (ready.softState !== null)
      this.print(`  soft-state: role=${ready.softState.role} leader=${ready.softState.leader ?? "none"}`);
    if (ready.hardState !== null) this.print(`  hard-state: ${describeHardState(ready.hardState)}`);
    if (ready.snapshot !== null)
      this.print(
        `  snapshot: ${ready.snapshot.meta.index}/${ready.snapshot.meta.term} ${describeConfig(ready.snapshot.meta.config)} data="${decoder.decode(ready.snapshot.data)}"`,
      );
    if (ready.entries.length > 0) this.print(`  entries: ${ready.entries.map(describeEntry).join(", ")}`);
    if (ready.committedEntries.length > 0)
      this.print(`  committed: ${ready.committedEntries.map(describeEntry).join(", ")}`);
    for (const read of ready.readStates)
      this.print(`  read-state: request=${read.requestId} index=${read.index}`);
    for (const message of ready.messages) this.print(`  send: ${describeMessage(message)}`);
  }

  private applyEntry(member: Member, entry: Entry): void {
    member.applied.push(entry);
    const text = describeEntry(entry);
    const seen = this.committed.get(entry.index);
    if (seen !== undefined && seen !== text)
      throw new Error(`state machine safety: index ${entry.index} is ${seen} and ${text}`);
    this.committed.set(entry.index, text);
  }

  private sync(id: string): void {
    const member = this.member(id);
    if (member.pending === null) return;
    const ready = member.pending.ready;
    this.persist(member.durable, ready, ready.entries.length);
    member.pending = null;
    this.node(id).advance(ready);
  }

  private persist(storage: MemoryStorage, ready: Ready, entriesKept: number, withHardState = true): void {
    if (ready.snapshot !== null) storage.applySnapshot(ready.snapshot);
    storage.append(ready.entries.slice(0, entriesKept));
    if (ready.hardState !== null && withHardState) storage.setHardState(ready.hardState);
  }

  private deliver(args: readonly string[], options: ReadonlyMap<string, string>): void {
    const targets = new Set(args);
    const drops = new Set(options.get("drop")?.split(",") ?? []);
    const type = options.get("type");
    const selected = (m: Message) =>
      (targets.size === 0 || targets.has(m.to)) && (type === undefined || m.type === type);
    const chosen = this.queue.filter(selected);
    this.queue = this.queue.filter((m) => !selected(m));
    for (const message of chosen) {
      const target = this.member(message.to);
      if (drops.has(message.to) || drops.has(message.from) || target.node === null) {
        this.print(`dropped: ${describeMessage(message)}`);
        continue;
      }
      this.print(describeMessage(message));
      target.node.step(message);
    }
  }

  private stabilize(args: readonly string[]): void {
    const ids = args.length > 0 ? new Set(args) : null;
    for (let i = 0; i < iterationsMax; i++) {
      let busy = false;
      for (const [id, member] of this.members) {
        if (member.node === null || (ids !== null && !ids.has(id))) continue;
        if (member.pending !== null || member.node.hasReady()) {
          busy = true;
          this.processReady(id, true);
        }
      }
      const deliverable = this.queue.filter((m) => ids === null || (ids.has(m.to) && ids.has(m.from)));
      if (deliverable.length > 0) {
        busy = true;
        this.deliver(ids === null ? [] : [...ids], new Map());
      }
      if (!busy) return;
    }
    throw new Error("stabilize did not settle");
  }

  private tickElection(id: string): void {
    const node = this.node(id);
    const timeout = this.member(id).config.electionTimeoutTicks;
    const before = node.status();
    if (before.role === "leader") {
      this.tickTimes(id, timeout);
      return;
    }
    for (let i = 0; i < 2 * timeout; i++) {
      node.tick();
      const after = node.status();
      if (after.role !== before.role || after.term !== before.term || node.hasReady()) return;
    }
  }

  private tickTimes(id: string, count: number): void {
    for (let i = 0; i < count; i++) this.node(id).tick();
  }

  private crash(id: string, options: ReadonlyMap<string, string>): void {
    const member = this.member(id);
    if (member.pending !== null) {
      const ready = member.pending.ready;
      if (options.has("tear-last-write")) {
        // The write reached the disk except its last record, which is torn and cut on recovery; the
        // hard state, written after the entries, is lost with it.
        this.persist(member.durable, ready, Math.max(0, ready.entries.length - 1), false);
      } else if (!options.has("lose-unsynced")) {
        this.persist(member.durable, ready, ready.entries.length);
      }
    }
    member.pending = null;
    member.node = null;
    member.applied = [];
    this.queue = this.queue.filter((m) => m.to !== id);
    const durable = member.durable;
    this.print(
      `${id} crashed; durable: ${describeHardState(durable.hardState())} last=${durable.lastIndex()}`,
    );
  }

  private restart(id: string): void {
    const member = this.member(id);
    this.start(member);
    const status = this.node(id).status();
    this.print(
      `${id} restarted: term=${status.term} commit=${status.commit} applied=${status.applied} last=${status.lastIndex}`,
    );
  }

  private compact(id: string, index: number): void {
    const member = this.member(id);
    const node = this.node(id);
    member.durable.compact(index as LogIndex, encoder.encode(`snap@${index}`), node.configState());
    this.print(`${id} compacted to ${index}; first index ${member.durable.firstIndex()}`);
  }

  /**
   * Queues the sender's current snapshot for `to` in one message (offset 0, done), stamped with the
   * sender's term, as a leader's InstallSnapshot would carry it (etcd's `send-snapshot`). The
   * receiver's answer goes back to the sender through the queue like any other message.
   */
  private sendSnapshot(from: string, to: string): void {
    const node = this.node(from);
    this.member(to);
    const snapshot = node.log.snapshot();
    const message: Message = {
      type: "snapshot",
      from: from as NodeId,
      to: to as NodeId,
      term: node.status().term,
      meta: snapshot.meta,
      offset: 0,
      chunk: snapshot.data,
      done: true,
    };
    this.queue.push(message);
    this.print(`queued: ${describeMessage(message)}`);
  }

  private status(id: string): void {
    const member = this.member(id);
    if (member.node === null) {
      this.print(`${id}: down`);
      return;
    }
    const s = member.node.status();
    this.print(
      `${id}: ${s.role} term=${s.term} vote=${s.vote ?? "none"} leader=${s.leader ?? "none"} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} ${describeConfig(s.config)}`,
    );
    for (const p of s.progress) this.print(`  ${p.id}: match=${p.match} next=${p.next} ${p.state}`);
  }

  private raftLog(id: string): void {
    const node = this.node(id);
    const log = node.log;
    const entries = log.entries(log.firstIndex(), (log.lastIndex() + 1) as LogIndex);
    const snapshot: Snapshot = log.snapshot();
    const head = snapshot.meta.index > 0 ? `snapshot ${snapshot.meta.index}/${snapshot.meta.term}; ` : "";
    this.print(`${id}: ${head}${entries.length === 0 ? "empty" : entries.map(describeEntry).join(", ")}`);
  }

  private checkInvariants(): void {
    for (const member of this.members.values()) {
      const node = member.node;
      if (node === null) continue;
      node.invariants();
      const status = node.status();
      if (status.role !== "leader") continue;
      const known = this.leaders.get(status.term);
      if (known !== undefined && known !== status.id)
        throw new Error(`election safety: ${known} and ${status.id} lead term ${status.term}`);
      this.leaders.set(status.term, status.id);
    }
  }
}

function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}
