// One node's disk in the simulator, in memory, enforcing the durability contract of env/disk.ts so
// that storage code meets every crash state a real file system may leave behind.
//
// The model. Each file is an inode with two images: what reads see (visible) and what survives a
// power loss (durable), plus the writes and truncates since the last `sync`, in order. The directory
// tree also has two images: visible entries, and durable entries that are the result of a prefix of
// the namespace operations (create, rename, remove) issued so far. `syncDirectory(folder)` extends
// that prefix up to the last operation touching `folder` (a journaled file system commits its
// metadata journal in order, so earlier operations become durable with it). On `crash()`:
// - each unsynced write or truncate of a file survives or is lost by its own Prng draw (pages are
//   written back in any order), and the last one of each file may be torn at a random byte boundary;
// - a random prefix of the pending namespace operations survives (a rename is atomic: old name or
//   new name, never both or neither);
// - every view handed out by `open()` is revoked, so a dead process can no longer reach the disk.
// Optionally, reads flip one random bit at a configured rate (bit rot, misdirected reads), so
// checksums are exercised. Every mutating call is counted, and the disk can call back after the
// k-th one, so a test can crash a node at every point of its write path.

import { assert } from "../lib/assert.js";
import type { Prng } from "../lib/prng.js";
import type { Disk } from "../env/disk.js";

/** What a crash may do to unsynced state, and how often reads are corrupted. */
export interface SimDiskFaults {
  /** Probability that one unsynced write or truncate survives a crash. */
  readonly unsyncedKeepProbability: number;
  /** Probability that the last unsynced write of a file, if it survives, survives only in part. */
  readonly tornWriteProbability: number;
  /** Probability that a read returns its bytes with one bit flipped. */
  readonly readCorruptionProbability: number;
}

/** A disk that loses or tears unsynced writes on a crash but never corrupts reads. */
export function simDiskFaultsDefault(): SimDiskFaults {
  return { unsyncedKeepProbability: 0.5, tornWriteProbability: 0.5, readCorruptionProbability: 0 };
}

/**
 * Most unsynced operations kept per file. Beyond it the oldest is written back (made durable), as
 * a kernel flushes dirty pages of a file that is never synced.
 */
export const simDiskUnsyncedOpsMax = 4_096;

/** Largest file, in bytes: a guard against runaway offsets in the code under test. */
export const simDiskFileBytesMax = 1 << 30;

/** Counters of calls on a {@link SimDisk}. */
export interface SimDiskStats {
  reads: number;
  readsCorrupted: number;
  writes: number;
  truncates: number;
  syncs: number;
  renames: number;
  removes: number;
  directorySyncs: number;
  /** Writes, truncates, syncs, renames, removes and directory syncs, in total. */
  mutations: number;
  crashes: number;
}

/** What one crash did. */
export interface SimDiskCrashReport {
  readonly opsKept: number;
  readonly opsLost: number;
  readonly writesTorn: number;
  readonly entriesKept: number;
  readonly entriesLost: number;
}

type FileOp =
  | { readonly kind: "write"; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly kind: "truncate"; readonly length: number };

type EntryOp =
  | { readonly kind: "link"; readonly path: string; readonly inode: Inode }
  | { readonly kind: "unlink"; readonly path: string }
  | { readonly kind: "rename"; readonly fromPath: string; readonly toPath: string; readonly inode: Inode };

/** A growable byte image of a file. */
class FileImage {
  private data = new Uint8Array(64);
  length = 0;

  static copyOf(source: FileImage): FileImage {
    const image = new FileImage();
    image.data = source.data.slice(0, Math.max(source.length, 64));
    image.length = source.length;
    return image;
  }

  apply(op: FileOp): void {
    if (op.kind === "truncate") this.truncate(op.length);
    else this.write(op.offset, op.bytes);
  }

  write(offset: number, bytes: Uint8Array): void {
    const end = offset + bytes.byteLength;
    this.reserve(end);
    if (offset > this.length) this.data.fill(0, this.length, offset);
    this.data.set(bytes, offset);
    this.length = Math.max(this.length, end);
  }

