// Goal: SimDisk keeps the durability contract of env/disk.ts and loses everything the contract lets
// it lose. Method: write, sync, rename and crash in small scripts and compare the surviving bytes
// with what the contract allows; repeat crashes over many Prng seeds so every branch of the crash
// model (kept, lost, torn; entry prefix) is taken.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { SimDisk, type SimDiskFaults, simDiskFaultsDefault } from "../../src/sim/sim_disk.js";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (value: Uint8Array): string => new TextDecoder().decode(value);

function disk(seed = 1, faults: Partial<SimDiskFaults> = {}): SimDisk {
  return new SimDisk(Prng.fromSeed(seed), { ...simDiskFaultsDefault(), ...faults });
}

function readAll(target: SimDisk, path: string): string {
  return decode(target.read(path, 0, target.size(path)));
}

describe("SimDisk", () => {
  it("makes writes visible at once, before any sync", () => {
    const target = disk();
    target.write("wal/0001", 0, text("hello"));
    target.write("wal/0001", 5, text(" world"));
    expect(target.exists("wal/0001")).toBe(true);
    expect(readAll(target, "wal/0001")).toBe("hello world");
    expect(target.list("wal")).toEqual(["0001"]);
    expect(target.list("")).toEqual(["wal"]);
    expect(target.isClean).toBe(false);
  });

  it("fills a hole with zeros and reads short at the end", () => {
    const target = disk();
    target.write("f", 4, bytes(9));
    expect([...target.read("f", 0, 100)]).toEqual([0, 0, 0, 0, 9]);
    expect(target.read("f", 10, 4).byteLength).toBe(0);
    target.truncate("f", 2);
    expect(target.size("f")).toBe(2);
    target.truncate("f", 3);
    expect([...target.read("f", 0, 3)]).toEqual([0, 0, 0]);
  });

  it("does not alias the caller's buffer", () => {
    const target = disk();
    const buffer = text("abc");
    target.write("f", 0, buffer);
    buffer[0] = 0x7a;
    const read = target.read("f", 0, 3);
    read[1] = 0x7a;
    expect(readAll(target, "f")).toBe("abc");
  });

  it("keeps synced content and synced entries across a crash, whatever the draws", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const target = disk(seed, { unsyncedKeepProbability: 0.5 });
      target.write("data/a", 0, text("durable"));
      target.sync("data/a");
      target.syncDirectory("data");
      target.write("data/a", 7, text("-extra"));
      target.crash();
      expect(target.exists("data/a")).toBe(true);
      expect(readAll(target, "data/a").startsWith("durable")).toBe(true);
      expect(target.isClean).toBe(true);
    }
  });

  it("loses every unsynced write when the keep probability is zero", () => {
    const target = disk(3, { unsyncedKeepProbability: 0 });
    target.write("f", 0, text("synced"));
    target.sync("f");
    target.syncDirectory("");
    target.write("f", 0, text("SYNCED-AND-MORE"));
    target.truncate("f", 3);
    const report = target.crash();
    expect(readAll(target, "f")).toBe("synced");
    expect(report.opsLost).toBe(2);
    expect(report.opsKept).toBe(0);
  });

  it("loses a created file whose folder was never synced, even if the file was synced", () => {
    const target = disk(5, { unsyncedKeepProbability: 1 });
    target.write("a/new", 0, text("content"));
    target.sync("a/new");
    // A sync of the file makes its bytes durable, not its name; a crash may drop the unsynced
    // entry. Over many seeds both outcomes occur.
    const outcomes = new Set<boolean>();
    for (let seed = 1; seed <= 40; seed++) {
      const each = disk(seed, { unsyncedKeepProbability: 1 });
      each.write("a/new", 0, text("content"));
      each.sync("a/new");
      each.crash();
      outcomes.add(each.exists("a/new"));
      if (each.exists("a/new")) expect(readAll(each, "a/new")).toBe("content");
    }
    expect(outcomes).toEqual(new Set([true, false]));
    target.syncDirectory("a");
    target.crash();
    expect(readAll(target, "a/new")).toBe("content");
  });

  it("tears the last unsynced write at a byte boundary, keeping a prefix", () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const target = disk(seed, { unsyncedKeepProbability: 1, tornWriteProbability: 1 });
      target.write("log", 0, text("base"));
      target.sync("log");
      target.syncDirectory("");
      target.write("log", 4, text("0123456789"));
      const report = target.crash();
      expect(report.writesTorn).toBe(1);
      const survived = readAll(target, "log");
      expect("base0123456789".startsWith(survived)).toBe(true);
      expect(survived.length).toBeLessThan(14);
      seen.add(survived.length);
    }
    // Tears land at many boundaries, including the very first byte.
    expect(seen.size).toBeGreaterThan(5);
    expect(seen.has(4)).toBe(true);
  });

  it("makes a rename durable only after syncDirectory, and atomically", () => {
    const names = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const target = disk(seed);
      target.write("snap.tmp", 0, text("new"));
      target.sync("snap.tmp");
      target.write("snap", 0, text("old"));
      target.sync("snap");
      target.syncDirectory("");
      target.rename("snap.tmp", "snap");
      expect(readAll(target, "snap")).toBe("new");
      target.crash();
      // Old name and old content, or new name with new content: never neither, never both.
      const state = target.list("").join(",") + "=" + readAll(target, "snap");
      expect(["snap,snap.tmp=old", "snap=new"]).toContain(state);
      names.add(state);
    }
    expect(names.size).toBe(2);
    const target = disk(9);
    target.write("x.tmp", 0, text("v"));
    target.sync("x.tmp");
    target.rename("x.tmp", "x");
    target.syncDirectory("");
    target.crash();
    expect(target.list("")).toEqual(["x"]);
  });

  it("keeps a removal pending until syncDirectory", () => {
    const outcomes = new Set<boolean>();
    for (let seed = 1; seed <= 40; seed++) {
      const target = disk(seed);
      target.write("d/f", 0, text("x"));
      target.sync("d/f");
      target.syncDirectory("d");
      target.remove("d/f");
      expect(target.exists("d/f")).toBe(false);
      target.crash();
      outcomes.add(target.exists("d/f"));
    }
    expect(outcomes).toEqual(new Set([true, false]));
  });

  it("flips exactly one bit of a read when corruption is on", () => {
    const target = disk(11, { readCorruptionProbability: 1 });
    const original = text("checksummed payload");
    target.write("f", 0, original);
    const read = target.read("f", 0, original.byteLength);
    let flippedBits = 0;
    for (let i = 0; i < read.byteLength; i++) {
      let difference = read[i]! ^ original[i]!;
      while (difference !== 0) {
        flippedBits += difference & 1;
        difference >>>= 1;
      }
    }
    expect(flippedBits).toBe(1);
    expect(target.stats.readsCorrupted).toBe(1);
    target.setFaults(simDiskFaultsDefault());
    expect(decode(target.read("f", 0, original.byteLength))).toBe("checksummed payload");
  });

  it("counts mutating calls and calls back after the k-th one", () => {
    const target = disk();
    let crashedAt = -1;
    target.crashAfterMutations(3, () => {
      crashedAt = target.stats.mutations;
      target.crash();
    });
    target.write("f", 0, text("a")); // 1
    target.sync("f"); // 2
    expect(crashedAt).toBe(-1);
    target.syncDirectory(""); // 3
    expect(crashedAt).toBe(3);
    expect(target.stats.crashes).toBe(1);
    expect(target.stats.writes).toBe(1);
    expect(target.stats.syncs).toBe(1);
    expect(target.stats.directorySyncs).toBe(1);
  });

  it("revokes the views of a crashed incarnation", () => {
    const target = disk(2, { unsyncedKeepProbability: 1 });
    const first = target.open();
    first.write("f", 0, text("one"));
    first.sync("f");
    first.syncDirectory("");
    target.crash();
    first.write("f", 0, text("zombie"));
    first.remove("f");
    expect(readAll(target, "f")).toBe("one");
    const second = target.open();
    second.write("f", 0, text("two"));
    expect(readAll(target, "f")).toBe("two");
  });

  it("replays the same crash state from the same seed", () => {
    const run = (seed: number): string => {
      const target = disk(seed);
      for (let i = 0; i < 20; i++) {
        target.write(`f${i % 3}`, i * 2, text(`w${i}`));
        if (i % 7 === 0) target.sync(`f${i % 3}`);
      }
      target.syncDirectory("");
      target.crash();
      return target
        .list("")
        .map((name) => `${name}:${readAll(target, name)}`)
        .join("|");
    };
    expect(run(42)).toBe(run(42));
    const variety = new Set(Array.from({ length: 10 }, (_, i) => run(i)));
    expect(variety.size).toBeGreaterThan(3);
  });

  it("rejects bad paths and reads of missing files", () => {
    const target = disk();
    expect(() => target.write("/abs", 0, bytes(1))).toThrow(/bad disk path/);
    expect(() => target.write("a/../b", 0, bytes(1))).toThrow(/bad disk path/);
    expect(() => target.read("missing", 0, 1)).toThrow(/no such file/);
  });
});
