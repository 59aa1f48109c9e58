// The on-disk form of a member's AP replicas: every partition's store, every key's CRDT state in the
// crdt codec, in ONE atomic file (write temporary, sync, rename, sync folder), so after a crash the
// file holds the last save whole or the one before it, never a mix. One file, not one per
// partition: a save costs one write, two syncs and one rename whatever the partition count (one
// file per partition cost a member 16 of each per second under load). The saved states keep the
// dots of the replica id that wrote them; a restarted member joins them into a Replicator under a
// new id, so no dot is ever issued twice even when the last updates before a crash were not saved.
//
// Body of the file (version 2): a varint format version, a varint partition count, then per
// partition (ascending) its id as a varint and its store body as a byte field. A store body
// (version 1): a varint format version, a varint key count, then per key (sorted by UTF-16 code
// units) the key as a string field and the encoded state as a byte field.
//
// Earlier versions wrote one file per partition holding a store body; a member still reads them at
// start (joining is idempotent, so reading both is safe) and removes them after its first save.

import type { Disk } from "../env/disk.js";
import { crc32 } from "../lib/bytes.js";
import { ByteReader, ByteWriter, CodecError } from "../protocol/crdt/codec.js";
import type { Crdt } from "../protocol/crdt/crdt.js";
import { decodeCrdt, encodeCrdt } from "../protocol/crdt/registry.js";
import type { ReplicaStore } from "../protocol/replication/store.js";
import { AtomicFileKind, atomicFileRead, atomicFilesTidy, atomicFileWrite } from "../storage/atomic_file.js";
import type { Checksum } from "../storage/segment.js";
import type { PartitionId } from "../types.js";

/** Ticks between two saves of a changed partition: 1 s at the default 50 ms tick. */
export const AP_SAVE_INTERVAL_TICKS_DEFAULT = 20;
/** The largest body of the saved file; larger stores are not saved (logged once). */
export const AP_FILE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** The version of a store body's layout. */
const bodyVersion = 1;
/** The version of the file body's layout (every partition's store). */
const filesVersion = 2;
/** The file holding every partition's store. */
export const apStoresFileName = "ap_stores.crdt";

/** Where and how often a member saves its AP partitions. */
export interface ApPersistConfig {
  readonly disk: Disk;
  /** The folder of the AP files ("ap" under the member's data folder). */
  readonly folder: string;
  readonly checksum: Checksum;
  /** Ticks between two saves of a partition that changed; 0 saves only at graceful stop. */
  readonly saveIntervalTicks: number;
  /** Limit on the body bytes of one file. */
  readonly fileBytesMax: number;
}

/** The AP folder under a member's data folder ("" is the disk's root). */
export function apFolderOf(dataFolder: string): string {
  return dataFolder === "" ? "ap" : `${dataFolder}/ap`;
}

/** The file name of `partition`'s store in the earlier one-file-per-partition layout. */
export function apFileName(partition: PartitionId): string {
  return `partition_${partition}.crdt`;
}

