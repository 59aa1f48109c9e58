// The Disk contract suite (automerge-repo's adapter-suite pattern): one set of behaviours every
// env Disk implementation must show, run against each of them by disk.test.ts. Durability on a
// crash is the simulator's business and is tested there; this suite pins down what a running
// process sees.

import { describe, expect, it } from "vitest";
import type { Disk } from "../../src/env/disk.js";

/** Creates a fresh, empty disk and a function that disposes of it. */
export type DiskFactory = () => { readonly disk: Disk; readonly dispose: () => void };

const bytes = (...values: number[]) => Uint8Array.from(values);

/** Registers the contract's tests for the implementation `name`. */
export function diskContract(name: string, factory: DiskFactory): void {
  describe(`Disk contract: ${name}`, () => {
    const withDisk = (body: (disk: Disk) => void) => () => {
      const { disk, dispose } = factory();
      try {
        body(disk);
      } finally {
        dispose();
      }
    };

    it(
      "makes a write visible at once, creating the file and its folders",
      withDisk((disk) => {
        expect(disk.exists("a/b/file.bin")).toBe(false);
        disk.write("a/b/file.bin", 0, bytes(1, 2, 3));
        expect(disk.exists("a/b/file.bin")).toBe(true);
        expect(disk.size("a/b/file.bin")).toBe(3);
        expect(disk.read("a/b/file.bin", 0, 3)).toEqual(bytes(1, 2, 3));
      }),
    );

    it(
      "reads short at the end of a file and empty past it",
      withDisk((disk) => {
        disk.write("f", 0, bytes(1, 2, 3, 4));
        expect(disk.read("f", 2, 10)).toEqual(bytes(3, 4));
        expect(disk.read("f", 4, 10)).toEqual(bytes());
        expect(disk.read("f", 100, 10)).toEqual(bytes());
      }),
    );

    it(
      "writes at an offset, overwriting in place and filling a gap with zeros",
      withDisk((disk) => {
        disk.write("f", 0, bytes(1, 1, 1, 1));
        disk.write("f", 2, bytes(9));
        disk.write("f", 6, bytes(7));
        expect(disk.read("f", 0, 16)).toEqual(bytes(1, 1, 9, 1, 0, 0, 7));
      }),
    );

    it(
      "copies on write and on read: neither side's buffer is shared",
      withDisk((disk) => {
        const source = bytes(5, 6, 7);
        disk.write("f", 0, source);
        source.fill(0);
        const first = disk.read("f", 0, 3);
        first.fill(1);
        expect(disk.read("f", 0, 3)).toEqual(bytes(5, 6, 7));
      }),
    );

    it(
      "truncates down and grows with zeros",
      withDisk((disk) => {
        disk.write("f", 0, bytes(1, 2, 3, 4, 5));
        disk.truncate("f", 2);
        expect(disk.size("f")).toBe(2);
        disk.truncate("f", 6);
        expect(disk.read("f", 0, 10)).toEqual(bytes(1, 2, 0, 0, 0, 0));
      }),
    );

    it(
      "renames atomically, replacing the target",
      withDisk((disk) => {
        disk.write("d/old", 0, bytes(1, 2, 3));
        disk.write("d/new", 0, bytes(9, 9, 9, 9, 9));
        disk.sync("d/old");
        disk.rename("d/old", "d/new");
        disk.syncDirectory("d");
        expect(disk.exists("d/old")).toBe(false);
        expect(disk.read("d/new", 0, 10)).toEqual(bytes(1, 2, 3));
        disk.write("d/new", 3, bytes(4)); // The renamed file stays writable under its new name.
        expect(disk.read("d/new", 0, 10)).toEqual(bytes(1, 2, 3, 4));
      }),
    );

    it(
      "removes a file, and removing a missing one is harmless",
      withDisk((disk) => {
        disk.write("d/f", 0, bytes(1));
        disk.remove("d/f");
        expect(disk.exists("d/f")).toBe(false);
        disk.remove("d/f");
        disk.remove("d/never");
        expect(disk.list("d")).toEqual([]);
      }),
    );

    it(
      "lists the names directly inside a folder, sorted, subfolders by name",
      withDisk((disk) => {
        for (const name of ["c", "a", "b"]) disk.write(`top/${name}`, 0, bytes(1));
        disk.write("top/sub/deep", 0, bytes(1));
        expect(disk.list("top")).toEqual(["a", "b", "c", "sub"]);
        expect(disk.list("top/sub")).toEqual(["deep"]);
        expect(disk.list("nowhere")).toEqual([]);
      }),
    );

    it(
      "keeps contents across sync and syncDirectory",
      withDisk((disk) => {
        disk.write("d/f", 0, bytes(4, 5));
        disk.sync("d/f");
        disk.syncDirectory("d");
        disk.write("d/f", 2, bytes(6));
        disk.sync("d/f");
        expect(disk.read("d/f", 0, 3)).toEqual(bytes(4, 5, 6));
        expect(disk.size("d/f")).toBe(3);
      }),
    );

    it(
      "treats a folder as no file",
      withDisk((disk) => {
        disk.write("x/y/z", 0, bytes(1));
        expect(disk.exists("x/y")).toBe(false);
      }),
    );
  });
}
