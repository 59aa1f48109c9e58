// The SWIM wire vocabulary: membership updates (what gossip carries) and the packets that carry
// them. Everything is plain data so that the msgpackr codec can carry it. Packets from the network
// are untrusted: `parseSwimMessage` validates shape and sizes before the core sees them.

import type { Address, NodeId } from "../../types.js";

/** A member's state as one member sees it. Precedence rules live in member_state.ts. */
export const MemberState = {
  Alive: "alive",
  Suspect: "suspect",
  Dead: "dead",
  Left: "left",
} as const;

/** One of {@link MemberState}'s values. */
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

/** A member announces itself (join, refutation, metadata change) at `incarnation`. */
export interface AliveUpdate {
  readonly kind: "alive";
  readonly member: NodeId;
  readonly address: Address;
  readonly incarnation: number;
  /** Opaque application metadata; its version is `incarnation` (changing it raises the incarnation). */
  readonly metadata: Uint8Array;
}

/** `from` suspects `member` at `incarnation`. */
export interface SuspectUpdate {
  readonly kind: "suspect";
  readonly member: NodeId;
  readonly incarnation: number;
  readonly from: NodeId;
}

/** `from` declared `member` dead at `incarnation`. */
export interface DeadUpdate {
  readonly kind: "dead";
  readonly member: NodeId;
  readonly incarnation: number;
  readonly from: NodeId;
}

/** `member` left gracefully at `incarnation`. */
export interface LeftUpdate {
  readonly kind: "left";
  readonly member: NodeId;
  readonly incarnation: number;
}

/** A membership update, disseminated by piggybacking. */
export type Update = AliveUpdate | SuspectUpdate | DeadUpdate | LeftUpdate;

/** One member in a full-state exchange. */
export interface MemberRecord {
  readonly member: NodeId;
  readonly address: Address;
  readonly incarnation: number;
  readonly state: MemberState;
  readonly metadata: Uint8Array;
}

/** A direct probe of `target`; answered with an ack carrying the same sequence. */
export interface PingMessage {
  readonly kind: "ping";
  readonly sequence: number;
  readonly source: NodeId;
  /** The identity being probed: a new member reusing an old address ignores pings for the old one. */
  readonly target: NodeId;
  readonly piggyback: readonly Update[];
}

/** The answer to a ping (or, forwarded by a relay, to a ping-req). */
export interface AckMessage {
  readonly kind: "ack";
  readonly sequence: number;
  readonly source: NodeId;
  readonly piggyback: readonly Update[];
}

/** A relay could not reach the target of a ping-req in time (Lifeguard). */
export interface NackMessage {
  readonly kind: "nack";
  readonly sequence: number;
  readonly source: NodeId;
}

/** Asks the receiver to probe `target` and forward the ack (SWIM's indirect probe). */
export interface PingRequestMessage {
  readonly kind: "ping-req";
  readonly sequence: number;
  readonly source: NodeId;
  readonly target: NodeId;
  readonly targetAddress: Address;
  /** How long the relay waits for the target before it answers with a nack. */
  readonly relayTimeoutMs: number;
  readonly wantsNack: boolean;
  readonly piggyback: readonly Update[];
}

/** A packet that only carries updates (the gossip round). */
export interface GossipMessage {
  readonly kind: "gossip";
  readonly source: NodeId;
  readonly piggyback: readonly Update[];
}

/** A full-state exchange: a request (join or periodic) is answered with the receiver's state. */
export interface PushPullMessage {
  readonly kind: "push-pull";
  readonly source: NodeId;
  readonly isResponse: boolean;
  readonly isJoin: boolean;
  readonly members: readonly MemberRecord[];
}

/** Every packet one SWIM member sends another. */
export type SwimMessage =
  | PingMessage
  | AckMessage
  | NackMessage
  | PingRequestMessage
  | GossipMessage
  | PushPullMessage;

/** Limits a parsed packet must respect. */
export interface SwimMessageLimits {
  readonly metadataBytesMax: number;
  readonly membersMax: number;
}

/** Identifier strings (ids, addresses) longer than this are refused. */
export const identifierLengthMax = 256;
/** Most updates one packet may carry; a packet of `packetBytesMax` never holds more. */
export const piggybackCountMax = 128;

const messageOverheadBytes = 160;
const updateOverheadBytes = 80;

/** Estimates an update's encoded size from above (msgpack maps with short keys). */
export function updateSizeBytes(update: Update): number {
  const size = updateOverheadBytes + utf8Length(update.member);
  switch (update.kind) {
    case "alive":
      return size + utf8Length(update.address) + update.metadata.byteLength;
    case "suspect":
    case "dead":
      return size + utf8Length(update.from);
    case "left":
      return size;
  }
}

/** Estimates a message's encoded size without its piggyback, from above. */
export function messageBaseSizeBytes(message: SwimMessage): number {
  let size = messageOverheadBytes + utf8Length(message.source);
  if (message.kind === "ping") size += utf8Length(message.target);
  if (message.kind === "ping-req") size += utf8Length(message.target) + utf8Length(message.targetAddress);
  return size;
}

/** Estimates a member record's encoded size from above. */
export function memberRecordSizeBytes(record: MemberRecord): number {
  return (
    updateOverheadBytes + utf8Length(record.member) + utf8Length(record.address) + record.metadata.byteLength
  );
}

/** Counts the UTF-8 bytes of `text` without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Returns a stable one-line text form of a message, for traces and logs. */
export function describeSwimMessage(message: SwimMessage): string {
  switch (message.kind) {
    case "ping":
      return `ping seq=${message.sequence} ${message.source}->${message.target} +${message.piggyback.length}`;
    case "ack":
      return `ack seq=${message.sequence} from=${message.source} +${message.piggyback.length}`;
    case "nack":
      return `nack seq=${message.sequence} from=${message.source}`;
    case "ping-req":
      return `ping-req seq=${message.sequence} ${message.source}->${message.target} +${message.piggyback.length}`;
    case "gossip":
      return `gossip from=${message.source} +${message.piggyback.length}`;
    case "push-pull":
      return `push-pull from=${message.source} response=${message.isResponse} join=${message.isJoin} members=${message.members.length}`;
  }
}
