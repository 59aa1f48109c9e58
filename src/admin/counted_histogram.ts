// A Prometheus histogram for a member's hot path. prom-client's `observe` validates and hashes the
// label set and looks the bucket up by a number-keyed property on every call: under an AP load of
// ~100,000 answers/s it took 4-5% of the answering member's time (`npm run bench -- --no-peers
// --scenarios ap-counter --profile DIR`, histogram.js in the member's profile). Here a series is
// found by two Map lookups on its label values, the bucket by a loop over a few bounds, and
// prom-client's exposition values are built only when the registry is scraped. Same metric name,
// labels, buckets, _sum and _count as a prom-client Histogram; `observe` is not for use on it.

import { Histogram, type Registry } from "prom-client";
import { assert } from "../lib/assert.js";

/** One exposition value as prom-client's registry reads it (not in its type declarations). */
interface PromStringValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName: string;
}

/** A metric's data as prom-client's registry reads it. */
interface PromStringData {
  readonly name: string;
  readonly help: string;
  readonly type: "histogram";
  readonly values: PromStringValue[];
  readonly aggregator: "sum";
}

/** One label pair's counts: one per bucket (not cumulative) and one past the last bound. */
interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram over two labels, recorded by `record(first, second, value)`. */
export class CountedHistogram extends Histogram<string> {
  private readonly metricName: string;
  private readonly helpText: string;
  private readonly bounds: readonly number[];
  private readonly labelNamesPair: readonly [string, string];
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(options: {
    readonly name: string;
    readonly help: string;
    readonly labelNames: readonly [string, string];
    readonly buckets: readonly number[];
    readonly registers: Registry[];
  }) {
    super({
      name: options.name,
      help: options.help,
      labelNames: [...options.labelNames],
      buckets: [...options.buckets],
      registers: options.registers,
    });
    for (let i = 1; i < options.buckets.length; i++)
      assert(options.buckets[i]! > options.buckets[i - 1]!, "histogram buckets must increase");
    this.metricName = options.name;
    this.helpText = options.help;
    this.bounds = [...options.buckets];
    this.labelNamesPair = options.labelNames;
  }

  /** Counts one `value` under the label values `first` and `second`. */
  record(first: string, second: string, value: number): void {
    let inner = this.series.get(first);
    if (inner === undefined) {
      inner = new Map();
      this.series.set(first, inner);
    }
    let series = inner.get(second);
    if (series === undefined) {
      const [a, b] = this.labelNamesPair;
      series = {
        labels: { [a]: first, [b]: second },
        counts: new Float64Array(this.bounds.length + 1),
        sum: 0,
        count: 0,
      };
      inner.set(second, series);
    }
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    series.counts[bucket]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /**
   * What prom-client's registry reads on a scrape (its Histogram's own `get` reads it too and
   * merges each value's shared labels into its labels): per series, the cumulative buckets under
   * `le`, then _sum and _count, in prom-client's shape, so the text is the same as its own.
   */
  async getForPromString(): Promise<PromStringData> {
    const values: PromStringValue[] = [];
    for (const inner of this.series.values())
      for (const series of inner.values()) {
        let cumulative = 0;
        for (let i = 0; i <= this.bounds.length; i++) {
          cumulative += series.counts[i]!;
          const le = i < this.bounds.length ? this.bounds[i]! : "+Inf";
          values.push({
            labels: { le },
            sharedLabels: series.labels,
            value: cumulative,
            metricName: `${this.metricName}_bucket`,
          });
        }
        for (const [suffix, value] of [
          ["sum", series.sum],
          ["count", series.count],
        ] as const)
          values.push({
            labels: {},
            sharedLabels: series.labels,
            value,
            metricName: `${this.metricName}_${suffix}`,
          });
      }
    return { name: this.metricName, help: this.helpText, type: "histogram", values, aggregator: "sum" };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    (this.series as Map<string, Map<string, Series>> | undefined)?.clear();
  }
}
