// The env Disk over the real file system, synchronous by design (env/disk.ts): positional
// fs.writeSync, fs.fdatasyncSync for a file, fsync of an opened folder for its entries; the one
// asynchronous call, syncAsync, is fs.fdatasync on libuv's thread pool (the WAL's group commit). File
// descriptors stay open in a bounded least-recently-used cache, so a hot WAL segment is written
// and synced without an open() per call. Paths are relative to `root` with `/` separators; an
// absolute path or a `..` segment is a caller bug.

import {
  closeSync,
  constants,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { Disk } from "../../env/disk.js";
import { assert } from "../../lib/assert.js";

/** Options of a {@link NodeDisk}. */
export interface NodeDiskOptions {
  /** The folder every path is relative to; created if missing. */
  readonly root: string;
  /** Most file descriptors kept open. */
  readonly descriptorsOpenMax: number;
}

/** The production Disk. */
export class NodeDisk implements Disk {
  /** Open descriptors by relative path, least recently used first (Map keeps insertion order). */
  private readonly descriptors = new Map<string, number>();
  /** Descriptors under an asynchronous sync, with how many are in flight. */
  private readonly syncsInFlight = new Map<number, number>();
  /** Descriptors evicted or released during a sync, closed when it ends. */
  private readonly closesDeferred = new Set<number>();

  constructor(private readonly options: NodeDiskOptions) {
    assert(options.descriptorsOpenMax > 0);
    mkdirSync(options.root, { recursive: true });
  }

  /** Whether a file exists. */
  exists(path: string): boolean {
    try {
      return statSync(this.absolute(path)).isFile();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Size in bytes of an existing file. */
  size(path: string): number {
    return fstatSync(this.descriptor(path, false)).size;
  }

  /** Reads up to `length` bytes at `offset`; short at the end of the file. */
  read(path: string, offset: number, length: number): Uint8Array {
    assert(Number.isSafeInteger(offset) && offset >= 0);
    assert(Number.isSafeInteger(length) && length >= 0);
    const fd = this.descriptor(path, false);
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const count = readSync(fd, out, filled, length - filled, offset + filled);
      if (count === 0) break;
      filled += count;
    }
    return filled === length ? out : out.subarray(0, filled);
  }

  /** Writes all of `bytes` at `offset`, creating the file and its folders if needed. */
  write(path: string, offset: number, bytes: Uint8Array): void {
    assert(Number.isSafeInteger(offset) && offset >= 0);
    const fd = this.descriptor(path, true);
    let written = 0;
    while (written < bytes.byteLength) {
      written += writeSync(fd, bytes, written, bytes.byteLength - written, offset + written);
    }
    assert(written === bytes.byteLength);
  }

  /** Sets a file's length (creating it if needed). */
  truncate(path: string, length: number): void {
    assert(Number.isSafeInteger(length) && length >= 0);
    ftruncateSync(this.descriptor(path, true), length);
  }

  /** fdatasync: the data and the length of `path` are durable when this returns. */
  sync(path: string): void {
    fdatasyncSync(this.descriptor(path, false));
  }

  /**
   * fdatasync on libuv's thread pool; `done` runs on a later turn once the writes are durable. The
   * descriptor is pinned meanwhile: evicting or releasing it defers its close to the sync's end, so
   * the number is never reused for another file under a sync in flight.
   */
  syncAsync(path: string, done: (error: Error | null) => void): void {
    const fd = this.descriptor(path, false);
    this.syncsInFlight.set(fd, (this.syncsInFlight.get(fd) ?? 0) + 1);
    fdatasync(fd, (error) => {
      const left = (this.syncsInFlight.get(fd) ?? 1) - 1;
      if (left > 0) this.syncsInFlight.set(fd, left);
      else {
        this.syncsInFlight.delete(fd);
        if (this.closesDeferred.delete(fd)) closeSync(fd);
      }
      done(error);
    });
  }

  /** Renames atomically, replacing `toPath`; durable after syncDirectory of the folder. */
  rename(fromPath: string, toPath: string): void {
    this.release(toPath);
    mkdirSync(dirname(this.absolute(toPath)), { recursive: true });
    renameSync(this.absolute(fromPath), this.absolute(toPath));
    // The descriptor follows the inode, so the open file simply changes its name.
    const fd = this.descriptors.get(fromPath);
    if (fd !== undefined) {
      this.descriptors.delete(fromPath);
      this.descriptors.set(toPath, fd);
    }
  }

  /** Removes a file if it exists. */
  remove(path: string): void {
    this.release(path);
    rmSync(this.absolute(path), { force: true });
  }

  /**
   * Names directly inside `folder` (files, and subfolders by name, as readdir and SimDisk give
   * them), sorted; empty when the folder does not exist.
   */
  list(folder: string): string[] {
    try {
      return readdirSync(this.absolute(folder)).sort();
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** fsync of the folder itself (created if missing): its creations, renames and removals are durable. */
  syncDirectory(folder: string): void {
    const absolute = this.absolute(folder);
    mkdirSync(absolute, { recursive: true });
    const fd = openSync(absolute, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes every cached descriptor. The disk stays usable; descriptors reopen on demand. */
  close(): void {
    for (const fd of this.descriptors.values()) this.descriptorClose(fd);
    this.descriptors.clear();
  }

  private absolute(path: string): string {
    assert(!path.startsWith("/"), `disk paths are relative: ${path}`);
    assert(!path.split("/").includes(".."), `disk paths stay inside the root: ${path}`);
    return path === "" ? this.options.root : join(this.options.root, path);
  }

  private descriptor(path: string, create: boolean): number {
    const cached = this.descriptors.get(path);
    if (cached !== undefined) {
      this.descriptors.delete(path); // Re-inserting marks it most recently used.
      this.descriptors.set(path, cached);
      return cached;
    }
    const absolute = this.absolute(path);
    if (create) mkdirSync(dirname(absolute), { recursive: true });
    const flags = create ? constants.O_RDWR | constants.O_CREAT : constants.O_RDWR;
    const fd = openSync(absolute, flags, 0o644);
    while (this.descriptors.size >= this.options.descriptorsOpenMax) {
      const [oldestPath, oldestFd] = this.descriptors.entries().next().value as [string, number];
      this.descriptors.delete(oldestPath);
      this.descriptorClose(oldestFd);
    }
    this.descriptors.set(path, fd);
    return fd;
  }

  private release(path: string): void {
    const fd = this.descriptors.get(path);
    if (fd === undefined) return;
    this.descriptors.delete(path);
    this.descriptorClose(fd);
  }

  /** Closes `fd` now, or when its last asynchronous sync ends. */
  private descriptorClose(fd: number): void {
    if (this.syncsInFlight.has(fd)) this.closesDeferred.add(fd);
    else closeSync(fd);
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}
