/**
 * The only way to persist. Synchronous by design: the fastest durable append on these machines
 * is a positional write plus `fdatasync` on the calling thread (see STACK.md), and a synchronous
 * interface keeps simulated runs deterministic. Group commit amortises the cost.
 *
 * The durability contract, which the simulator enforces on a crash:
 * - `write()` makes bytes visible to later reads at once, but not durable.
 * - `sync(path)` makes every earlier write to that file durable, including its length.
 * - `rename()` and `create`/`remove` of a file are durable only after `syncDirectory()` of its folder.
 * - On a crash, unsynced writes may be lost, kept, or (the last one) torn at any byte boundary.
 * Paths are relative to the disk's root and use `/` as the separator.
 *
 * One call is asynchronous, for group commit without blocking the event loop: `syncAsync(path,
 * done)` makes every write to `path` issued before the call durable (fdatasync on libuv's thread
 * pool), then calls `done`. Until `done` runs nothing is promised about those writes; a process that
 * crashes meanwhile never sees `done`. `done` normally runs on a later turn of the event loop; a
 * simulated disk with no latency may call it before `syncAsync` returns.
 */
export interface Disk {
  /** Whether a file exists. */
  exists(path: string): boolean;
  /** Size in bytes of an existing file. */
  size(path: string): number;
  /** Reads `length` bytes at `offset` (short at the end of the file). */
  read(path: string, offset: number, length: number): Uint8Array;
  /** Writes `bytes` at `offset`, creating the file (and its folders) if needed. */
  write(path: string, offset: number, bytes: Uint8Array): void;
  /** Sets a file's length, growing it with zeros or cutting it. */
  truncate(path: string, length: number): void;
  /** Makes every earlier write to `path` durable (fdatasync). */
  sync(path: string): void;
  /** Starts making every earlier write to `path` durable; `done` runs once they are. */
  syncAsync(path: string, done: (error: Error | null) => void): void;
  /** Renames a file atomically, replacing the target. */
  rename(fromPath: string, toPath: string): void;
  /** Removes a file if it exists. */
  remove(path: string): void;
  /** Lists the file names directly inside `folder`, sorted. */
  list(folder: string): string[];
  /** Makes the entries of `folder` (creations, renames, removals) durable (fsync of the folder). */
  syncDirectory(folder: string): void;
}
