// Goal: the two-slot hard-state table is a faithful codec and survives a torn write. Property
// (fast-check): any sequence of tables written through HardStateTable reads back, after a reopen,
// as the last one written; and a write cut at any byte (what a crash mid-write leaves) reads back
// as the table written before it, and the next write lands without touching that copy. Method:
// SimDisk, tables of up to 40 groups with random terms, votes and commits.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { crc32 } from "../../src/lib/bytes.js";
import { SimDisk } from "../../src/sim/sim_disk.js";
import type { HardState } from "../../src/storage/hard_state.js";
import { HardStateTable, hardStateTableFileName } from "../../src/storage/hard_state_table.js";
import { type GroupId, groupId, logIndex, nodeId, term } from "../../src/types.js";

const folder = "member/hard_state";
const slotBytes = 8 * 1024;

const hardState: fc.Arbitrary<HardState> = fc.record({
  term: fc.nat(1_000_000).map(term),
  vote: fc.option(fc.stringMatching(/^[a-z0-9-]{1,24}$/).map(nodeId), { nil: null }),
  commit: fc.nat(1_000_000).map(logIndex),
});

const table: fc.Arbitrary<Map<GroupId, HardState>> = fc
  .array(fc.tuple(fc.nat(4_000), hardState), { maxLength: 40 })
  .map((rows) => new Map(rows.map(([group, state]) => [groupId(group), state])));

function reopen(disk: SimDisk): Map<GroupId, HardState> {
  return HardStateTable.open(disk.open(), folder, slotBytes, crc32).states;
}

describe("HardStateTable", () => {
  it("reads back the last table written, after any sequence of writes", () => {
    fc.assert(
      fc.property(fc.array(table, { minLength: 1, maxLength: 6 }), (tables) => {
        const disk = new SimDisk(Prng.fromSeed(1));
        const { table: opened } = HardStateTable.open(disk.open(), folder, slotBytes, crc32);
        for (const written of tables) opened.write(written);
        expect(reopen(disk)).toEqual(tables[tables.length - 1]);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the previous table when a write is cut at any byte, and writes around it", () => {
    fc.assert(
      fc.property(table, table, table, fc.nat(), (first, second, third, cutSeed) => {
        const disk = new SimDisk(Prng.fromSeed(2));
        const path = `${folder}/${hardStateTableFileName}`;
        const { table: opened } = HardStateTable.open(disk.open(), folder, slotBytes, crc32);
        opened.write(first);
        const before = disk.size(path);
        opened.write(second); // Lands in slot 1.
        // Cut slot 1's copy short, as a crash in the middle of its write would.
        const written = disk.size(path) - slotBytes;
        disk.truncate(path, slotBytes + (cutSeed % written));
        disk.sync(path);
        expect(disk.size(path)).toBeGreaterThanOrEqual(before);
        expect(reopen(disk)).toEqual(first);
        const { table: again } = HardStateTable.open(disk.open(), folder, slotBytes, crc32);
        again.write(third);
        expect(reopen(disk)).toEqual(third);
      }),
      { numRuns: 300 },
    );
  });
});
