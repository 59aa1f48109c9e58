// `shoal sim`: runs simulation workloads by seed, in-process. A range of seeds prints progress (on a
// terminal), one block per failing seed with the exact command that replays it, a line with seeds
// and simulator events per second, and the workload's own summary line last; the exit code is 0
// only when every seed passed. A single seed prints its summary and ends with `trace HASH`, the
// run's trace hash, so anyone can confirm that a replay is exact. Usage errors exit with 2.

import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { historyToJsonl } from "../check/history.js";
import { runSeedsInWorkers, seedPoolJobsMax } from "../sim/seed_pool.js";
import { runSeedOfRange, runSeedOnce, type SeedOutcome, type SeedRunPlan } from "../sim/seed_runner.js";
import { Trace } from "../sim/trace.js";
import type { Workload } from "../sim/workload.js";
import { workloads } from "../sim/workloads.js";

/** The options of `shoal sim`, as commander parses them. */
export interface SimCommandOptions {
  readonly workload?: string;
  readonly seeds?: string;
  readonly seed?: string;
  readonly faults?: string;
  readonly members?: string;
  readonly lifeguard?: string;
  readonly param?: readonly string[];
  readonly trace?: boolean;
  readonly jobs?: string;
  readonly history?: string;
}

/** Where `shoal sim` writes; the CLI binds it to the process, tests to arrays. */
export interface SimCommandOutput {
  /** Writes one line of results to standard output. */
  line(text: string): void;
  /** Writes one line of diagnostics to standard error. */
  error(text: string): void;
  /** Rewrites the progress line (only on a terminal); null when progress is not shown. */
  readonly progress: ((text: string) => void) | null;
  /** Milliseconds on a monotonic clock, for seeds per second. */
  nowMs(): number;
}

/** Most seeds one invocation runs; larger soaks are sharded into several ranges. */
export const simSeedsMax = 10_000_000;

/** Milliseconds between progress line updates. */
const progressIntervalMs = 250;

interface SimPlan {
  readonly workload: Workload;
  readonly seedFirst: number;
  readonly seedLast: number;
  readonly isSingle: boolean;
  readonly faults: readonly string[] | null;
  readonly params: Readonly<Record<string, string>>;
  /** The options after `--seed S` in a replay command, in a fixed order. */
  readonly replayOptions: string;
}

type PlanResult = { readonly plan: SimPlan } | { readonly usage: string };

