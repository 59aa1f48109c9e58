// The wire envelope: what one frame body carries between members, and between clients and
// members. The envelope names the schema version, the kind of message, the Raft group it belongs
// to (for kinds that have one) and a payload of plain data that the core named by `kind` defines
// and validates. The codec (codec.ts) checks the envelope; it never interprets a payload.

import type { GroupId } from "../../types.js";

/** The schema version this code writes; the first byte of every frame body. */
export const wireVersion = 1;

/** A schema version this code reads. Only one so far: a member rejects frames of any other. */
export type WireVersion = typeof wireVersion;

/**
 * Every kind of message, in wire-code order. A kind's code (its position + 1) is part of the
 * format: append new kinds at the end, never reorder or reuse a position.
 */
export const messageKinds = [
  "raft",
  "raft-batch",
  "swim",
  "crdt-delta",
  "crdt-digest",
  "client-request",
  "client-response",
  "crdt-batch",
] as const;

/** One of {@link messageKinds}. */
export type MessageKind = (typeof messageKinds)[number];

/** Whether a kind's envelope carries a group: always, never, or as the sender chooses. */
export type GroupRule = "required" | "forbidden" | "optional";

/** What the envelope of each kind carries, and what its payload holds (owned by the named core). */
export const messageKindGroupRules: { readonly [K in MessageKind]: GroupRule } = {
  /** One Raft message of one group (protocol/raft). */
  raft: "required",
  /** Raft messages of many groups between one member pair, coalesced (heartbeats and ticks). */
  "raft-batch": "forbidden",
  /** One SWIM packet with its piggybacked membership updates (protocol/swim). */
  swim: "forbidden",
  /** A delta-state CRDT update for the replicas of one partition (protocol/crdt). */
  "crdt-delta": "required",
  /** An anti-entropy digest or the state that differs, for one partition (protocol/crdt). */
  "crdt-digest": "required",
  /** A client operation; the group routes it to a partition, absent for cluster-wide requests. */
  "client-request": "optional",
  /** The answer to a client operation. */
  "client-response": "optional",
  /** The replication messages of every partition to one peer in one tick: [partition, message][] (protocol/replication). */
  "crdt-batch": "forbidden",
};

/**
 * How a kind's payload travels: "msgpack", one MessagePack value; "bytes", the payload's own
 * bytes as they are, for kinds whose core has a binary form (a Uint8Array payload on both sides);
 * or "binary-or-msgpack", for kinds whose senders may use either: a Uint8Array payload that starts
 * with {@link binaryPayloadMagic} travels as it is and is decoded as those bytes (a view), any other
 * payload is one MessagePack value and is decoded as that value, as a "msgpack" kind's is.
 */
export type PayloadForm = "msgpack" | "bytes" | "binary-or-msgpack";

/**
 * The first byte of a hand-written binary payload: 0xc1 is the one byte MessagePack never emits,
 * so no MessagePack value starts with it and a reader tells the two forms apart by it.
 */
export const binaryPayloadMagic = 0xc1;

/** The payload form of each kind. */
export const messageKindPayloadForms: { readonly [K in MessageKind]: PayloadForm } = {
  raft: "msgpack",
  /**
   * Binary (runtime/raft_batch_codec.ts). A payload other than bytes is still packed as
   * MessagePack (the legacy form); the receiver tells the two apart by the first byte.
   */
  "raft-batch": "bytes",
  swim: "msgpack",
  "crdt-delta": "msgpack",
  "crdt-digest": "msgpack",
  /**
   * Binary (runtime/client_codec.ts) from this version's clients and members; MessagePack from an
   * older client, which a member reads and answers in MessagePack.
   */
  "client-request": "binary-or-msgpack",
  /** Binary to a client that sent binary requests; MessagePack to one that sent MessagePack. */
  "client-response": "binary-or-msgpack",
  "crdt-batch": "msgpack",
};

/**
 * Plain data: what a payload may hold, so that msgpackr carries it unchanged and every process
 * decodes the same value. No Map, Set, Date, class instance, bigint, undefined, NaN or Infinity,
 * no string with a lone surrogate (UTF-8 cannot carry it); bytes are Uint8Array (decoded as a
 * fresh copy). A -0 travels as 0.
 */
export type WireValue = null | boolean | number | string | Uint8Array | readonly WireValue[] | WireObject;

/** A plain object of {@link WireValue}s, with string keys other than `__proto__`. */
export interface WireObject {
  readonly [key: string]: WireValue;
}

/**
 * One message: the envelope and its payload. `group` is present exactly when the kind's rule
 * requires it, or may be present when the rule is "optional".
 */
export interface WireMessage<Payload = WireValue> {
  readonly version: WireVersion;
  readonly kind: MessageKind;
  readonly group?: GroupId;
  readonly payload: Payload;
}

/** Returns the wire code of `kind` (1-based; 0 is never a valid code). */
export function messageKindCode(kind: MessageKind): number {
  return messageKinds.indexOf(kind) + 1;
}

/** Returns the kind of wire code `code`, or null when no kind has that code. */
export function messageKindOfCode(code: number): MessageKind | null {
  return messageKinds[code - 1] ?? null;
}