/** Encodes every state of `store`, keys sorted, into one body. */
export function apStoreEncode(store: ReplicaStore): Uint8Array {
  const keys = [...store.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const writer = new ByteWriter();
  writer.uint(bodyVersion);
  writer.uint(keys.length);
  for (const key of keys) {
    const state = store.get(key);
    if (state === undefined) continue;
    writer.string(key);
    writer.bytes(encodeCrdt(state));
  }
  return writer.finish();
}

/** Decodes a body into its keyed states; throws CodecError when it is malformed. */
export function apStoreDecode(body: Uint8Array): [string, Crdt][] {
  const reader = new ByteReader(body);
  const version = reader.uint();
  if (version !== bodyVersion) throw new CodecError(`unknown AP store version ${version}`);
  // Each entry takes at least two bytes (two length fields), which bounds the count.
  const count = reader.uintAtMost(Math.floor(reader.remaining / 2), "key count");
  const entries: [string, Crdt][] = [];
  for (let i = 0; i < count; i++) {
    const key = reader.string();
    const decoded = decodeCrdt(reader.bytes());
    if (decoded.kind === "malformed") throw new CodecError(`state of ${key}: ${decoded.reason}`);
    entries.push([key, decoded.value]);
  }
  reader.expectDone();
  return entries;
}

/** Encodes the stores of every partition given, in ascending partition order, into one body. */
export function apStoresEncode(stores: readonly (readonly [PartitionId, ReplicaStore])[]): Uint8Array {
  return apStoresAssemble(new Map(stores.map(([partition, store]) => [partition, apStoreEncode(store)])));
}

/**
 * One body of {@link apStoresEncode} from bodies of {@link apStoreEncode} made earlier, one per
 * partition, in ascending partition order (the caller keeps a store's body until it changes).
 */
export function apStoresAssemble(bodies: ReadonlyMap<PartitionId, Uint8Array>): Uint8Array {
  const sorted = [...bodies].sort((a, b) => a[0] - b[0]);
  const writer = new ByteWriter();
  writer.uint(filesVersion);
  writer.uint(sorted.length);
  for (const [partition, body] of sorted) {
    writer.uint(partition);
    writer.bytes(body);
  }
  return writer.finish();
}

/** Decodes a body of {@link apStoresEncode}; throws CodecError when it is malformed. */
export function apStoresDecode(body: Uint8Array): Map<PartitionId, [string, Crdt][]> {
  const reader = new ByteReader(body);
  const version = reader.uint();
  if (version !== filesVersion) throw new CodecError(`unknown AP stores version ${version}`);
  // Each partition takes at least two bytes (its id and a length field), which bounds the count.
  const count = reader.uintAtMost(Math.floor(reader.remaining / 2), "partition count");
  const partitions = new Map<PartitionId, [string, Crdt][]>();
  for (let i = 0; i < count; i++) {
    const partition = reader.uint() as PartitionId;
    if (partitions.has(partition)) throw new CodecError(`partition ${partition} appears twice`);
    partitions.set(partition, apStoreDecode(reader.bytes()));
  }
  reader.expectDone();
  return partitions;
}

/** The outcome of loading the file of every partition's store. */
export type ApStoresLoadResult =
  | { readonly kind: "absent" }
  | { readonly kind: "ok"; readonly partitions: Map<PartitionId, [string, Crdt][]>; readonly bytes: number }
  | { readonly kind: "unreadable"; readonly reason: string };

/** Reads and decodes the stores file; never throws (a bad file is reported, not raised). */
export function apStoresLoad(config: ApPersistConfig): ApStoresLoadResult {
  const loaded = fileLoad(config, apStoresFileName, apStoresDecode);
  return loaded.kind === "ok" ? { kind: "ok", partitions: loaded.value, bytes: loaded.bytes } : loaded;
}

/** Reads, bounds and decodes one AP file; a file that cannot be read or decoded is "unreadable". */
function fileLoad<T>(
  config: ApPersistConfig,
  name: string,
  decode: (body: Uint8Array) => T,
):
  | { readonly kind: "ok"; readonly value: T; readonly bytes: number }
  | { readonly kind: "absent" }
  | { readonly kind: "unreadable"; readonly reason: string } {
  try {
    const body = atomicFileRead(config.disk, config.folder, name, AtomicFileKind.ApStore, config.checksum);
    if (body === null) return { kind: "absent" };
    if (body.byteLength > config.fileBytesMax)
      return { kind: "unreadable", reason: `${body.byteLength} bytes, above ${config.fileBytesMax}` };
    return { kind: "ok", value: decode(body), bytes: body.byteLength };
  } catch (error) {
    return { kind: "unreadable", reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Writes `body` (from {@link apStoresEncode}) as the stores file atomically and durably. */
export function apStoresSave(config: ApPersistConfig, body: Uint8Array): void {
  atomicFileWrite(
    config.disk,
    config.folder,
    apStoresFileName,
    AtomicFileKind.ApStore,
    body,
    config.checksum,
  );
}

const legacyFileName = /^partition_(\d+)\.crdt$/;

/** The partitions that still have a file of the earlier one-file-per-partition layout. */
export function apLegacyPartitions(config: ApPersistConfig): PartitionId[] {
  const partitions: PartitionId[] = [];
  for (const name of config.disk.list(config.folder)) {
    const match = legacyFileName.exec(name);
    if (match !== null) partitions.push(Number(match[1]) as PartitionId);
  }
  return partitions.sort((a, b) => a - b);
}

/** Removes the earlier layout's files of `partitions` (their states are in the stores file now). */
export function apLegacyRemove(config: ApPersistConfig, partitions: readonly PartitionId[]): void {
  if (partitions.length === 0) return;
  for (const partition of partitions) config.disk.remove(`${config.folder}/${apFileName(partition)}`);
  config.disk.syncDirectory(config.folder);
}

/** The outcome of loading one partition's file (the earlier layout). */
export type ApLoadResult =
  | { readonly kind: "absent" }
  | { readonly kind: "ok"; readonly entries: [string, Crdt][]; readonly bytes: number }
  | { readonly kind: "unreadable"; readonly reason: string };

/** Reads and decodes `partition`'s file of the earlier layout; never throws. */
export function apStoreLoad(config: ApPersistConfig, partition: PartitionId): ApLoadResult {
  const loaded = fileLoad(config, apFileName(partition), apStoreDecode);
  return loaded.kind === "ok" ? { kind: "ok", entries: loaded.value, bytes: loaded.bytes } : loaded;
}

/** Removes temporary files a crash left in the AP folder; never throws (returns the error text). */
export function apFolderTidy(config: ApPersistConfig): string | null {
  try {
    atomicFilesTidy(config.disk, config.folder);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A member's AP persistence settings: next to its WAL, saved at most once a second. */
export function apPersistConfigOf(
  environment: { readonly disk: Disk },
  options: { readonly wal: { readonly folder: string }; readonly walChecksum: Checksum | null },
): ApPersistConfig {
  return {
    disk: environment.disk,
    folder: apFolderOf(options.wal.folder),
    checksum: options.walChecksum ?? crc32,
    saveIntervalTicks: AP_SAVE_INTERVAL_TICKS_DEFAULT,
    fileBytesMax: AP_FILE_BYTES_MAX_DEFAULT,
  };
}
