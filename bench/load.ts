// The bench's load generator: `concurrency` workers issue operations back to back until the
// duration passes OR the operation cap is reached, whichever comes first. Each worker draws a key
// (uniform or zipfian, from a seeded Prng) and an operation kind from the mix; every latency goes
// into an HDR histogram in microseconds. Errors are counted, not timed.

import hdr from "hdr-histogram-js";
import { Prng } from "../src/lib/prng.js";

/** Limits of one load run; units last. */
export const loadLimits = {
  /** Highest latency the histogram tracks, in microseconds (60 s). */
  latencyUsMax: 60_000_000,
  /** Largest concurrency a run accepts. */
  concurrencyMax: 4_096,
  /** Largest key space a run accepts. */
  keysMax: 10_000_000,
  /** Longest a run may last, whatever it asks for. */
  durationMsMax: 600_000,
  /** Errors after which a run stops early: a broken target must not spin. */
  errorsMax: 10_000,
} as const;

/** How keys are drawn. */
export type KeyDistribution = "uniform" | "zipfian";

/** One operation of the mix and its weight. */
export interface MixEntry<K extends string> {
  readonly kind: K;
  readonly weight: number;
}

/** What the generator calls: perform one operation of `kind` on `key`. */
export type Operation<K extends string> = (kind: K, key: string, value: string) => Promise<void>;

/** A load run's shape. */
export interface LoadOptions<K extends string> {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly opsMax: number;
  readonly mix: readonly MixEntry<K>[];
  readonly keys: number;
  readonly distribution: KeyDistribution;
  readonly valueBytes: number;
  readonly seed: number;
  /** Called about every `progressMs` with operations done so far. */
  readonly onProgress?: (done: number, elapsedMs: number) => void;
  readonly progressMs?: number;
}

/** A load run's outcome. */
export interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/**
 * Zipfian key ranks over [0, n) with exponent `theta` (YCSB's 0.99 by default), drawn by inverse
 * transform over the precomputed cumulative weights (binary search; O(n) memory, fine to 10^7).
 */
export class ZipfianKeys {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    theta = 0.99,
  ) {
    if (!(n >= 1 && n <= loadLimits.keysMax)) throw new RangeError(`keys out of range: ${n}`);
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += 1 / (i + 1) ** theta;
      this.cumulative[i] = sum;
    }
    for (let i = 0; i < n; i++) this.cumulative[i] = (this.cumulative[i] ?? 0) / sum;
  }

  /** The rank for a uniform draw `u` in [0, 1). */
  rank(u: number): number {
    let low = 0;
    let high = this.n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.cumulative[middle] ?? 1) < u) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function checkOptions<K extends string>(options: LoadOptions<K>): void {
  const { concurrency, durationMs, opsMax, keys, valueBytes, mix } = options;
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= loadLimits.concurrencyMax))
    throw new RangeError(`concurrency out of range: ${concurrency}`);
  if (!(durationMs > 0 && durationMs <= loadLimits.durationMsMax))
    throw new RangeError(`duration out of range: ${durationMs}`);
  if (!(Number.isInteger(opsMax) && opsMax >= 1)) throw new RangeError(`ops cap out of range: ${opsMax}`);
  if (!(Number.isInteger(keys) && keys >= 1 && keys <= loadLimits.keysMax))
    throw new RangeError(`keys out of range: ${keys}`);
  if (!(Number.isInteger(valueBytes) && valueBytes >= 0)) throw new RangeError(`value size: ${valueBytes}`);
  if (mix.length === 0 || mix.some((m) => !(m.weight > 0)))
    throw new RangeError("mix needs positive weights");
}

/** Seeded draws of the next operation kind (by weight) and key (uniform or zipfian). */
function drawers<K extends string>(options: LoadOptions<K>): { pickKind: () => K; pickKey: () => string } {
  const prng = Prng.fromSeed(options.seed);
  const zipf = options.distribution === "zipfian" ? new ZipfianKeys(options.keys) : null;
  const weightTotal = options.mix.reduce((sum, m) => sum + m.weight, 0);
  const pickKind = (): K => {
    let draw = prng.next() * weightTotal;
    for (const entry of options.mix) {
      draw -= entry.weight;
      if (draw < 0) return entry.kind;
    }
    return (options.mix[options.mix.length - 1] as MixEntry<K>).kind;
  };
  const pickKey = (): string => {
    const rank = zipf === null ? prng.below(options.keys) : zipf.rank(prng.next());
    return `k${rank}`;
  };
  return { pickKind, pickKey };
}

/** Runs one bounded load and returns its throughput and latency percentiles. */
export async function runLoad<K extends string>(
  options: LoadOptions<K>,
  operation: Operation<K>,
): Promise<LoadResult> {
  checkOptions(options);
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: loadLimits.latencyUsMax,
    numberOfSignificantValueDigits: 3,
  });
  const { pickKind, pickKey } = drawers(options);
  const value = "v".repeat(options.valueBytes);
  let issued = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | null = null;
  const start = performance.now();
  const end = start + Math.min(options.durationMs, loadLimits.durationMsMax);
  const progressMs = options.progressMs ?? 250;
  let nextProgress = start + progressMs;
  const worker = async (): Promise<void> => {
    while (issued < options.opsMax && performance.now() < end && errors < loadLimits.errorsMax) {
      issued++;
      const kind = pickKind();
      const key = pickKey();
      const began = performance.now();
      try {
        await operation(kind, key, value);
        const micros = Math.max(1, Math.round((performance.now() - began) * 1_000));
        histogram.recordValue(Math.min(micros, loadLimits.latencyUsMax));
        done++;
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      const now = performance.now();
      if (options.onProgress !== undefined && now >= nextProgress) {
        nextProgress = now + progressMs;
        options.onProgress(done, now - start);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  const elapsedMs = performance.now() - start;
  const ms = (us: number): number => us / 1_000;
  const result: LoadResult = {
    ops: done,
    errors,
    firstError,
    elapsedMs,
    opsPerSec: elapsedMs > 0 ? (done * 1_000) / elapsedMs : 0,
    p50Ms: done > 0 ? ms(histogram.getValueAtPercentile(50)) : 0,
    p99Ms: done > 0 ? ms(histogram.getValueAtPercentile(99)) : 0,
    p999Ms: done > 0 ? ms(histogram.getValueAtPercentile(99.9)) : 0,
    maxMs: done > 0 ? ms(histogram.maxValue) : 0,
  };
  histogram.destroy();
  return result;
}

/** The run whose throughput is the median of `runs` (odd counts give a real run). */
export function medianRun(runs: readonly LoadResult[]): LoadResult {
  if (runs.length === 0) throw new RangeError("no runs");
  const sorted = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return sorted[(sorted.length - 1) >> 1] as LoadResult;
}
