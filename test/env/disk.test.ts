// Goal: NodeDisk (real files) and the simulator's SimDisk behave the same to a running process, so
// that storage tested over SimDisk means the same thing on NodeDisk. Method: the shared contract
// suite (disk_contract.ts) run against NodeDisk in a fresh temporary folder per test, against
// SimDisk itself, and against a SimDisk view (what a simulated process holds); plus NodeDisk's own
// descriptor cache and path checks.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AssertionError } from "../../src/lib/assert.js";
import { Prng } from "../../src/lib/prng.js";
import { NodeDisk } from "../../src/platform/node/node_disk.js";
import { SimDisk } from "../../src/sim/sim_disk.js";
import { diskContract } from "./disk_contract.js";

function nodeDiskFactory(descriptorsOpenMax: number) {
  return () => {
    const root = mkdtempSync(join(tmpdir(), "shoal-disk-"));
    const disk = new NodeDisk({ root, descriptorsOpenMax });
    return {
      disk,
      dispose: () => {
        disk.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
  };
}

diskContract("NodeDisk", nodeDiskFactory(16));
diskContract("NodeDisk with a one-descriptor cache", nodeDiskFactory(1));
diskContract("SimDisk", () => ({ disk: new SimDisk(Prng.fromSeed(1)), dispose: () => {} }));
diskContract("SimDisk view", () => ({ disk: new SimDisk(Prng.fromSeed(2)).open(), dispose: () => {} }));

describe("NodeDisk", () => {
  it("keeps at most descriptorsOpenMax files open and reopens evicted ones on demand", () => {
    const { disk, dispose } = nodeDiskFactory(2)();
    try {
      for (let i = 0; i < 10; i++) disk.write(`f${i}`, 0, Uint8Array.of(i));
      for (let i = 0; i < 10; i++) disk.sync(`f${i}`);
      for (let i = 0; i < 10; i++) expect(disk.read(`f${i}`, 0, 1)).toEqual(Uint8Array.of(i));
    } finally {
      dispose();
    }
  });

  it("refuses paths that leave its root", () => {
    const { disk, dispose } = nodeDiskFactory(2)();
    try {
      expect(() => disk.write("/etc/passwd", 0, Uint8Array.of(1))).toThrow(AssertionError);
      expect(() => disk.read("../outside", 0, 1)).toThrow(AssertionError);
    } finally {
      dispose();
    }
  });
});
