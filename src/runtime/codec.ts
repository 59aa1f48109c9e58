// Encodings the member owns: Raft entries as WAL records, CP commands inside normal entries, the
// snapshot bodies of data groups and of group 0, and the payload of `raft-batch` frames. Every
// decoder of bytes that came from a peer or a client returns null on anything malformed instead of
// throwing: a bad frame costs its sender a log line, never this member its life. Decoders of bytes
// this member wrote itself (the WAL) assert instead: damage there is corruption, not input.

import { Packr } from "msgpackr";
import { assert } from "../lib/assert.js";
import { isCount, isRecord } from "../protocol/wire/index.js";
import type { PartitionTable } from "../protocol/placement/index.js";
import type { ConfChange, ConfigState, Entry, Message } from "../protocol/raft/index.js";
import type { WalEntry, WalTaggedEntry } from "../storage/index.js";
import type { MachineResult } from "../structures/machine.js";
import type { SessionTableData } from "../structures/sessions.js";
import type { GroupId, NodeId } from "../types.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

/** Record tags of an entry in the WAL: the first payload byte. */
const entryTagNormal = 1;
const entryTagConfChange = 2;

/**
 * Encodes a Raft entry as a WAL record: the tag, then the command bytes or the packed change. The
 * WAL writes the tag in front of the payload itself, so the entry's bytes are not copied here.
 */
export function entryToWal(entry: Entry): WalTaggedEntry {
  if (entry.type === "normal")
    return { index: entry.index, term: entry.term, tag: entryTagNormal, payload: entry.data };
  return { index: entry.index, term: entry.term, tag: entryTagConfChange, payload: packr.pack(entry.change) };
}

/** Decodes a WAL record written by {@link entryToWal}. A bad tag is corruption (the CRC matched). */
export function entryFromWal(record: WalEntry): Entry {
  const tag = record.payload[0];
  if (tag === entryTagNormal) {
    return { type: "normal", index: record.index, term: record.term, data: record.payload.slice(1) };
  }
  assert(tag === entryTagConfChange, `WAL record ${record.index} has unknown tag ${tag}`);
  const change = packr.unpack(record.payload.subarray(1)) as ConfChange;
  return { type: "conf-change", index: record.index, term: record.term, change };
}

// The CP command inside a normal entry has its own file (a log format with a legacy form).
export {
  type Command,
  type CommandMalformed,
  commandDecode,
  commandEncode,
  isCommandMalformed,
} from "./command_codec.js";

/** The state of a data group, as its Raft snapshot carries it. */
export interface DataSnapshot {
  readonly machine: Uint8Array;
  readonly sessions: SessionTableData<MachineResult>;
  /** The log time of the last applied command: log time never goes back across leaders (H11). */
  readonly logTimeMs: number;
}

/** One member of the cluster as group 0 records it. */
export interface ClusterMember {
  readonly nodeId: NodeId;
  /** Where peers and clients reach it (`--listen`). */
  readonly address: string;
  /** Its admin endpoint (`--admin`), or "" when it has none. */
  readonly adminAddress: string;
}

/** What group 0 holds: the members and the partition table. */
export interface ClusterConfig {
  readonly clusterName: string;
  readonly members: readonly ClusterMember[];
  readonly table: PartitionTable;
}

/** Encodes any snapshot body (a {@link DataSnapshot} or a {@link ClusterConfig}). */
export function snapshotBodyEncode(body: DataSnapshot | ClusterConfig): Uint8Array {
  return packr.pack(body);
}

/** Decodes a data group's snapshot body. */
export function dataSnapshotDecode(bytes: Uint8Array): DataSnapshot {
  const body = packr.unpack(bytes) as DataSnapshot;
  assert(body.machine instanceof Uint8Array && Array.isArray(body.sessions.sessions), "bad data snapshot");
  return body;
}

