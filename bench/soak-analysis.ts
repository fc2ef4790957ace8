/**
 * The verdict of a soak run (bench/soak.ts): does anything grow once the process is warm?
 *
 * Samples before `warmupMs` are left out (caches fill, the JIT settles, every object's first
 * evaluations are spread over its interval). Of the rest, the first and the last `windowMs` are
 * compared by their medians (RSS, open file descriptors, threads, child processes, Node's active
 * resources and timers), and a least-squares slope over all warm samples gives the growth per
 * hour. A series passes when its last window's median is at most its first window's median plus
 * an allowance (RSS: 5 % or 8 MiB, whichever is larger; counts: 5 % or 3, whichever is larger):
 * a leak grows without bound, noise does not.
 */
import { median, round } from "./lib/stats.ts";

export interface SoakSample {
  /** Milliseconds since the run started. */
  at: number;
  rssMiB: number;
  fds: number;
  threads: number;
  /** Worker processes whose parent is tidal. */
  children: number;
  /** Every entry of process.getActiveResourcesInfo() (referenced timers, sockets, pipes, ...). */
  resources: number;
  /** Every timer, unreferenced ones included. */
  timers: number;
}

export type SoakSeries = Exclude<keyof SoakSample, "at">;

export const SERIES: readonly SoakSeries[] = ["rssMiB", "fds", "threads", "children", "resources", "timers"];

export interface SeriesVerdict {
  series: SoakSeries;
  firstWindowMedian: number;
  lastWindowMedian: number;
  allowance: number;
  slopePerHour: number;
  grows: boolean;
}

function allowance(series: SoakSeries, base: number): number {
  return series === "rssMiB" ? Math.max(base * 0.05, 8) : Math.max(base * 0.05, 3);
}

/** Least-squares slope of `values` over `times` (ms), per hour. */
export function slopePerHour(times: readonly number[], values: readonly number[]): number {
  const n = times.length;
  if (n < 2) return 0;
  const meanTime = times.reduce((sum, time) => sum + time, 0) / n;
  const meanValue = values.reduce((sum, value) => sum + value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let index = 0; index < n; index++) {
    covariance += ((times[index] as number) - meanTime) * ((values[index] as number) - meanValue);
    variance += ((times[index] as number) - meanTime) ** 2;
  }
  return variance === 0 ? 0 : (covariance / variance) * 3_600_000;
}

export function analyseSoak(
  samples: readonly SoakSample[],
  options: { warmupMs: number; windowMs: number },
): { verdicts: SeriesVerdict[]; grows: boolean; warmSamples: number } {
  const warm = samples.filter((sample) => sample.at >= options.warmupMs);
  if (warm.length < 2) throw new Error("too few samples after the warm-up to judge growth");
  const start = (warm[0] as SoakSample).at;
  const end = (warm.at(-1) as SoakSample).at;
  const first = warm.filter((sample) => sample.at <= start + options.windowMs);
  const last = warm.filter((sample) => sample.at >= end - options.windowMs);
  const verdicts = SERIES.map((series) => {
    const firstWindowMedian = median(first.map((sample) => sample[series]));
    const lastWindowMedian = median(last.map((sample) => sample[series]));
    const allowed = allowance(series, firstWindowMedian);
    return {
      series,
      firstWindowMedian: round(firstWindowMedian),
      lastWindowMedian: round(lastWindowMedian),
      allowance: round(allowed),
      slopePerHour: round(
        slopePerHour(
          warm.map((sample) => sample.at),
          warm.map((sample) => sample[series]),
        ),
      ),
      grows: lastWindowMedian > firstWindowMedian + allowed,
    };
  });
  return { verdicts, grows: verdicts.some((verdict) => verdict.grows), warmSamples: warm.length };
}
