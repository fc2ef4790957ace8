/** Reading a histogram and a summary out of Prometheus exposition text. */

export interface Histogram {
  /** Cumulative counts by upper bound (le), ascending, +Inf last. */
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

export function parseHistogram(text: string, name: string): Histogram {
  const buckets: { le: number; count: number }[] = [];
  let count = 0;
  let sum = 0;
  for (const line of text.split("\n")) {
    const bucket = new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\} (\\S+)`).exec(line);
    if (bucket)
      buckets.push({
        le: bucket[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(bucket[1]),
        count: Number(bucket[2]),
      });
    else if (line.startsWith(`${name}_count`)) count = Number(line.split(" ").at(-1));
    else if (line.startsWith(`${name}_sum`)) sum = Number(line.split(" ").at(-1));
  }
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, count, sum };
}

/** Observations between two readings of the same histogram. */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  return {
    buckets: after.buckets.map((bucket, index) => ({
      le: bucket.le,
      count: bucket.count - (before.buckets[index]?.count ?? 0),
    })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q quantile estimated from buckets, interpolating linearly within the bucket it falls in (as
 * Prometheus's histogram_quantile does); the bucket bounds make it an estimate, not a sample.
 */
export function histogramQuantile(histogram: Histogram, q: number): number {
  const rank = q * histogram.count;
  let lower = 0;
  let below = 0;
  for (const bucket of histogram.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return lower;
      const inBucket = bucket.count - below;
      return inBucket === 0 ? bucket.le : lower + ((bucket.le - lower) * (rank - below)) / inBucket;
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return Number.NaN;
}

/** Share of observations at or below `bound` (must be a bucket bound). */
export function fractionAtMost(histogram: Histogram, bound: number): number {
  const bucket = histogram.buckets.find((candidate) => candidate.le === bound);
  return bucket === undefined || histogram.count === 0 ? Number.NaN : bucket.count / histogram.count;
}

/** `{quantile: value}` of a summary. */
export function parseSummary(text: string, name: string): Record<string, number> {
  const quantiles: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = new RegExp(`^${name}\\{.*quantile="([^"]+)".*\\} (\\S+)`).exec(line);
    if (match) quantiles[match[1] as string] = Number(match[2]);
  }
  return quantiles;
}