  truncate(length: number): void {
    this.reserve(length);
    if (length > this.length) this.data.fill(0, this.length, length);
    this.length = length;
  }

  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.length, offset + length);
    return offset >= end ? new Uint8Array(0) : this.data.slice(offset, end);
  }

  private reserve(bytes: number): void {
    assert(bytes <= simDiskFileBytesMax, `file would grow past ${simDiskFileBytesMax} bytes`);
    if (bytes <= this.data.byteLength) return;
    let capacity = this.data.byteLength;
    while (capacity < bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}

/** A file's contents, independent of the names it has. */
class Inode {
  visible = new FileImage();
  durable = new FileImage();
  unsynced: FileOp[] = [];

  record(op: FileOp): void {
    this.visible.apply(op);
    this.unsynced.push(op);
    if (this.unsynced.length > simDiskUnsyncedOpsMax) this.durable.apply(this.unsynced.shift()!);
  }

  sync(): void {
    for (const op of this.unsynced) this.durable.apply(op);
    this.unsynced = [];
    assert(this.durable.length === this.visible.length, "a synced file has its visible length");
  }
}

/** Checks a path: relative, `/`-separated, no empty, `.` or `..` segments. */
function assertPath(path: string): void {
  assert(path.length > 0 && !path.startsWith("/") && !path.endsWith("/"), `bad disk path "${path}"`);
  for (const segment of path.split("/")) {
    assert(segment !== "" && segment !== "." && segment !== "..", `bad disk path "${path}"`);
  }
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function entryTouches(op: EntryOp, folder: string): boolean {
  if (op.kind === "rename") return folderOf(op.fromPath) === folder || folderOf(op.toPath) === folder;
  return folderOf(op.path) === folder;
}

function applyEntry(entries: Map<string, Inode>, op: EntryOp): void {
  switch (op.kind) {
    case "link":
      entries.set(op.path, op.inode);
      return;
    case "unlink":
      entries.delete(op.path);
      return;
    case "rename":
      entries.delete(op.fromPath);
      entries.set(op.toPath, op.inode);
      return;
  }
}

/** Runs a `syncAsync` completion later (the simulated fdatasync's latency). */
export type SyncDeferral = (complete: () => void) => void;

/** An in-memory {@link Disk} with a crash model; one per simulated node, surviving its restarts. */
export class SimDisk implements Disk {
  private visibleEntries = new Map<string, Inode>();
  private durableEntries = new Map<string, Inode>();
  private pendingEntries: EntryOp[] = [];
  private views: SimDiskView[] = [];
  private crashArm: { readonly atMutation: number; readonly onCrash: () => void } | null = null;
  readonly stats: SimDiskStats = {
    reads: 0,
    readsCorrupted: 0,
    writes: 0,
    truncates: 0,
    syncs: 0,
    renames: 0,
    removes: 0,
    directorySyncs: 0,
    mutations: 0,
    crashes: 0,
  };

  constructor(
    private readonly prng: Prng,
    private faults: SimDiskFaults = simDiskFaultsDefault(),
  ) {
    SimDisk.assertFaults(faults);
  }

  /** Replaces the fault rates (for example to turn read corruption on mid-run). */
  setFaults(faults: SimDiskFaults): void {
    SimDisk.assertFaults(faults);
    this.faults = faults;
  }

  /**
   * Returns a view for one incarnation of a process; `crash()` revokes it. `defer` models the
   * latency of `syncAsync`: the view hands it the sync's completion, to run later (the cluster
   * passes the node's clock, so a crash drops it); without one a view syncs at once.
   */
  open(defer: SyncDeferral | null = null): Disk {
    const view = new SimDiskView(this, defer);
    this.views.push(view);
    return view;
  }

  /**
   * Calls `onCrash` right after the mutating call that brings the count to `mutationCount` (counted
   * from the disk's creation, see `stats.mutations`). Replaces an earlier arm.
   */
  crashAfterMutations(mutationCount: number, onCrash: () => void): void {
    assert(mutationCount > this.stats.mutations, "the crash point must be in the future");
    this.crashArm = { atMutation: mutationCount, onCrash };
  }

  exists(path: string): boolean {
    if (this.visibleEntries.has(path)) return true; // Names of existing files were checked on creation.
    assertPath(path);
    return false;
  }

  size(path: string): number {
    return this.inode(path).visible.length;
  }

  read(path: string, offset: number, length: number): Uint8Array {
    assert(Number.isSafeInteger(offset) && offset >= 0, `bad read offset ${offset}`);
    assert(Number.isSafeInteger(length) && length >= 0, `bad read length ${length}`);
    const bytes = this.inode(path).visible.read(offset, length);
    this.stats.reads += 1;
    if (bytes.byteLength > 0 && this.prng.chance(this.faults.readCorruptionProbability)) {
      const bit = this.prng.below(bytes.byteLength * 8);
      bytes[bit >>> 3] = bytes[bit >>> 3]! ^ (1 << (bit & 7));
      this.stats.readsCorrupted += 1;
    }
    return bytes;
  }

  write(path: string, offset: number, bytes: Uint8Array): void {
    assert(Number.isSafeInteger(offset) && offset >= 0, `bad write offset ${offset}`);
    let inode = this.visibleEntries.get(path);
    if (inode === undefined) inode = this.create(path);
    // The caller owns `bytes`: keep a copy, since the unsynced op may be replayed after a crash.
    inode.record({ kind: "write", offset, bytes: bytes.slice() });
    this.stats.writes += 1;
    this.mutated();
  }

  truncate(path: string, length: number): void {
    assert(Number.isSafeInteger(length) && length >= 0, `bad truncate length ${length}`);
    this.inode(path).record({ kind: "truncate", length });
    this.stats.truncates += 1;
    this.mutated();
  }

  sync(path: string): void {
    this.inode(path).sync();
    this.stats.syncs += 1;
    this.mutated();
  }

  /** Syncs at once and calls `done` before returning (views add latency, see `open`). */
  syncAsync(path: string, done: (error: Error | null) => void): void {
    this.sync(path);
    done(null);
  }

  rename(fromPath: string, toPath: string): void {
    assertPath(toPath);
    const inode = this.inode(fromPath);
    if (fromPath !== toPath) {
      const op: EntryOp = { kind: "rename", fromPath, toPath, inode };
      applyEntry(this.visibleEntries, op);
      this.pendingEntries.push(op);
    }
    this.stats.renames += 1;
    this.mutated();
  }

  remove(path: string): void {
    assertPath(path);
    if (this.visibleEntries.has(path)) {
      const op: EntryOp = { kind: "unlink", path };
      applyEntry(this.visibleEntries, op);
      this.pendingEntries.push(op);
    }
    this.stats.removes += 1;
    this.mutated();
  }

  list(folder: string): string[] {
    if (folder !== "") assertPath(folder);
    const prefix = folder === "" ? "" : `${folder}/`;
    const names = new Set<string>();
    for (const path of this.visibleEntries.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf("/");
      names.add(slash < 0 ? rest : rest.slice(0, slash)); // Folders are listed by name, like readdir.
    }
    return [...names].sort();
  }

  syncDirectory(folder: string): void {
    if (folder !== "") assertPath(folder);
    let last = -1;
    for (let i = 0; i < this.pendingEntries.length; i++) {
      if (entryTouches(this.pendingEntries[i]!, folder)) last = i;
    }
    this.commitEntries(last + 1);
    this.stats.directorySyncs += 1;
    this.mutated();
  }

  /** Whether every visible byte and entry is durable (nothing a crash could lose). */
  get isClean(): boolean {
    if (this.pendingEntries.length > 0) return false;
    for (const inode of this.visibleEntries.values()) if (inode.unsynced.length > 0) return false;
    return true;
  }

  /**
   * Simulates a power loss: unsynced state survives, vanishes or tears as the module comment says,
   * and every view handed out so far is revoked. The disk is usable again at once.
   */
  crash(): SimDiskCrashReport {
    for (const view of this.views) view.revoke();
    this.views = [];
    this.crashArm = null;
    const entriesKept = this.prng.intBetween(0, this.pendingEntries.length);
    const entriesLost = this.pendingEntries.length - entriesKept;
    this.commitEntries(entriesKept);
    this.pendingEntries = [];
    const counts = { opsKept: 0, opsLost: 0, writesTorn: 0 };
    const survivors = new Set<Inode>(this.durableEntries.values());
    // Inodes in path order, so the Prng draws do not depend on Map insertion history.
    for (const path of [...this.durableEntries.keys()].sort()) {
      const inode = this.durableEntries.get(path)!;
      if (!survivors.delete(inode)) continue; // Already handled under another name.
      this.crashInode(inode, counts);
    }
    this.visibleEntries = new Map(this.durableEntries);
    this.stats.crashes += 1;
    assert(this.isClean, "a crashed disk has nothing unsynced");
    return { ...counts, entriesKept, entriesLost };
  }

  private crashInode(inode: Inode, counts: { opsKept: number; opsLost: number; writesTorn: number }): void {
    const ops = inode.unsynced;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (!this.prng.chance(this.faults.unsyncedKeepProbability)) {
        counts.opsLost += 1;
        continue;
      }
      const isLast = i === ops.length - 1;
      if (isLast && op.kind === "write" && op.bytes.byteLength > 0) {
        if (this.prng.chance(this.faults.tornWriteProbability)) {
          const keptBytes = this.prng.below(op.bytes.byteLength);
          inode.durable.write(op.offset, op.bytes.subarray(0, keptBytes));
          counts.writesTorn += 1;
          continue;
        }
      }
      inode.durable.apply(op);
      counts.opsKept += 1;
    }
    inode.unsynced = [];
    inode.visible = FileImage.copyOf(inode.durable);
  }

  private commitEntries(count: number): void {
    assert(count >= 0 && count <= this.pendingEntries.length);
    for (const op of this.pendingEntries.slice(0, count)) applyEntry(this.durableEntries, op);
    this.pendingEntries.splice(0, count);
  }

  private create(path: string): Inode {
    assertPath(path);
    const inode = new Inode();
    const op: EntryOp = { kind: "link", path, inode };
    applyEntry(this.visibleEntries, op);
    this.pendingEntries.push(op);
    return inode;
  }

  private inode(path: string): Inode {
    const inode = this.visibleEntries.get(path);
    if (inode !== undefined) return inode; // Names of existing files were checked on creation.
    assertPath(path);
    assert(false, `no such file "${path}"`);
  }

  private mutated(): void {
    this.stats.mutations += 1;
    const arm = this.crashArm;
    if (arm !== null && this.stats.mutations >= arm.atMutation) {
      this.crashArm = null;
      arm.onCrash();
    }
  }

  private static assertFaults(faults: SimDiskFaults): void {
    for (const probability of [
      faults.unsyncedKeepProbability,
      faults.tornWriteProbability,
      faults.readCorruptionProbability,
    ]) {
      assert(probability >= 0 && probability <= 1, `disk fault probability out of range: ${probability}`);
    }
  }
}

/**
 * One process incarnation's handle on a {@link SimDisk}. Once revoked (the process crashed), its
 * writes are ignored, because a dead process cannot reach the disk; reads still answer, so code
 * still unwinding after the crash point does not trip over missing files.
 */
class SimDiskView implements Disk {
  private revoked = false;

  constructor(
    private readonly disk: SimDisk,
    private readonly defer: SyncDeferral | null,
  ) {}

  revoke(): void {
    this.revoked = true;
  }

  exists(path: string): boolean {
    return this.disk.exists(path);
  }

  size(path: string): number {
    return this.revoked && !this.disk.exists(path) ? 0 : this.disk.size(path);
  }

  read(path: string, offset: number, length: number): Uint8Array {
    return this.revoked && !this.disk.exists(path) ? new Uint8Array(0) : this.disk.read(path, offset, length);
  }

  write(path: string, offset: number, bytes: Uint8Array): void {
    if (!this.revoked) this.disk.write(path, offset, bytes);
  }

  truncate(path: string, length: number): void {
    if (!this.revoked) this.disk.truncate(path, length);
  }

  sync(path: string): void {
    if (!this.revoked) this.disk.sync(path);
  }

  /**
   * The writes become durable when the deferred completion runs, not at the call: a crash before
   * it may lose them, as a crash during a real fdatasync may.
   */
  syncAsync(path: string, done: (error: Error | null) => void): void {
    if (this.revoked) return;
    const complete = (): void => {
      if (this.revoked) return;
      this.disk.sync(path);
      done(null);
    };
    if (this.defer === null) complete();
    else this.defer(complete);
  }

  rename(fromPath: string, toPath: string): void {
    if (!this.revoked) this.disk.rename(fromPath, toPath);
  }

  remove(path: string): void {
    if (!this.revoked) this.disk.remove(path);
  }

  list(folder: string): string[] {
    return this.disk.list(folder);
  }

  syncDirectory(folder: string): void {
    if (!this.revoked) this.disk.syncDirectory(folder);
  }
}
