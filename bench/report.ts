// Turns bench results into markdown: a header describing the machine, versions, date and the
// exact command, then one table per scenario with Shoal's median next to each peer's and the
// Shoal/peer throughput ratio. Pure formatting: the caller gathers the facts and writes the file.

import type { LoadResult } from "./load.js";

/** The machine and software a bench ran on. */
export interface Environment {
  readonly date: string;
  readonly command: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

/** The median run of one system at one concurrency, or why it was not measured. */
export interface Cell {
  readonly system: string;
  readonly result: LoadResult | null;
  readonly unavailable?: string;
}

/** One row: a concurrency, Shoal's cell and the peers' cells. */
export interface Row {
  readonly concurrency: number;
  readonly shoal: Cell;
  readonly peers: readonly Cell[];
}

/** One scenario's table. */
export interface Scenario {
  /** The scenario's id (`cp-write`, …), for the targets summary. */
  readonly id?: string;
  /** The command that measures this scenario alone. */
  readonly command?: string;
  readonly title: string;
  readonly description: string;
  readonly runs: number;
  readonly rows: readonly Row[];
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

function cellText(cell: Cell): string[] {
  if (cell.result === null) return [`n/a (${cell.unavailable ?? "not run"})`, "", "", ""];
  const r = cell.result;
  const errors = r.errors > 0 ? ` (${r.errors} err)` : "";
  return [
    `${Math.round(r.opsPerSec).toLocaleString("en-US")}${errors}`,
    fixed(r.p50Ms, 2),
    fixed(r.p99Ms, 2),
    fixed(r.p999Ms, 2),
  ];
}

/** The Shoal/peer throughput ratio as text, or "–" when either side is missing. */
export function ratioText(shoal: Cell, peer: Cell): string {
  if (shoal.result === null || peer.result === null || peer.result.opsPerSec <= 0) return "–";
  return `${fixed(shoal.result.opsPerSec / peer.result.opsPerSec, 2)}×`;
}

/** One scenario as a markdown table. */
export function scenarioMarkdown(scenario: Scenario): string {
  const first = scenario.rows[0];
  const peerNames = first === undefined ? [] : first.peers.map((p) => p.system);
  const header = ["c", "system", "ops/s", "p50 ms", "p99 ms", "p99.9 ms", "Shoal/system ops/s"];
  const lines = [
    `### ${scenario.title}`,
    "",
    `${scenario.description} Median of ${scenario.runs} run(s) by throughput.`,
    "",
  ];
  if (scenario.command !== undefined) lines.push(`Command: \`${scenario.command}\``, "");
  lines.push(`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`);
  for (const row of scenario.rows) {
    lines.push(`| ${row.concurrency} | ${row.shoal.system} | ${cellText(row.shoal).join(" | ")} | 1.00× |`);
    for (const peer of row.peers) {
      lines.push(
        `| ${row.concurrency} | ${peer.system} | ${cellText(peer).join(" | ")} | ${ratioText(row.shoal, peer)} |`,
      );
    }
  }
  if (peerNames.length === 0) lines.push("", "(no peers in this scenario)");
  return lines.join("\n");
}

/** The whole results document. */
export function resultsMarkdown(
  environment: Environment,
  scenarios: readonly Scenario[],
  sections: readonly string[] = [],
  summary: string | null = null,
): string {
  const lines = ["# Shoal bench results", ""];
  if (summary !== null) lines.push(summary, "");
  lines.push(`- Date: ${environment.date}`, `- Command: \`${environment.command}\``);
  lines.push(
    `- Machine: ${environment.cpus} CPU(s) (${environment.cpuModel}), ${fixed(environment.memoryGiB, 1)} GiB memory`,
  );
  lines.push(`- Node: ${environment.node}`);
  for (const [name, version] of Object.entries(environment.versions)) lines.push(`- ${name}: ${version}`);
  for (const note of environment.notes) lines.push(`- ${note}`);
  for (const scenario of scenarios) lines.push("", scenarioMarkdown(scenario));
  for (const section of sections) lines.push("", section);
  lines.push("");
  return lines.join("\n");
}
