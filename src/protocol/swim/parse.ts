// Validation of packets that arrive from the network. A decoder hands over `unknown`; this returns
// a typed message or null (the driver counts and drops it). No field is trusted: kinds, integer
// ranges, string lengths, metadata sizes and array lengths are all checked.

import type { Address, NodeId } from "../../types.js";
import {
  identifierLengthMax,
  type MemberRecord,
  MemberState,
  piggybackCountMax,
  type SwimMessage,
  type SwimMessageLimits,
  type Update,
} from "./messages.js";

type Fields = Record<string, unknown>;

const memberStates: readonly string[] = Object.values(MemberState);

/** Returns `value` as a SWIM message if it is a well-formed one within `limits`, else null. */
export function parseSwimMessage(value: unknown, limits: SwimMessageLimits): SwimMessage | null {
  if (!isFields(value) || !isIdentifier(value["source"])) return null;
  const source = value["source"] as NodeId;
  switch (value["kind"]) {
    case "ping": {
      const piggyback = parseUpdates(value["piggyback"], limits);
      if (!isCounter(value["sequence"]) || !isIdentifier(value["target"]) || piggyback === null) return null;
      return {
        kind: "ping",
        sequence: value["sequence"],
        source,
        target: value["target"] as NodeId,
        piggyback,
      };
    }
    case "ack": {
      const piggyback = parseUpdates(value["piggyback"], limits);
      if (!isCounter(value["sequence"]) || piggyback === null) return null;
      return { kind: "ack", sequence: value["sequence"], source, piggyback };
    }
    case "nack":
      if (!isCounter(value["sequence"])) return null;
      return { kind: "nack", sequence: value["sequence"], source };
    case "ping-req":
      return parsePingRequest(value, source, limits);
    case "gossip": {
      const piggyback = parseUpdates(value["piggyback"], limits);
      return piggyback === null ? null : { kind: "gossip", source, piggyback };
    }
    case "push-pull":
      return parsePushPull(value, source, limits);
    default:
      return null;
  }
}

function parsePingRequest(value: Fields, source: NodeId, limits: SwimMessageLimits): SwimMessage | null {
  const piggyback = parseUpdates(value["piggyback"], limits);
  if (piggyback === null || !isCounter(value["sequence"]) || !isCounter(value["relayTimeoutMs"])) return null;
  if (!isIdentifier(value["target"]) || !isIdentifier(value["targetAddress"])) return null;
  if (typeof value["wantsNack"] !== "boolean") return null;
  return {
    kind: "ping-req",
    sequence: value["sequence"],
    source,
    target: value["target"] as NodeId,
    targetAddress: value["targetAddress"] as Address,
    relayTimeoutMs: value["relayTimeoutMs"],
    wantsNack: value["wantsNack"],
    piggyback,
  };
}

function parsePushPull(value: Fields, source: NodeId, limits: SwimMessageLimits): SwimMessage | null {
  const members = value["members"];
  if (typeof value["isResponse"] !== "boolean" || typeof value["isJoin"] !== "boolean") return null;
  if (!Array.isArray(members) || members.length > limits.membersMax) return null;
  const records: MemberRecord[] = [];
  for (const item of members) {
    if (!isFields(item) || !isIdentifier(item["member"]) || !isIdentifier(item["address"])) return null;
    if (!isCounter(item["incarnation"]) || !memberStates.includes(item["state"] as string)) return null;
    if (!isMetadata(item["metadata"], limits)) return null;
    records.push({
      member: item["member"] as NodeId,
      address: item["address"] as Address,
      incarnation: item["incarnation"],
      state: item["state"] as MemberState,
      metadata: ownedBytes(item["metadata"]),
    });
  }
  return {
    kind: "push-pull",
    source,
    isResponse: value["isResponse"],
    isJoin: value["isJoin"],
    members: records,
  };
}

function parseUpdates(value: unknown, limits: SwimMessageLimits): Update[] | null {
  if (!Array.isArray(value) || value.length > piggybackCountMax) return null;
  const updates: Update[] = [];
  for (const item of value) {
    const update = parseUpdate(item, limits);
    if (update === null) return null;
    updates.push(update);
  }
  return updates;
}

function parseUpdate(value: unknown, limits: SwimMessageLimits): Update | null {
  if (!isFields(value) || !isIdentifier(value["member"]) || !isCounter(value["incarnation"])) return null;
  const member = value["member"] as NodeId;
  const incarnation = value["incarnation"];
  switch (value["kind"]) {
    case "alive":
      if (!isIdentifier(value["address"]) || !isMetadata(value["metadata"], limits)) return null;
      return {
        kind: "alive",
        member,
        address: value["address"] as Address,
        incarnation,
        metadata: ownedBytes(value["metadata"]),
      };
    case "suspect":
    case "dead":
      if (!isIdentifier(value["from"])) return null;
      return { kind: value["kind"], member, incarnation, from: value["from"] as NodeId };
    case "left":
      return { kind: "left", member, incarnation };
    default:
      return null;
  }
}

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= identifierLengthMax;
}

function isCounter(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isMetadata(value: unknown, limits: SwimMessageLimits): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength <= limits.metadataBytesMax;
}

/** Copies decoded bytes into a plain Uint8Array: a decoder may hand out a view into its receive buffer. */
function ownedBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
