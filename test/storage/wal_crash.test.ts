// Goal (TESTING.md T11): a crash at any point of the WAL's write path never loses an acknowledged
// entry, never brings hard state back, leaves the snapshot old or new (never neither), and torn or
// corrupted tails are cut off, never applied. Method: a 200-call workload with a reference model
// (wal_model.ts) replayed over the simulator's SimDisk, which loses unsynced writes at random and
// tears the last one: (a) exhaustively, crashing after every k-th mutating disk call; (b) randomly,
// over many seeds with random fault rates and a bit flipped in the unsynced tail, half of them
// living on after recovery to append over the cut tail and crash a second time. A failure prints
// the command that replays it. SHOAL_TIER=extended runs ten times as many random seeds and eight
// disk seeds per crash point.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import type { SimDiskFaults } from "../../src/sim/sim_disk.js";
import {
  recoveryCheck,
  type RunOutcome,
  secondLifeCheck,
  workloadGenerate,
  workloadRun,
} from "./wal_model.js";

const isExtended = process.env["SHOAL_TIER"] === "extended";
const replaySeed = process.env["SHOAL_WAL_SEED"];
const tornAlways: SimDiskFaults = {
  unsyncedKeepProbability: 0.5,
  tornWriteProbability: 1,
  readCorruptionProbability: 0,
};

function replayCommand(seed: number, crashAt: number | null): string {
  const crash = crashAt === null ? "" : ` SHOAL_WAL_CRASH_AT=${crashAt}`;
  const tier = isExtended ? "SHOAL_TIER=extended " : "";
  return `${tier}SHOAL_WAL_SEED=${seed}${crash} npx vitest run test/storage/wal_crash.test.ts`;
}

/** Flips one bit among the bytes written but not synced when the crash came (the unsynced tail). */
function tailFlip(outcome: RunOutcome, prng: Prng): void {
  const tail = outcome.tail;
  if (tail === null || !outcome.disk.exists(tail.path)) return;
  const end = Math.min(outcome.disk.size(tail.path), tail.flushedOffset);
  if (end <= tail.syncedOffset) return;
  const offset = tail.syncedOffset + prng.below(end - tail.syncedOffset);
  const byte = outcome.disk.read(tail.path, offset, 1)[0]!;
  outcome.disk.write(tail.path, offset, Uint8Array.of(byte ^ (1 << prng.below(8))));
  outcome.disk.sync(tail.path);
}

describe("WAL crash consistency over SimDisk (T11)", () => {
  it("(a) survives a crash after every mutating disk call of a 200-call workload", () => {
    const seed = replaySeed === undefined ? 11 : Number(replaySeed);
    const workload = workloadGenerate(seed, 200);
    const clean = workloadRun(workload, seed, tornAlways, null);
    const mutations = clean.disk.stats.mutations;
    expect(mutations).toBeGreaterThan(250);
    expect(recoveryCheck(workload, clean)).toBeNull();
    const only = process.env["SHOAL_WAL_CRASH_AT"];
    const crashPoints =
      only === undefined ? Array.from({ length: mutations }, (_, i) => i + 1) : [Number(only)];
    const failures: string[] = [];
    // Each crash point loses and tears a different subset of unsynced writes per disk seed.
    const diskSeedCount = isExtended ? 8 : 1;
    for (const crashAt of crashPoints) {
      for (let diskSeed = 0; diskSeed < diskSeedCount; diskSeed++) {
        const outcome = workloadRun(
          workload,
          seed * 100_003 + crashAt + diskSeed * 7_919,
          tornAlways,
          crashAt,
        );
        expect(outcome.crashed).toBe(true);
        const problem = recoveryCheck(workload, outcome);
        if (problem !== null) failures.push(`${problem}\n  replay: ${replayCommand(seed, crashAt)}`);
      }
    }
    expect(failures.slice(0, 3)).toEqual([]);
  });

  it("(b) survives random crashes with random loss, tears and tail bit flips", () => {
    const runs = replaySeed !== undefined ? 1 : isExtended ? 10_000 : 1_000;
    const failures: string[] = [];
    for (let run = 0; run < runs; run++) {
      const seed = replaySeed === undefined ? 1_000 + run : Number(replaySeed);
      const prng = Prng.fromSeed(seed);
      const workload = workloadGenerate(seed, 40 + prng.below(80));
      const faults: SimDiskFaults = {
        unsyncedKeepProbability: prng.next(),
        tornWriteProbability: prng.next(),
        readCorruptionProbability: 0,
      };
      const total = workloadRun(workload, seed, faults, null).disk.stats.mutations;
      const outcome = workloadRun(workload, seed, faults, 1 + prng.below(total));
      if (prng.chance(0.5)) tailFlip(outcome, prng);
      let problem: string | null;
      try {
        problem = recoveryCheck(workload, outcome);
        // Half the runs live on: append over the cut tail, crash again, recover again.
        if (problem === null && prng.chance(0.5)) problem = secondLifeCheck(outcome.disk, prng);
      } catch (error) {
        problem = `recovery threw ${String(error)}`;
      }
      if (problem !== null) failures.push(`seed ${seed}: ${problem}\n  replay: ${replayCommand(seed, null)}`);
    }
    expect(failures.slice(0, 3)).toEqual([]);
  });
});
