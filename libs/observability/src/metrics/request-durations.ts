import type { Metric, Registry } from 'prom-client';

/** The labels of http_request_duration_seconds, in the order /metrics has always shown them. */
export type RequestLabels = { method: string; route: string; status_code: string };

/**
 * One label set's durations: counts per bucket (not cumulative), their sum and count. Observing is a bucket
 * search and three additions — no labels object, no label check, no hash string made per request (prom-client's
 * `observe`, even a `labels()` child's, validates and hashes the labels on every call: ≈ 1.5 µs a request).
 */
export class DurationSeries {
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<RequestLabels>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** Back to nothing observed (the registry's resetMetrics): holders of this series keep observing into it. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** Cumulative count of the bucket `index` (as Prometheus shows it: observations ≤ its bound). */
  cumulative(index: number): number {
    let n = 0;
    for (let i = 0; i <= index; i++) n += this.counts[i]!;
    return n;
  }
}

interface Sample {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  /** prom-client's shape: null on buckets, undefined on the sum and the count (no exemplars kept). */
  exemplar: null | undefined;
}

/**
 * A Prometheus histogram of request durations by method, route template and status, whose label sets are
 * found by three map lookups (route, method, status) and kept as DurationSeries. It registers itself on
 * the registry as a metric and is read as prom-client's own Histogram would be: the same values, labels and
 * order on /metrics (the registry formats it), the same shape from getMetricsAsJSON.
 */
export class RequestDurations {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly byRoute = new Map<string, Map<string, Map<number, DurationSeries>>>();
  /** In the order first seen, as prom-client lists its label sets. */
  private readonly all: DurationSeries[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one method, route and status (made on first use; keep it to observe without any lookup). */
  series(method: string, route: string, statusCode: number): DurationSeries {
    let byMethod = this.byRoute.get(route);
    if (byMethod === undefined) this.byRoute.set(route, (byMethod = new Map<string, Map<number, DurationSeries>>()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map<number, DurationSeries>()));
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = new DurationSeries({ method, route, status_code: String(statusCode) }, this.buckets);
      byStatus.set(statusCode, series);
      this.all.push(series);
    }
    return series;
  }

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    this.series(method, route, statusCode).observe(seconds);
  }

  /** What the registry formats for /metrics: labels of each sample apart from its series' (shared) labels. */
  getForPromString(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.all) {
      // As prom-client's: a label set appears from its first observation on.
      if (series.count === 0) continue;
      const shared = series.labels;
      for (let i = 0; i < this.buckets.length; i++)
        values.push({
          labels: { le: this.buckets[i]! },
          sharedLabels: shared,
          value: series.cumulative(i),
          metricName: bucketName,
          exemplar: null,
        });
      values.push({
        labels: { le: '+Inf' },
        sharedLabels: shared,
        value: series.count,
        metricName: bucketName,
        exemplar: null,
      });
      values.push({
        labels: {},
        sharedLabels: shared,
        value: series.sum,
        metricName: `${this.name}_sum`,
        exemplar: undefined,
      });
      values.push({
        labels: {},
        sharedLabels: shared,
        value: series.count,
        metricName: `${this.name}_count`,
        exemplar: undefined,
      });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same samples with each one's labels in one object (getMetricsAsJSON, getSingleMetric(…).get()). */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: Array<Omit<Sample, 'sharedLabels'>>;
    aggregator: string;
  }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...sample }) => ({
        ...sample,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }

  reset(): void {
    for (const series of this.all) series.reset();
  }
}
