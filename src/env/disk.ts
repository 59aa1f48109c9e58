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
  /** Renames a file atomically, replacing the target. */
  rename(fromPath: string, toPath: string): void;
  /** Removes a file if it exists. */
  remove(path: string): void;
  /** Lists the file names directly inside `folder`, sorted. */
  list(folder: string): string[];
  /** Makes the entries of `folder` (creations, renames, removals) durable (fsync of the folder). */
  syncDirectory(folder: string): void;
}
