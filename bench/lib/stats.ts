/** Small, exact statistics for benchmark samples. */

/**
 * The `q` quantile (0..1) of `values` by linear interpolation between the closest ranks (the
 * "type 7" estimator of R and NumPy's default): p50 of [1, 2, 3, 4] is 2.5. NaN when empty.
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  if (q < 0 || q > 1) throw new RangeError(`quantile must be within 0..1, got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  return sortedPercentile(sorted, q);
}

/** percentile() of values already sorted ascending (no copy). */
export function sortedPercentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const below = sorted[lower] as number;
  const above = sorted[upper] as number;
  return below + (above - below) * (position - lower);
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    min: sorted.length ? (sorted[0] as number) : Number.NaN,
    p50: sortedPercentile(sorted, 0.5),
    p95: sortedPercentile(sorted, 0.95),
    p99: sortedPercentile(sorted, 0.99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    mean: mean(values),
  };
}

/** Rounds for reports: 3 significant digits below 100, whole numbers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every
 * machine, so traces and burst timings are reproducible.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
