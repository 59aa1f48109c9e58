// `shoal sim`: runs simulation workloads by seed, in-process. A range of seeds prints progress (on a
// terminal), one block per failing seed with the exact command that replays it, a line with seeds
// and simulator events per second, and the workload's own summary line last; the exit code is 0
// only when every seed passed. A single seed prints its summary and ends with `trace HASH`, the
// run's trace hash, so anyone can confirm that a replay is exact. Usage errors exit with 2.

import type { Command } from "commander";
import { parseFaultList } from "../sim/fault_profile.js";
import { Trace } from "../sim/trace.js";
import type { Workload, WorkloadResult } from "../sim/workload.js";
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

/**
 * Every this-many seeds of a range, starting with the first, is run twice and must give the same
 * trace hash: FoundationDB's determinism check on about 5 % of runs (TESTING.md T12).
 */
export const simDeterminismCheckEvery = 20;

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
    const parsed = parseFaultList(options.faults);
    const unknown =
      "unknown" in parsed ? parsed.unknown : parsed.names.find((name) => !workload.faultNames.includes(name));
    if (unknown !== undefined) {
      return {
        usage: `unknown fault "${unknown}"; faults of ${workload.name}: ${workload.faultNames.join(", ")}`,
      };
    }
    faults = "names" in parsed ? parsed.names : [];
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

function runSeed(plan: SimPlan, seed: number, trace: Trace): WorkloadResult {
  try {
    return plan.workload.run({ seed, faults: plan.faults, trace, params: plan.params });
  } catch (error) {
    // An assertion inside the simulated system is a failed seed, not a crash of the runner.
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    return { ok: false, summary: `${plan.workload.name} seed=${seed} threw`, failures: [text], figures: {} };
  }
}

/** Runs `seed` again and fails it if its trace hash differs from the first run's. */
function checkDeterminism(
  plan: SimPlan,
  seed: number,
  result: WorkloadResult,
  digest: string,
): WorkloadResult {
  const trace = new Trace();
  runSeed(plan, seed, trace);
  if (trace.digest() === digest) return result;
  return {
    ...result,
    ok: false,
    failures: [
      ...result.failures,
      `nondeterministic: trace ${digest} on the first run, ${trace.digest()} on the second`,
    ],
  };
}

function runSingle(plan: SimPlan, output: SimCommandOutput, printTrace: boolean): number {
  const trace = new Trace(printTrace ? (line) => output.line(line) : null);
  const result = runSeed(plan, plan.seedFirst, trace);
  output.line(result.summary);
  for (const failure of result.failures) output.line(`  ${failure.replaceAll("\n", "\n  ")}`);
  const figures = Object.entries(result.figures).map(
    ([name, value]) => `${name}=${Number(value.toFixed(3))}`,
  );
  if (figures.length > 0) output.line(`figures ${figures.join(" ")}`);
  output.line(result.ok ? "PASS" : "FAIL");
  output.line(`trace ${trace.digest()}`);
  return result.ok ? 0 : 1;
}

function runRange(plan: SimPlan, output: SimCommandOutput): number {
  const startMs = output.nowMs();
  const results: WorkloadResult[] = [];
  const seedCount = plan.seedLast - plan.seedFirst + 1;
  let failed = 0;
  let events = 0;
  let rerunCount = 0;
  let progressMs = startMs;
  for (let seed = plan.seedFirst; seed <= plan.seedLast; seed++) {
    const trace = new Trace();
    let result = runSeed(plan, seed, trace);
    if ((seed - plan.seedFirst) % simDeterminismCheckEvery === 0) {
      rerunCount += 1;
      result = checkDeterminism(plan, seed, result, trace.digest());
    }
    results.push(result);
    events += result.figures.simulatorEvents ?? trace.eventCount;
    if (!result.ok) {
      failed += 1;
      output.line(`FAIL seed ${seed}: ${result.summary}`);
      for (const failure of result.failures) output.line(`  ${failure.split("\n")[0]}`);
      output.line(`  replay: ${replayCommand(plan, seed)}`);
    }
    const nowMs = output.nowMs();
    if (output.progress !== null && (nowMs - progressMs >= progressIntervalMs || seed === plan.seedLast)) {
      progressMs = nowMs;
      const done = seed - plan.seedFirst + 1;
      const rate = (done * 1000) / Math.max(nowMs - startMs, 1);
      output.progress(`[${done}/${seedCount}] ${failed} failed, ${rate.toFixed(1)} seeds/s`);
    }
  }
  const elapsedS = Math.max(output.nowMs() - startMs, 1) / 1000;
  output.line(
    `${seedCount} seeds: ${seedCount - failed} passed, ${failed} failed in ${elapsedS.toFixed(2)} s ` +
      `(${(seedCount / elapsedS).toFixed(1)} seeds/s, ${Math.round(events / elapsedS)} simulator events/s; ` +
      `${rerunCount} re-run for determinism)`,
  );
  output.line(
    plan.workload.summarize?.(results) ?? `${plan.workload.name}: ${failed} of ${seedCount} seeds failed`,
  );
  return failed === 0 ? 0 : 1;
}

/** Runs `shoal sim` and returns its exit code: 0 all passed, 1 a seed failed, 2 bad usage. */
export function runSimCommand(options: SimCommandOptions, output: SimCommandOutput): number {
  const planned = planSim(options);
  if ("usage" in planned) {
    output.error(`shoal sim: ${planned.usage}`);
    return 2;
  }
  if (planned.plan.isSingle) return runSingle(planned.plan, output, options.trace === true);
  if (options.trace === true) {
    output.error("shoal sim: --trace needs a single --seed");
    return 2;
  }
  return runRange(planned.plan, output);
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
    .exitOverride((error) => {
      // Help and version exit 0; any usage error exits 2, as documented.
      process.exit(error.exitCode === 0 ? 0 : 2);
    })
    .action((options: SimCommandOptions) => {
      const isTty = process.stderr.isTTY === true;
      process.exitCode = runSimCommand(options, {
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
