// Goal (TESTING.md T11c): the WAL keeps its promises over real files, not only over the simulated
// disk: a tail cut or overwritten by hand is truncated on reopen and never applied, acknowledged
// entries survive, damage to a segment that is not the last is CorruptError, and a leftover
// temporary file from an interrupted hard-state replacement is ignored, and the per-group hard-state
// files of earlier versions are still read. Method: NodeDisk in a
// fresh temporary folder; the model workload of wal_model.ts stopped at a random call, its
// unsynced tail damaged with node:fs, then reopened and checked against the model.

import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CorruptError } from "../../src/errors.js";
import { Prng } from "../../src/lib/prng.js";
import { NodeDisk } from "../../src/platform/node/node_disk.js";
import { AtomicFileKind, atomicFileWrite } from "../../src/storage/atomic_file.js";
import { hardStateEncode } from "../../src/storage/hard_state.js";
import { Wal } from "../../src/storage/wal.js";
import { crc32 } from "../../src/lib/bytes.js";
import { groupId, logIndex, term } from "../../src/types.js";
import { crashConfig, recoveryCheckOn, workloadGenerate, workloadRunPrefix } from "./wal_model.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "shoal-wal-"));
  roots.push(root);
  return root;
}

function overwrite(file: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.byteLength, offset);
  } finally {
    closeSync(fd);
  }
}

describe("WAL over real files", () => {
  it("recovers after its unsynced tail is cut or overwritten by hand (random runs)", () => {
    const failures: string[] = [];
    let damaged = 0;
    for (let run = 0; run < 16; run++) {
      const prng = Prng.fromSeed(500 + run);
      const workload = workloadGenerate(500 + run, 120);
      const root = freshRoot();
      const disk = new NodeDisk({ root, descriptorsOpenMax: 8 });
      const stop = workloadRunPrefix(workload, disk, 20 + prng.below(100));
      disk.close();
      const file = join(root, stop.path);
      // Everything from the synced extent on is unacknowledged: unsynced records, or preallocated
      // zeros where a torn write could have left garbage.
      const unsyncedBytes = Math.max(stop.flushedOffset - stop.syncedOffset, 256);
      if (stop.syncedOffset + unsyncedBytes <= crashConfig.segmentBytes) {
        damaged += 1;
        const offset = stop.syncedOffset + prng.below(unsyncedBytes);
        if (run % 2 === 0) truncateSync(file, offset);
        else
          overwrite(
            file,
            offset,
            Uint8Array.from({ length: 1 + prng.below(64) }, () => prng.below(256)),
          );
      }
      const reopened = new NodeDisk({ root, descriptorsOpenMax: 8 });
      const problem = recoveryCheckOn(workload, reopened, stop);
      reopened.close();
      if (problem !== null) failures.push(`run ${run}: ${problem}`);
    }
    expect(failures).toEqual([]);
    expect(damaged).toBeGreaterThan(12); // Nearly every run damages its tail.
  });

  it("refuses a damaged segment that is not the last", () => {
    const root = freshRoot();
    const disk = new NodeDisk({ root, descriptorsOpenMax: 8 });
    const { wal } = Wal.open(disk, crashConfig);
    for (let i = 1; i <= 200; i++) {
      wal.append(groupId(1), [{ index: logIndex(i), term: term(1), payload: new Uint8Array(40).fill(i) }]);
      if (i % 10 === 0) wal.sync();
    }
    expect(wal.segmentCount).toBeGreaterThan(2);
    disk.close();
    overwrite(join(root, crashConfig.folder, "wal", "0000000000000001.wal"), 100, Uint8Array.of(0xff, 0xee));
    expect(() => Wal.open(new NodeDisk({ root, descriptorsOpenMax: 8 }), crashConfig)).toThrow(CorruptError);
  });

  it("reads the per-group hard-state files of earlier versions, ignoring a leftover temporary file", () => {
    const root = freshRoot();
    const disk = new NodeDisk({ root, descriptorsOpenMax: 8 });
    const { wal } = Wal.open(disk, crashConfig);
    wal.append(groupId(2), [{ index: logIndex(1), term: term(4), payload: Uint8Array.of(1) }]);
    wal.sync();
    wal.close();
    // What a version before the hard-state table wrote for group 2, and a replacement cut short.
    const folder = `${crashConfig.folder}/hard_state`;
    const legacy = hardStateEncode({ term: term(4), vote: null, commit: logIndex(1) });
    atomicFileWrite(disk, folder, "0000000002.bin", AtomicFileKind.HardState, legacy, crc32);
    disk.close();
    writeFileSync(join(root, folder, "0000000002.bin.tmp"), Uint8Array.of(1, 2, 3, 4, 5));
    const reopened = new NodeDisk({ root, descriptorsOpenMax: 8 });
    const { recovery, wal: again } = Wal.open(reopened, crashConfig);
    expect(recovery.groups[0]?.hardState).toEqual({ term: 4, vote: null, commit: 1 });
    expect(reopened.list(folder)).toEqual(["0000000002.bin", "table.bin"]);
    // The table supersedes the old file from its first write on.
    again.saveHardState(groupId(2), { term: term(5), vote: null, commit: logIndex(1) });
    again.close();
    expect(Wal.open(reopened, crashConfig).recovery.groups[0]?.hardState).toEqual({
      term: 5,
      vote: null,
      commit: 1,
    });
    reopened.close();
  });
});
