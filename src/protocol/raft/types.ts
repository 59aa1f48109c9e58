// The data of the Raft core: entries, persistent state, snapshots, messages, the Ready batch and the
// results of the calls a driver makes. Everything here is plain data (no classes, maps or undefined
// fields) so that the wire codec carries messages as they are.

import type { LogIndex, NodeId, Term } from "../../types.js";

/** One change of membership (thesis §4.1: one server at a time, learners first). */
export type ConfChange =
  | { readonly type: "add-learner"; readonly node: NodeId }
  | { readonly type: "promote"; readonly node: NodeId }
  | { readonly type: "remove"; readonly node: NodeId };

/**
 * A configuration: who votes, who only replicates, and every id ever removed (ids are never reused,
 * etcd README). It takes effect on a member as soon as its entry is in that member's log (§4.1).
 */
export interface ConfigState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly retired: readonly NodeId[];
}

/** A log entry. An empty `normal` entry is the no-op a new leader appends (§5.4.2, §6.4). */
export type Entry =
  | { readonly type: "normal"; readonly term: Term; readonly index: LogIndex; readonly data: Uint8Array }
  | {
      readonly type: "conf-change";
      readonly term: Term;
      readonly index: LogIndex;
      readonly change: ConfChange;
    };

/** The state that must be durable before any message that depends on it leaves (Figure 2). */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

/** What a snapshot covers: the last index and term it contains and the configuration at that index. */
export interface SnapshotMeta {
  readonly index: LogIndex;
  readonly term: Term;
  readonly config: ConfigState;
}

/** A state-machine snapshot. `data` is opaque to the core. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** The role of a member. */
export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

/** Volatile state worth reporting when it changes. */
export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** A linearizable read point: serve `requestId` once the applied index reaches `index`. */
export interface ReadState {
  readonly requestId: string;
  readonly index: LogIndex;
}

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** Every message the core sends or receives. `term` is the sender's term (for pre-vote: the proposed term). */
export type Message =
  | (Envelope & {
      readonly type: "pre-vote" | "vote";
      readonly lastIndex: LogIndex;
      readonly lastTerm: Term;
      readonly transfer: boolean;
    })
  | (Envelope & { readonly type: "pre-vote-response" | "vote-response"; readonly reject: boolean })
  | (Envelope & {
      readonly type: "append";
      readonly prevIndex: LogIndex;
      readonly prevTerm: Term;
      readonly entries: readonly Entry[];
      readonly commit: LogIndex;
    })
  | (Envelope & {
      readonly type: "append-response";
      readonly reject: boolean;
      /** On success the highest index now matched; on reject the prevIndex that failed. */
      readonly index: LogIndex;
      /** On reject, the follower's guess of the last index that could match (fast backtracking). */
      readonly hintIndex: LogIndex;
      readonly hintTerm: Term;
    })
  | (Envelope & { readonly type: "heartbeat"; readonly commit: LogIndex; readonly context: number })
  | (Envelope & { readonly type: "heartbeat-response"; readonly context: number })
  | (Envelope & {
      readonly type: "snapshot";
      readonly meta: SnapshotMeta;
      readonly offset: number;
      readonly chunk: Uint8Array;
      readonly done: boolean;
    })
  | (Envelope & { readonly type: "snapshot-response"; readonly index: LogIndex; readonly offset: number })
  | (Envelope & { readonly type: "timeout-now" })
  | (Envelope & { readonly type: "propose"; readonly data: readonly Uint8Array[] })
  | (Envelope & { readonly type: "read-index"; readonly requestId: string })
  | (Envelope & {
      readonly type: "read-index-response";
      readonly requestId: string;
      readonly index: LogIndex;
    });

/** The type tag of a message. */
export type MessageType = Message["type"];

/**
 * Ready is one batch of work for the driver. Do it in this order: persist `hardState`, `entries`
 * and `snapshot`; send `messages` (they never depend on anything not yet persisted, so they may also
 * go out while the write is in flight); apply `committedEntries` (they are stored on a quorum that
 * includes this member's own persisted log, H9); serve `readStates` once applied; then `advance()`.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

/** The answer to a proposal. */
export type ProposeResult =
  | { readonly kind: "accepted"; readonly index: LogIndex; readonly term: Term }
  | { readonly kind: "forwarded"; readonly leader: NodeId }
  | { readonly kind: "not-leader"; readonly leader: NodeId }
  | { readonly kind: "no-leader" }
  | { readonly kind: "overloaded" }
  | { readonly kind: "dropped"; readonly reason: string };

/** The answer to a read request. `pending`: a ReadState will follow in a later Ready. */
export type ReadResult =
  | { readonly kind: "pending" }
  | { readonly kind: "not-leader"; readonly leader: NodeId }
  | { readonly kind: "no-leader" }
  | { readonly kind: "overloaded" }
  | { readonly kind: "dropped"; readonly reason: string };

/** The answer to a lease read: `index` may be served at once when applied reaches it. */
export type LeaseReadResult =
  | { readonly kind: "ok"; readonly index: LogIndex }
  | { readonly kind: "refused"; readonly reason: string };

/** The progress state of one follower as the leader sees it. */
export type ProgressState = "probe" | "replicate" | "snapshot";

/** A member's view of itself, for tests, logs and the admin API. */
export interface Status {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly leader: NodeId | null;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly config: ConfigState;
  readonly progress: readonly {
    readonly id: NodeId;
    readonly match: LogIndex;
    readonly next: LogIndex;
    readonly state: ProgressState;
  }[];
}
