// Soak run of the raft-kv simulation: `npm run soak:raft -- --seeds A..B [--jobs N] [--mutant M]`.
// Runs every seed of the range (split over N child processes), prints progress, every failing seed
// with its replay command, and a closing line with seeds/s and the workload's figures. Exits 1 if
// any seed failed.

import { spawn } from "node:child_process";
import { Trace } from "../src/sim/trace.js";
import { raftKvWorkload } from "../src/sim/workloads/raft_kv.js";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function runRange(first: number, last: number, params: Record<string, string>): void {
  let failed = 0;
  let operations = 0;
  let committed = 0;
  let messages = 0;
  const startMs = performance.now();
  for (let seed = first; seed <= last; seed++) {
    const result = raftKvWorkload.run({ seed, faults: null, trace: new Trace(), params });
    operations += result.figures["operations_ok"] ?? 0;
    committed += result.figures["committed_entries"] ?? 0;
    messages += result.figures["messages_sent"] ?? 0;
    if (!result.ok) {
      failed++;
      const mutant = params["mutant"] === undefined ? "" : ` --mutant ${params["mutant"]}`;
      console.log(`FAIL seed ${seed}: ${result.failures.slice(0, 2).join("; ")}`);
      console.log(`  replay: npx tsx src/cli/main.ts sim --workload raft-kv --seed ${seed}${mutant}`);
    }
    if ((seed - first + 1) % 500 === 0) console.log(`progress ${first}..${seed}: ${failed} failed`);
  }
  const seconds = (performance.now() - startMs) / 1000;
  console.log(
    `RESULT ${first}..${last} seeds=${last - first + 1} failed=${failed} ops=${operations} committed=${committed} messages=${messages} seconds=${seconds.toFixed(1)}`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  const range = option("seeds") ?? "1..10000";
  const match = /^(\d+)\.\.(\d+)$/.exec(range);
  if (match === null) throw new Error("--seeds must look like A..B");
  const first = Number(match[1]);
  const last = Number(match[2]);
  const params: Record<string, string> = {};
  const mutant = option("mutant");
  if (mutant !== undefined) params["mutant"] = mutant;
  const jobs = Number(option("jobs") ?? "1");
  if (jobs <= 1 || option("child") !== undefined) {
    runRange(first, last, params);
    return;
  }
  const startMs = performance.now();
  const size = Math.ceil((last - first + 1) / jobs);
  const children = [];
  for (let job = 0; job < jobs; job++) {
    const a = first + job * size;
    const b = Math.min(last, a + size - 1);
    if (a > b) continue;
    const args = [
      "tsx",
      "scripts/soak_raft.ts",
      "--seeds",
      `${a}..${b}`,
      "--child",
      "1",
      ...(mutant === undefined ? [] : ["--mutant", mutant]),
    ];
    const child = spawn("npx", args, { stdio: "inherit" });
    children.push(new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1))));
  }
  const codes = await Promise.all(children);
  const seconds = (performance.now() - startMs) / 1000;
  const total = last - first + 1;
  console.log(
    `soak ${range}: ${total} seeds in ${seconds.toFixed(0)} s (${(total / seconds).toFixed(1)} seeds/s), ${codes.every((code) => code === 0) ? "all passed" : "FAILURES above"}`,
  );
  process.exitCode = codes.every((code) => code === 0) ? 0 : 1;
}

await main();