function parseSeed(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

function parseSeedRange(
  options: SimCommandOptions,
): { first: number; last: number; single: boolean } | string {
  if ((options.seeds === undefined) === (options.seed === undefined))
    return "give exactly one of --seeds A..B and --seed S";
  if (options.seed !== undefined) {
    const seed = parseSeed(options.seed);
    return seed === null
      ? `--seed must be a non-negative integer, got "${options.seed}"`
      : { first: seed, last: seed, single: true };
  }
  const match = /^(\d+)\.\.(\d+)$/.exec(options.seeds ?? "");
  const first = match === null ? null : parseSeed(match[1]!);
  const last = match === null ? null : parseSeed(match[2]!);
  if (first === null || last === null || last < first)
    return `--seeds must be A..B with A <= B, got "${options.seeds}"`;
  if (last - first + 1 > simSeedsMax) return `--seeds covers more than ${simSeedsMax} seeds; shard the range`;
  return { first, last, single: false };
}

function parseParams(
  options: SimCommandOptions,
): { params: Record<string, string>; replay: string[] } | string {
  const params: Record<string, string> = {};
  const replay: string[] = [];
  if (options.members !== undefined) {
    if (parseSeed(options.members) === null)
      return `--members must be a positive integer, got "${options.members}"`;
    params.members = options.members;
    replay.push(`--members ${options.members}`);
  }
  if (options.lifeguard !== undefined) {
    if (options.lifeguard !== "on" && options.lifeguard !== "off") return `--lifeguard must be on or off`;
    params.lifeguard = options.lifeguard;
    replay.push(`--lifeguard ${options.lifeguard}`);
  }
  for (const pair of options.param ?? []) {
    const match = /^([A-Za-z0-9_.-]+)=([^\s]*)$/.exec(pair);
    if (match === null) return `--param takes key=value, got "${pair}"`;
    params[match[1]!] = match[2]!;
    replay.push(`--param ${pair}`);
  }
  return { params, replay };
}

/** Checks the options and resolves the workload, seeds, faults and params. */
export function planSim(options: SimCommandOptions): PlanResult {
  const names = [...workloads.keys()].join(", ");
  if (options.workload === undefined) return { usage: `--workload is required; workloads: ${names}` };
  const workload = workloads.get(options.workload);
  if (workload === undefined) return { usage: `unknown workload "${options.workload}"; workloads: ${names}` };
  const seeds = parseSeedRange(options);
  if (typeof seeds === "string") return { usage: seeds };
  let faults: string[] | null = null;
  if (options.faults !== undefined) {
    // A workload may name faults of its own (raft-kv: membership, figure8), so its list decides.
    const listed = options.faults.split(",").map((name) => name.trim());
    const names = [...new Set(listed.filter((name) => name !== "" && name !== "none"))];
    const unknown = names.find((name) => !workload.faultNames.includes(name));
    if (unknown !== undefined) {
      return {
        usage: `unknown fault "${unknown}"; faults of ${workload.name}: ${workload.faultNames.join(", ")}`,
      };
    }
    faults = names;
  }
  const params = parseParams(options);
  if (typeof params === "string") return { usage: params };
  const replay = [...(faults === null ? [] : [`--faults ${faults.join(",") || "none"}`]), ...params.replay];
  return {
    plan: {
      workload,
      seedFirst: seeds.first,
      seedLast: seeds.last,
      isSingle: seeds.single,
      faults,
      params: params.params,
      replayOptions: replay.join(" "),
    },
  };
}

/** The command that replays `seed` of `plan` exactly. */
export function replayCommand(plan: SimPlan, seed: number): string {
  const options = plan.replayOptions === "" ? "" : ` ${plan.replayOptions}`;
  return `npx tsx src/cli/main.ts sim --workload ${plan.workload.name} --seed ${seed}${options}`;
}

function runSingle(
  plan: SimPlan,
  output: SimCommandOutput,
  printTrace: boolean,
  historyPath: string | null,
): number {
  const trace = new Trace(printTrace ? (line) => output.line(line) : null);
  const result = runSeedOnce(plan.workload, runPlanOf(plan), plan.seedFirst, trace);
  output.line(result.summary);
  for (const failure of result.failures) output.line(`  ${failure.replaceAll("\n", "\n  ")}`);
  const figures = Object.entries(result.figures).map(
    ([name, value]) => `${name}=${Number(value.toFixed(3))}`,
  );
  if (figures.length > 0) output.line(`figures ${figures.join(" ")}`);
  let code = result.ok ? 0 : 1;
  if (historyPath !== null) {
    if (result.history === undefined) {
      output.error(`shoal sim: workload ${plan.workload.name} keeps no history for --history`);
      code = 2;
    } else {
      writeFileSync(historyPath, historyToJsonl(result.history));
      output.line(`history ${result.history.length} events written to ${historyPath}`);
    }
  }
  output.line(result.ok ? "PASS" : "FAIL");
  output.line(`trace ${trace.digest()}`);
  return code;
}

function runPlanOf(plan: SimPlan): SeedRunPlan {
  return {
    workloadName: plan.workload.name,
    faults: plan.faults,
    params: plan.params,
    seedFirst: plan.seedFirst,
  };
}

/** Runs a range of seeds, in this thread or on `jobs` worker threads, and prints the results. */
async function runRange(plan: SimPlan, output: SimCommandOutput, jobs: number): Promise<number> {
  const startMs = output.nowMs();
  const outcomes: SeedOutcome[] = [];
  const seedCount = plan.seedLast - plan.seedFirst + 1;
  let failed = 0;
  let progressMs = startMs;
  const onOutcome = (outcome: SeedOutcome): void => {
    outcomes.push(outcome);
    if (!outcome.result.ok) {
      failed += 1;
      output.line(`FAIL seed ${outcome.seed}: ${outcome.result.summary}`);
      for (const failure of outcome.result.failures) output.line(`  ${failure.split("\n")[0]}`);
      output.line(`  replay: ${replayCommand(plan, outcome.seed)}`);
    }
    const nowMs = output.nowMs();
    if (
      output.progress !== null &&
      (nowMs - progressMs >= progressIntervalMs || outcomes.length === seedCount)
    ) {
      progressMs = nowMs;
      const rate = (outcomes.length * 1000) / Math.max(nowMs - startMs, 1);
      output.progress(`[${outcomes.length}/${seedCount}] ${failed} failed, ${rate.toFixed(1)} seeds/s`);
    }
  };
  const runPlan = runPlanOf(plan);
  if (jobs === 1) {
    for (let seed = plan.seedFirst; seed <= plan.seedLast; seed++)
      onOutcome(runSeedOfRange(plan.workload, runPlan, seed));
  } else {
    const seeds = Array.from({ length: seedCount }, (_, i) => plan.seedFirst + i);
    await runSeedsInWorkers(runPlan, seeds, jobs, onOutcome);
  }
  outcomes.sort((a, b) => a.seed - b.seed);
  const elapsedS = Math.max(output.nowMs() - startMs, 1) / 1000;
  const events = outcomes.reduce((sum, outcome) => sum + outcome.events, 0);
  const rerunCount = outcomes.filter((outcome) => outcome.wasRerun).length;
  output.line(
    `${seedCount} seeds: ${seedCount - failed} passed, ${failed} failed in ${elapsedS.toFixed(2)} s ` +
      `(${(seedCount / elapsedS).toFixed(1)} seeds/s, ${Math.round(events / elapsedS)} simulator events/s; ` +
      `${rerunCount} re-run for determinism)`,
  );
  const results = outcomes.map((outcome) => outcome.result);
  output.line(
    plan.workload.summarize?.(results) ?? `${plan.workload.name}: ${failed} of ${seedCount} seeds failed`,
  );
  return failed === 0 ? 0 : 1;
}

/** Runs `shoal sim` and returns its exit code: 0 all passed, 1 a seed failed, 2 bad usage. */
export async function runSimCommand(options: SimCommandOptions, output: SimCommandOutput): Promise<number> {
  const planned = planSim(options);
  if ("usage" in planned) {
    output.error(`shoal sim: ${planned.usage}`);
    return 2;
  }
  const jobs = options.jobs === undefined ? 1 : Number(options.jobs);
  if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > seedPoolJobsMax) {
    output.error(`shoal sim: --jobs must be an integer in 1..${seedPoolJobsMax}, got "${options.jobs}"`);
    return 2;
  }
  if (planned.plan.isSingle) {
    return runSingle(planned.plan, output, options.trace === true, options.history ?? null);
  }
  if (options.trace === true || options.history !== undefined) {
    output.error("shoal sim: --trace and --history need a single --seed");
    return 2;
  }
  return runRange(planned.plan, output, jobs);
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** Registers `shoal sim`. */
export function registerSimCommand(program: Command): void {
  program
    .command("sim")
    .description("run deterministic simulations of a workload by seed")
    .option("--workload <name>", `workload to run (${[...workloads.keys()].join(", ")})`)
    .option("--seeds <range>", "seeds A..B, both inclusive")
    .option("--seed <seed>", "one seed; ends with the line `trace HASH`")
    .option(
      "--faults <list>",
      "comma-separated faults to switch on (default: drawn per seed; none for no faults)",
    )
    .option("--members <count>", "cluster size, passed to the workload")
    .option("--lifeguard <on|off>", "Lifeguard refinements of SWIM, passed to the workload")
    .option("--param <key=value>", "a workload parameter (repeatable)", collect, [])
    .option("--trace", "print every trace line (single seed only)")
    .option(
      "--history <file>",
      "write the seed's client history as JSONL, for `shoal check` (single seed only)",
    )
    .option("--jobs <count>", "worker threads for a range of seeds (default 1: this thread)")
    .exitOverride((error) => {
      // Help and version exit 0; any usage error exits 2, as documented.
      process.exit(error.exitCode === 0 ? 0 : 2);
    })
    .action(async (options: SimCommandOptions) => {
      const isTty = process.stderr.isTTY === true;
      process.exitCode = await runSimCommand(options, {
        line: (text) => {
          if (isTty) process.stderr.write("\r\u001b[K");
          process.stdout.write(`${text}\n`);
        },
        error: (text) => process.stderr.write(`${text}\n`),
        progress: isTty ? (text) => process.stderr.write(`\r\u001b[K${text}`) : null,
        nowMs: () => performance.now(),
      });
      if (isTty) process.stderr.write("\r\u001b[K");
    });
}