/** Decodes group 0's snapshot body. */
export function clusterConfigDecode(bytes: Uint8Array): ClusterConfig {
  const body = packr.unpack(bytes) as ClusterConfig;
  assert(Array.isArray(body.members) && body.table.partitionCount > 0, "bad cluster configuration");
  return body;
}

/** The WAL stores a Raft snapshot's configuration next to its body (the WAL knows neither). */
export function walSnapshotEncode(config: ConfigState, data: Uint8Array): Uint8Array {
  return packr.pack({ config, data });
}

/** Decodes {@link walSnapshotEncode}. */
export function walSnapshotDecode(bytes: Uint8Array): { config: ConfigState; data: Uint8Array } {
  const body = packr.unpack(bytes) as { config: ConfigState; data: Uint8Array };
  assert(Array.isArray(body.config.voters) && body.data instanceof Uint8Array, "bad WAL snapshot");
  return body;
}

/** How a member introduces itself while the cluster forms, and after (to late starters). */
export interface Hello {
  readonly member: ClusterMember;
  /** Every member this member has heard of, itself included. */
  readonly known: readonly ClusterMember[];
  readonly expect: number;
  /** The cluster configuration once this member has one. */
  readonly cluster: ClusterConfig | null;
}

/** The payload of a `raft-batch` frame: the sender, an optional hello, messages by group. */
export interface RaftBatch {
  readonly from: NodeId;
  /** The sender's AP replica id for this incarnation (runtime/ap_service.ts). */
  readonly replica: string;
  readonly hello: Hello | null;
  readonly messages: readonly (readonly [GroupId, Message])[];
}

/**
 * Every Raft message type, in code order: the binary raft-batch layout (raft_batch_codec.ts)
 * writes a type as its position + 1, so this list is part of that format: append only.
 */
export const raftMessageTypes = [
  "pre-vote",
  "vote",
  "pre-vote-response",
  "vote-response",
  "append",
  "append-response",
  "heartbeat",
  "heartbeat-response",
  "snapshot",
  "snapshot-response",
  "timeout-now",
  "propose",
  "read-index",
  "read-index-response",
] as const satisfies readonly Message["type"][];

const messageTypes = new Set<string>(raftMessageTypes);

/**
 * Checks the envelope of a Raft message from a peer: a known type, ids, and a term. The peer passed
 * the cluster handshake, so this guards against bugs and version skew, not against an adversary;
 * the fields each type adds are the core's to trust.
 */
export function raftMessageValid(value: unknown, self: NodeId): value is Message {
  if (!isRecord(value)) return false;
  if (typeof value.type !== "string" || !messageTypes.has(value.type)) return false;
  if (typeof value.from !== "string" || value.to !== self) return false;
  return isCount(value.term);
}

/** Checks a `raft-batch` payload's shape; messages are checked one by one by the caller. */
export function raftBatchValid(value: unknown): value is RaftBatch {
  if (!isRecord(value) || typeof value.from !== "string" || !Array.isArray(value.messages)) return false;
  if (typeof value.replica !== "string") return false;
  if (value.hello !== null && !helloValid(value.hello)) return false;
  return value.messages.every((pair) => Array.isArray(pair) && pair.length === 2 && isCount(pair[0]));
}

function memberValid(value: unknown): value is ClusterMember {
  return (
    isRecord(value) &&
    typeof value.nodeId === "string" &&
    value.nodeId.length > 0 &&
    typeof value.address === "string" &&
    typeof value.adminAddress === "string"
  );
}

/** Checks a hello from a peer: its members and, when present, the configuration's members. */
export function helloValid(value: unknown): value is Hello {
  if (!isRecord(value) || !memberValid(value.member) || !isCount(value.expect)) return false;
  if (!Array.isArray(value.known) || !value.known.every(memberValid)) return false;
  const cluster = value.cluster;
  if (cluster === null) return true;
  return isRecord(cluster) && Array.isArray(cluster.members) && cluster.members.every(memberValid);
}
