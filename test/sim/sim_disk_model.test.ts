// Goal: SimDisk agrees with a tiny reference model of the Disk contract on random operation
// sequences: reads always see every write (holes read as zeros, truncates cut or extend, renames
// replace their target and carry the file's content), and a crash after a directory sync keeps
// exactly the synced content when unsynced writes are always lost, and exactly the visible content
// when they are always kept. Method: fast-check runs sequences of writes, truncates, syncs, renames
// and removes over three names against SimDisk and the model (files as objects moved by rename).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { SimDisk } from "../../src/sim/sim_disk.js";

type Op =
  | { readonly kind: "write"; readonly path: string; readonly offset: number; readonly bytes: number[] }
  | { readonly kind: "truncate"; readonly path: string; readonly length: number }
  | { readonly kind: "sync"; readonly path: string }
  | { readonly kind: "rename"; readonly path: string; readonly target: string }
  | { readonly kind: "remove"; readonly path: string };

/** A file of the model: its visible bytes and the bytes at its last sync. */
interface ModelFile {
  visible: number[];
  synced: number[];
}

const pathArbitrary = fc.constantFrom("a", "b", "d/c");
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("write" as const),
    path: pathArbitrary,
    offset: fc.integer({ min: 0, max: 24 }),
    bytes: fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant("truncate" as const),
    path: pathArbitrary,
    length: fc.integer({ min: 0, max: 30 }),
  }),
  fc.record({ kind: fc.constant("sync" as const), path: pathArbitrary }),
  fc.record({ kind: fc.constant("rename" as const), path: pathArbitrary, target: pathArbitrary }),
  fc.record({ kind: fc.constant("remove" as const), path: pathArbitrary }),
);

function writeInto(target: number[], offset: number, bytes: readonly number[]): void {
  while (target.length < offset) target.push(0);
  for (let i = 0; i < bytes.length; i++) target[offset + i] = bytes[i]!;
}

/** Applies `op` to both the disk and the model; ops on missing files are skipped in both. */
function apply(disk: SimDisk, model: Map<string, ModelFile>, op: Op): void {
  const file = model.get(op.path);
  switch (op.kind) {
    case "write": {
      disk.write(op.path, op.offset, Uint8Array.from(op.bytes));
      const target = file ?? { visible: [], synced: [] };
      writeInto(target.visible, op.offset, op.bytes);
      model.set(op.path, target);
      return;
    }
    case "truncate":
      if (file === undefined) return;
      disk.truncate(op.path, op.length);
      while (file.visible.length < op.length) file.visible.push(0);
      file.visible.length = op.length;
      return;
    case "sync":
      if (file === undefined) return;
      disk.sync(op.path);
      file.synced = [...file.visible];
      return;
    case "rename":
      if (file === undefined) return;
      disk.rename(op.path, op.target);
      model.delete(op.path);
      model.set(op.target, file);
      return;
    case "remove":
      disk.remove(op.path);
      model.delete(op.path);
      return;
  }
}

function contents(disk: SimDisk): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const path of ["a", "b", "d/c"])
    if (disk.exists(path)) out[path] = [...disk.read(path, 0, disk.size(path))];
  return out;
}

function modelContents(model: Map<string, ModelFile>, image: "visible" | "synced"): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const path of [...model.keys()].sort()) out[path] = [...model.get(path)![image]];
  return out;
}

describe("SimDisk against a reference model", () => {
  it("shows every write to reads, whatever the sequence", () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 40 }), (ops) => {
        const disk = new SimDisk(Prng.fromSeed(1));
        const model = new Map<string, ModelFile>();
        for (const op of ops) {
          apply(disk, model, op);
          expect(contents(disk)).toEqual(modelContents(model, "visible"));
        }
        expect(disk.list("")).toEqual(
          [...new Set([...model.keys()].map((path) => path.split("/")[0]!))].sort(),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("keeps exactly the synced bytes when unsynced writes are lost, and everything when kept", () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 40 }), fc.boolean(), (ops, keep) => {
        const disk = new SimDisk(Prng.fromSeed(2), {
          unsyncedKeepProbability: keep ? 1 : 0,
          tornWriteProbability: 0,
          readCorruptionProbability: 0,
        });
        const model = new Map<string, ModelFile>();
        for (const op of ops) apply(disk, model, op);
        disk.syncDirectory("");
        disk.syncDirectory("d");
        disk.crash();
        expect(contents(disk)).toEqual(modelContents(model, keep ? "visible" : "synced"));
      }),
      { numRuns: 300 },
    );
  });
});
