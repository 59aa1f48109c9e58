// The targets of issue 8, checked against one bench invocation's figures: CP writes at c=64 at
// least 5× etcd's throughput with a p99 no higher than etcd's; linearizable reads at c=64 at least
// 5× etcd's; AP counter increments at c=64 at least Redis AOF everysec's; failover median at most
// 0.75× etcd's; no spurious election in a 10-minute loaded run. Pure: figures in, a table out; a
// figure this invocation did not measure is reported as such, never guessed.

import type { Cell, Scenario } from "./report.js";

/** The concurrency the throughput targets are set at. */
export const targetConcurrency = 64;
/** The length of loaded run the stability target asks for. */
export const stabilityTargetMs = 600_000;

/** One target's line. */
export interface TargetRow {
  readonly target: string;
  readonly shoal: string;
  readonly peer: string;
  readonly ratio: string;
  readonly verdict: "met" | "missed" | "not measured";
}

/** What the summary reads: the load tables and, when run, failover and stability figures. */
export interface TargetInputs {
  readonly tables: readonly Scenario[];
  /** Median ms from a leader kill to the first write, per system; null when not run. */
  readonly failover: { readonly shoalMs: number; readonly etcdMs: number | null } | null;
  /** Spurious elections during the loaded run; null when not run. */
  readonly stability: {
    readonly durationMs: number;
    readonly shoalSpurious: number;
    readonly etcdSpurious: number | null;
  } | null;
}

function cellsAt(tables: readonly Scenario[], id: string, peer: string): { shoal: Cell; peer: Cell } | null {
  const row = tables.find((t) => t.id === id)?.rows.find((r) => r.concurrency === targetConcurrency);
  const peerCell = row?.peers.find((p) => p.system === peer);
  if (row === undefined || peerCell === undefined || row.shoal.result === null || peerCell.result === null)
    return null;
  return { shoal: row.shoal, peer: peerCell };
}

function opsText(cell: Cell): string {
  return `${Math.round(cell.result?.opsPerSec ?? 0).toLocaleString("en-US")}/s`;
}

function missing(target: string): TargetRow {
  return { target, shoal: "–", peer: "–", ratio: "–", verdict: "not measured" };
}

/** A throughput target: Shoal at least `factor` × the peer at c=64. */
function throughput(
  inputs: TargetInputs,
  id: string,
  peer: string,
  factor: number,
  target: string,
): TargetRow {
  const cells = cellsAt(inputs.tables, id, peer);
  if (cells === null) return missing(target);
  const ratio = (cells.shoal.result?.opsPerSec ?? 0) / (cells.peer.result?.opsPerSec ?? 1);
  return {
    target,
    shoal: opsText(cells.shoal),
    peer: `${opsText(cells.peer)} (${peer})`,
    ratio: `${ratio.toFixed(2)}×`,
    verdict: ratio >= factor ? "met" : "missed",
  };
}

function writeLatency(inputs: TargetInputs): TargetRow {
  const target = `CP write p99 at c=${targetConcurrency} ≤ etcd's`;
  const cells = cellsAt(inputs.tables, "cp-write", "etcd");
  if (cells === null) return missing(target);
  const shoal = cells.shoal.result?.p99Ms ?? 0;
  const peer = cells.peer.result?.p99Ms ?? 0;
  return {
    target,
    shoal: `${shoal.toFixed(1)} ms`,
    peer: `${peer.toFixed(1)} ms (etcd)`,
    ratio: peer > 0 ? `${(shoal / peer).toFixed(2)}×` : "–",
    verdict: shoal <= peer ? "met" : "missed",
  };
}

function failover(inputs: TargetInputs): TargetRow {
  const target = "failover median ≤ 0.75× etcd's";
  const figures = inputs.failover;
  if (figures === null || figures.etcdMs === null || !(figures.etcdMs > 0)) return missing(target);
  const ratio = figures.shoalMs / figures.etcdMs;
  return {
    target,
    shoal: `${figures.shoalMs.toFixed(0)} ms`,
    peer: `${figures.etcdMs.toFixed(0)} ms (etcd)`,
    ratio: `${ratio.toFixed(2)}×`,
    verdict: ratio <= 0.75 ? "met" : "missed",
  };
}

function stability(inputs: TargetInputs): TargetRow {
  const target = `no spurious election in a ${stabilityTargetMs / 60_000}-minute loaded run`;
  const figures = inputs.stability;
  if (figures === null) return missing(target);
  const seconds = `${(figures.durationMs / 1_000).toFixed(0)} s`;
  const long = figures.durationMs >= stabilityTargetMs;
  return {
    target,
    shoal: `${figures.shoalSpurious} in ${seconds}`,
    peer: figures.etcdSpurious === null ? "–" : `${figures.etcdSpurious} in ${seconds} (etcd)`,
    ratio: "–",
    verdict: figures.shoalSpurious > 0 ? "missed" : long ? "met" : "not measured",
  };
}

/** Every target of issue 8, in the order. */
export function targetRows(inputs: TargetInputs): TargetRow[] {
  return [
    throughput(inputs, "cp-write", "etcd", 5, `CP write ops/s at c=${targetConcurrency} ≥ 5× etcd`),
    writeLatency(inputs),
    throughput(inputs, "cp-read", "etcd", 5, `linearizable read ops/s at c=${targetConcurrency} ≥ 5× etcd`),
    throughput(
      inputs,
      "ap-counter",
      "Redis AOF everysec",
      1,
      `AP counter ops/s at c=${targetConcurrency} ≥ 1× Redis AOF everysec`,
    ),
    failover(inputs),
    stability(inputs),
  ];
}

/** The targets table in markdown ("not measured" rows say this invocation did not measure them). */
export function targetsMarkdown(rows: readonly TargetRow[]): string {
  const lines = [
    "## Targets (issue 8)",
    "",
    "| target | Shoal | peer | Shoal/peer | verdict |",
    "|---|---|---|---|---|",
  ];
  for (const row of rows)
    lines.push(`| ${row.target} | ${row.shoal} | ${row.peer} | ${row.ratio} | ${row.verdict} |`);
  return lines.join("\n");
}
