// Goal: prove the Raft simulation can fail (T7): each known-bug mutant must be caught within 500
// seeds. Method: run the raft-kv workload with the mutant switched on (the flag reaches the pure
// core through its config, or the session table for M8) and a fault mix aimed at the hazard, seed
// after seed, until a seed fails with a safety finding (election or state-machine safety,
// exactly-once, real-time order, an illegal history, or a core assertion); liveness or
// non-vacuity failures do not count as a catch. Seeds-to-first-failure is printed for the report.
// M5 (an old-term entry committed by counting its replicas, Raft Figure 8) needs the interleaving
// steered by the `figure8` fault (src/sim/workloads/raft/figure8.ts); the same profile without the
// mutant must pass a few hundred seeds and must really reach the overwrite phase.
// M6 (keep a conflicting tail after InstallSnapshot) is caught by a hand-driven scenario (the
// interpreter of the golden scripts, whose invariant checks throw on a safety breach): the run of
// testdata/h7_snapshot_conflict_after_index.txt, stepped so that a heartbeat carries the commit
// index before the leader's next append could repair the follower's log.

import { describe, expect, it } from "vitest";
import { Trace } from "../../src/sim/trace.js";
import { raftKvWorkload } from "../../src/sim/workloads/raft_kv.js";
import { type Command, InteractionEnv } from "./interaction_env.js";

const seedBudget = 500;
const safetyFinding = /safety|exactly-once|real-time|illegal|AssertionError/;

/** The Figure 8 profile: 5 voters, one entry per append message, the steered nemesis only. */
const figure8Params = { voters: "5", learners: "0", "append-bytes": "1", "safety-ms": "2500" } as const;
const figure8CleanSeeds = 250;

function replayCommand(
  seed: number,
  faults: readonly string[],
  params: Readonly<Record<string, string>>,
): string {
  const flags = Object.entries(params).map(([name, value]) => `--param ${name}=${value}`);
  return `npx tsx src/cli/main.ts sim --workload raft-kv --seed ${seed} --faults ${faults.join(",")} ${flags.join(" ")}`;
}

interface MutantCase {
  readonly mutant: string;
  readonly hazard: string;
  readonly faults: readonly string[] | null;
  readonly params: Readonly<Record<string, string>>;
}

const cases: readonly MutantCase[] = [
  {
    mutant: "M1",
    hazard: "H9 reply/commit before fsync",
    faults: ["crash"],
    params: { "disk-ms": "20", "safety-ms": "2000" },
  },
  {
    mutant: "M5",
    hazard: "H8 commit of an earlier term's entry by counting replicas (Figure 8)",
    faults: ["figure8"],
    params: figure8Params,
  },
  { mutant: "M2", hazard: "H4 ReadIndex before the term's first commit", faults: null, params: {} },
  {
    mutant: "M7",
    hazard: "H6 two uncommitted configuration changes",
    faults: ["membership", "partition"],
    params: { learners: "2", "nemesis-ms": "150", "safety-ms": "2000" },
  },
  { mutant: "M8", hazard: "H10 no client dedupe", faults: null, params: { "safety-ms": "2000" } },
  {
    mutant: "M9",
    hazard: "H9 vote sent before it is durable",
    faults: ["crash", "partition", "loss"],
    params: { "disk-ms": "30", "nemesis-ms": "60", voters: "5", "safety-ms": "2000" },
  },
];

function firstCatch(testCase: MutantCase): { seed: number; finding: string } | null {
  for (let seed = 1; seed <= seedBudget; seed++) {
    const params = { ...testCase.params, mutant: testCase.mutant };
    const result = raftKvWorkload.run({ seed, faults: testCase.faults, trace: new Trace(), params });
    const finding = result.failures.find((failure) => safetyFinding.test(failure));
    if (finding !== undefined) return { seed, finding };
  }
  return null;
}

