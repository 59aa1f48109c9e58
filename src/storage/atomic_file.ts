// Small files replaced atomically (hard state, snapshots): write a temporary file, sync it, rename
// it over the old one, sync the folder. After a crash the name holds the old contents or the new,
// never a mix, so a decode failure on open is rot, not a torn write, and is reported as corruption.
// Every file carries a magic number, a kind, its body length and a CRC-32 of the body.

import type { Disk } from "../env/disk.js";
import { CorruptError } from "../errors.js";
import { assert } from "../lib/assert.js";
import type { Checksum } from "./segment.js";

/** Bytes before the body: magic (4), version (1), kind (1), reserved (2), length (4), crc (4). */
const headerBytes = 16;
const magic = [0x53, 0x48, 0x46, 0x4c]; // "SHFL"
const version = 1;
/** The suffix of a temporary file; leftovers of a crash are removed on open. */
export const temporarySuffix = ".tmp";

/** What an atomic file holds; the kind is checked on read so one file can never pass for another. */
export const AtomicFileKind = { HardState: 1, Snapshot: 2, ApStore: 3 } as const;
/** One of {@link AtomicFileKind}'s values. */
export type AtomicFileKind = (typeof AtomicFileKind)[keyof typeof AtomicFileKind];

/** Replaces `folder/name` with `body` atomically and durably. */
export function atomicFileWrite(
  disk: Disk,
  folder: string,
  name: string,
  kind: AtomicFileKind,
  body: Uint8Array,
  crc32: Checksum,
): void {
  assert(!name.includes("/") && !name.endsWith(temporarySuffix));
  const path = `${folder}/${name}`;
  const temporary = `${path}${temporarySuffix}`;
  const bytes = new Uint8Array(headerBytes + body.byteLength);
  const view = new DataView(bytes.buffer);
  bytes.set(magic, 0);
  bytes[4] = version;
  bytes[5] = kind;
  view.setUint32(8, body.byteLength, false);
  view.setUint32(12, crc32(body), false);
  bytes.set(body, headerBytes);
  disk.write(temporary, 0, bytes);
  // A leftover temporary file from a crash may be longer: cut it to this content's length.
  disk.truncate(temporary, bytes.byteLength);
  disk.sync(temporary);
  disk.rename(temporary, path);
  disk.syncDirectory(folder);
}

/** Reads `folder/name`: its body, null when absent; throws CorruptError when it fails its checks. */
export function atomicFileRead(
  disk: Disk,
  folder: string,
  name: string,
  kind: AtomicFileKind,
  crc32: Checksum,
): Uint8Array | null {
  const path = `${folder}/${name}`;
  if (!disk.exists(path)) return null;
  const size = disk.size(path);
  const bytes = disk.read(path, 0, size);
  if (bytes.byteLength < headerBytes)
    throw new CorruptError(`${path}: ${bytes.byteLength} bytes, shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < magic.length; i++) {
    if (bytes[i] !== magic[i]) throw new CorruptError(`${path}: bad magic`);
  }
  if (bytes[4] !== version) throw new CorruptError(`${path}: unknown version ${bytes[4]}`);
  if (bytes[5] !== kind) throw new CorruptError(`${path}: holds kind ${bytes[5]}, expected ${kind}`);
  const bodyBytes = view.getUint32(8, false);
  if (headerBytes + bodyBytes !== bytes.byteLength) throw new CorruptError(`${path}: length mismatch`);
  const body = bytes.subarray(headerBytes);
  if (crc32(body) !== view.getUint32(12, false)) throw new CorruptError(`${path}: checksum mismatch`);
  return body;
}

/** Removes temporary files a crash left in `folder`; returns their names. */
export function atomicFilesTidy(disk: Disk, folder: string): string[] {
  const leftovers = disk.list(folder).filter((name) => name.endsWith(temporarySuffix));
  for (const name of leftovers) disk.remove(`${folder}/${name}`);
  if (leftovers.length > 0) disk.syncDirectory(folder);
  return leftovers;
}
