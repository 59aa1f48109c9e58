// The bench's scenarios over abstract targets: each target offers some operations (put, get,
// incr, sadd, atomic, lock); a scenario runs the same load (same concurrency, key space, value size,
// seed, duration and cap) on Shoal and on each peer that offers the operation, `runs` times
// each, interleaving systems run by run so drift hits both alike, and keeps the median run.

import { type KeyDistribution, type LoadResult, medianRun, runLoad } from "./load.js";
import type { Cell, Row, Scenario } from "./report.js";

/** The operations a scenario may ask of a target. */
export type OpKind = "put" | "get" | "incr" | "sadd" | "atomic" | "lock";

/** A system under test: its name and the operations it offers. */
export interface Target {
  readonly name: string;
  readonly ops: Partial<Record<OpKind, (key: string, value: string) => Promise<void>>>;
  /** Why this target cannot run, when it cannot (it is then reported, not measured). */
  readonly unavailable?: string;
}

/** One scenario's definition. */
export interface ScenarioSpec {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly op: OpKind;
  /** Writes every key once before the runs (for reads). */
  readonly preload: boolean;
  readonly shoal: Target;
  readonly peers: readonly Target[];
}

/** The load shared by every run. */
export interface BenchShape {
  readonly concurrencies: readonly number[];
  readonly runs: number;
  readonly durationMs: number;
  readonly opsMax: number;
  readonly keys: number;
  readonly distribution: KeyDistribution;
  readonly valueBytes: number;
  readonly seed: number;
  /**
   * A discarded run per system at each concurrency before its measured runs (0: none): a JIT-compiled
   * system reaches its steady state only under the load it is measured at (the code a batch of 64
   * takes is not the code a batch of 16 takes).
   */
  readonly warmupMs: number;
}

/** Reports progress; `line` is a one-line status. */
export type ProgressSink = (line: string, final: boolean) => void;

async function preload(target: Target, shape: BenchShape): Promise<void> {
  const put = target.ops.put;
  if (put === undefined) return;
  const value = "v".repeat(shape.valueBytes);
  const batch = 32;
  for (let start = 0; start < shape.keys; start += batch) {
    const keys = Array.from({ length: Math.min(batch, shape.keys - start) }, (_, i) => `k${start + i}`);
    await Promise.all(keys.map((key) => put(key, value)));
  }
}

async function measure(
  target: Target,
  op: OpKind,
  shape: BenchShape,
  concurrency: number,
  run: number,
  label: string,
  progress: ProgressSink,
): Promise<LoadResult | null> {
  const operation = target.ops[op];
  if (operation === undefined || target.unavailable !== undefined) return null;
  const tag = `${label} c=${concurrency} run ${run + 1}/${shape.runs} ${target.name}`;
  const result = await runLoad(
    {
      concurrency,
      durationMs: shape.durationMs,
      opsMax: shape.opsMax,
      mix: [{ kind: op, weight: 1 }],
      keys: shape.keys,
      distribution: shape.distribution,
      valueBytes: shape.valueBytes,
      seed: shape.seed + run,
      onProgress: (done, elapsedMs) =>
        progress(`${tag}: ${done} ops, ${(elapsedMs / 1_000).toFixed(1)} s`, false),
    },
    (_kind, key, value) => operation(key, value),
  );
  const errors = result.errors > 0 ? `, ${result.errors} errors (first: ${result.firstError})` : "";
  progress(`${tag}: ${Math.round(result.opsPerSec)} ops/s, p99 ${result.p99Ms.toFixed(2)} ms${errors}`, true);
  return result;
}

function cellOf(target: Target, op: OpKind, runs: readonly LoadResult[]): Cell {
  if (target.unavailable !== undefined)
    return { system: target.name, result: null, unavailable: target.unavailable };
  if (target.ops[op] === undefined)
    return { system: target.name, result: null, unavailable: "no such operation" };
  return { system: target.name, result: runs.length > 0 ? medianRun(runs) : null };
}

/** Runs one scenario at every concurrency and returns its table. */
export async function runScenario(
  spec: ScenarioSpec,
  shape: BenchShape,
  progress: ProgressSink,
): Promise<Scenario> {
  const systems = [spec.shoal, ...spec.peers];
  if (spec.preload) {
    for (const target of systems) {
      if (target.unavailable !== undefined) continue;
      progress(`${spec.id}: preloading ${shape.keys} keys into ${target.name}`, true);
      await preload(target, shape);
    }
  }
  const rows: Row[] = [];
  for (const concurrency of shape.concurrencies) {
    if (shape.warmupMs > 0) {
      const warm: BenchShape = { ...shape, durationMs: shape.warmupMs, runs: 1 };
      for (const target of systems)
        await measure(target, spec.op, warm, concurrency, 0, `${spec.id} warm-up`, progress);
    }
    const results: LoadResult[][] = systems.map(() => []);
    for (let run = 0; run < shape.runs; run++) {
      for (const [index, target] of systems.entries()) {
        const result = await measure(target, spec.op, shape, concurrency, run, spec.id, progress);
        if (result !== null) results[index]?.push(result);
      }
    }
    const cells = systems.map((target, index) => cellOf(target, spec.op, results[index] ?? []));
    rows.push({ concurrency, shoal: cells[0] as Cell, peers: cells.slice(1) });
  }
  return { id: spec.id, title: spec.title, description: spec.description, runs: shape.runs, rows };
}