describe("raft mutants are caught (T7)", () => {
  for (const testCase of cases) {
    it(`${testCase.mutant} (${testCase.hazard}) within ${seedBudget} seeds`, () => {
      const caught = firstCatch(testCase);
      const faults = testCase.faults?.join(",") ?? "swarm";
      const replay =
        caught === null || testCase.faults === null
          ? ""
          : `\n  replay: ${replayCommand(caught.seed, testCase.faults, { ...testCase.params, mutant: testCase.mutant })}`;
      console.log(
        `${testCase.mutant}: ${caught === null ? "NOT caught" : `caught at seed ${caught.seed} (faults ${faults}): ${caught.finding.slice(0, 160)}${replay}`}`,
      );
      expect(caught, `${testCase.mutant} escaped ${seedBudget} seeds`).not.toBeNull();
    });
  }

  it(`the figure8 profile passes without a mutant on ${figure8CleanSeeds} seeds and reaches the overwrite phase`, () => {
    const reached = { episodes: 0, phaseD: 0, overwrites: 0 };
    for (let seed = 1; seed <= figure8CleanSeeds; seed++) {
      const result = raftKvWorkload.run({
        seed,
        faults: ["figure8"],
        trace: new Trace(),
        params: figure8Params,
      });
      expect(
        result.failures,
        `seed ${seed}: ${result.failures.slice(0, 2).join("; ")}\n  replay: ${replayCommand(seed, ["figure8"], figure8Params)}`,
      ).toEqual([]);
      reached.episodes += result.figures["figure8_episodes"] ?? 0;
      reached.phaseD += result.figures["figure8_d"] ?? 0;
      reached.overwrites += result.figures["figure8_overwrites"] ?? 0;
    }
    console.log(`figure8 without a mutant: ${JSON.stringify(reached)} over ${figure8CleanSeeds} seeds`);
    // Non-vacuity: most seeds drive an episode to the point where L2 tries to win back the majority.
    expect(reached.phaseD).toBeGreaterThan(figure8CleanSeeds);
    // A correct leader never leaves the marker committable by L2's side: L2 never wins phase d.
    expect(reached.overwrites).toBe(0);
  });

  it("M6 (H7 conflicting entry kept after InstallSnapshot) breaks state-machine safety; the correct core does not", () => {
    const run = (mutant: boolean) => {
      const env = new InteractionEnv();
      const outputs: string[] = [];
      const head = `add-nodes 3 pre-vote=false check-quorum=false${mutant ? " mutant=keepConflictAfterSnapshot" : ""}`;
      for (const line of [head, ...m6Steps]) outputs.push(env.run(command(line)));
      return outputs.join("\n");
    };
    expect(() => run(true)).toThrow(/state machine safety: index 4 is 4\/2 "b" and 4\/1 "lost-c"/);
    const clean = run(false);
    expect(clean).toContain('3: snapshot 3/2; 4/2 "b", 5/2 "c"');
    expect(clean).not.toMatch(/committed: [^\n]*lost-c/);
  });
});

/**
 * 3 led term 1 and kept "lost-a..c" (2/1..4/1) to itself; 1 leads term 2, commits 2/2..5/2 with 2
 * and compacts to 3; 3 gets the snapshot 3/2, acknowledges, and the leader's next append to it is
 * lost, so the following heartbeat (commit = min(match, commit)) is what 3 hears next: with M6,
 * 3 acknowledged its kept 4/1 as index 4 and commits it; without, it acknowledged 3 and commits 3.
 */
const m6Steps = [
  "campaign 3",
  "stabilize",
  "propose 3 lost-a",
  "propose 3 lost-b",
  "propose 3 lost-c",
  "process-ready 3",
  "deliver-msgs drop=3",
  "tick-election 1",
  "tick-election 1",
  "stabilize 1 2",
  "propose 1 a",
  "propose 1 b",
  "propose 1 c",
  "stabilize 1 2",
  "deliver-msgs drop=3",
  "compact 1 3",
  "tick-heartbeat 1",
  ...Array.from({ length: 6 }, () => [
    "process-ready 1 2 3",
    "deliver-msgs 1 2",
    "process-ready 3",
    "deliver-msgs 3",
  ]).flat(),
  "deliver-msgs 1",
  "process-ready 1",
  "deliver-msgs 3 drop=3",
  "tick-heartbeat 1",
  "process-ready 1",
  "deliver-msgs 3",
  "process-ready 3",
  "process-ready 3",
  "stabilize",
  "raft-log 3",
];

function command(line: string): Command {
  const [name, ...words] = line.split(" ");
  const options = new Map<string, string>();
  const args: string[] = [];
  for (const word of words) {
    const equals = word.indexOf("=");
    if (equals > 0) options.set(word.slice(0, equals), word.slice(equals + 1));
    else args.push(word);
  }
  return { name: name!, args, options };
}
