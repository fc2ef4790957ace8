/**
 * Section 2, scale: 1,000, 5,000 and 10,000 ScaledObjects in one `tidal run` process, each with a
 * metrics-api trigger polled every 30 s against a local HTTP server (another process) that answers
 * 0, so no trigger is ever active and no worker process starts; each object scales its own
 * ProcessPool (a `sleep` command that never runs).
 *
 * After a warm-up (the first evaluations of all objects are spread over two seconds, then join
 * their 30 s grid), over the measurement window:
 * - CPU %: user+system time of the tidal process from /proc/<pid>/stat ÷ wall time (100 % = one core);
 * - RSS from /proc/<pid>/status, sampled every second (max and median);
 * - scheduling lag (actual − planned start of an evaluation): the share of evaluations under 1 s,
 *   exact from the `tidal_scheduling_lag_seconds` histogram's le="1" bucket, plus p50/p99 from
 *   `tidal_scheduling_lag_quantiles_seconds` (a summary over the last 60 s, read every 60 s; the
 *   median of the p50s and the largest p99 are reported);
 * - evaluations per second against the N / 30 the objects ask for, and the polls the source saw
 *   per second (spread: never all at the same instant).
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { forkTracked, stopChild } from "./lib/children.ts";
import { cpuPercent, ProcessSampler, readProcess } from "./lib/proc.ts";
import {
  fractionAtMost,
  histogramDelta,
  histogramQuantile,
  parseHistogram,
  parseSummary,
} from "./lib/prometheus.ts";
import { figure, type Figure, type SectionResult } from "./lib/report.ts";
import { distribution, median, round } from "./lib/stats.ts";
import { TidalRun } from "./lib/tidal.ts";

const POLLING_SECONDS = 30;
const MIB = 2 ** 20;

export function scaleManifests(count: number, metricPort: number): string {
  const directory = mkdtempSync(join(tmpdir(), "tidal-bench-scale-"));
  const documents: string[] = [];
  for (let index = 0; index < count; index++) {
    const id = String(index).padStart(5, "0");
    documents.push(`apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata:
  name: pool-${id}
spec:
  command: [sleep, "3600"]
  terminationGracePeriodSeconds: 1
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: so-${id}
spec:
  scaleTargetRef:
    apiVersion: tidal.dev/v1alpha1
    kind: ProcessPool
    name: pool-${id}
  pollingInterval: ${POLLING_SECONDS}
  maxReplicaCount: 1
  triggers:
    - type: metrics-api
      metadata:
        url: http://127.0.0.1:${metricPort}/metric/${id}
        valueLocation: value
        targetValue: "10"
`);
  }
  const file = join(directory, `scale-${count}.yaml`);
  writeFileSync(file, documents.join("---\n"));
  return file;
}

async function startMetricServer(): Promise<{
  child: ChildProcess;
  port: number;
  counts: (from: number, to: number) => Promise<number[]>;
}> {
  const child = forkTracked(fileURLToPath(new URL("./scale-metric-server.ts", import.meta.url)));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port: number }) => resolve(message.port));
    child.once("exit", (code) => reject(new Error(`metric server exited with ${code}`)));
  });
  const counts = (from: number, to: number) =>
    new Promise<number[]>((resolve) => {
      child.once("message", (message: { counts: number[] }) => resolve(message.counts));
      child.send({ type: "counts", from, to });
    });
  return { child, port, counts };
}

/** RSS of a fresh Node process after importing one module. */
function moduleRss(root: string, module: string): number {
  const script = `await import(${JSON.stringify(join(root, module))}); process.stdout.write(String(process.memoryUsage().rss))`;
  return (
    Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) / MIB
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureSize(
  root: string,
  count: number,
  metric: Awaited<ReturnType<typeof startMetricServer>>,
  quick: boolean,
) {
  const file = scaleManifests(count, metric.port);
  const launched = performance.now();
  const tidal = await TidalRun.start(root, [file], { startTimeoutMs: 15 * 60_000 });
  const startupSeconds = (performance.now() - launched) / 1000;
  try {
    const warmupMs = (quick ? 35 : 60) * 1000;
    const minutes = quick ? 1 : 3;
    await sleep(warmupMs);
    const lagText = () =>
      tidal.get<string>(
        "/metrics?name=tidal_scheduling_lag_seconds&name=tidal_scheduling_lag_quantiles_seconds",
      );
    const sampler = new ProcessSampler(tidal.pid, 1000);
    const windowStart = Date.now();
    const cpuStart = readProcess(tidal.pid);
    const before = parseHistogram(await lagText(), "tidal_scheduling_lag_seconds");
    const summaries: Record<string, number>[] = [];
    for (let minute = 0; minute < minutes; minute++) {
      await sleep(60_000);
      summaries.push(parseSummary(await lagText(), "tidal_scheduling_lag_quantiles_seconds"));
    }
    const cpuEnd = readProcess(tidal.pid);
    const windowEnd = Date.now();
    const after = parseHistogram(await lagText(), "tidal_scheduling_lag_seconds");
    const readings = sampler.stop();
    const lags = histogramDelta(before, after);
    const perSecond = await metric.counts(windowStart + 1000, windowEnd - 1000);
    const rss = readings.map((reading) => reading.rssBytes);
    const cpuSeries = readings
      .slice(1)
      .map((reading, index) => cpuPercent(readings[index] as typeof reading, reading));
    const seconds = (windowEnd - windowStart) / 1000;
    const polls = distribution(perSecond);
    return {
      count,
      startupSeconds: round(startupSeconds),
      windowSeconds: round(seconds),
      cpuPercent: round(cpuPercent(cpuStart, cpuEnd)),
      cpuPercentPerSecond: { p50: round(median(cpuSeries)), max: round(Math.max(...cpuSeries)) },
      rssMiB: {
        max: round(Math.max(...rss) / MIB),
        median: round(median(rss) / MIB),
        atWindowStart: round((rss[0] ?? Number.NaN) / MIB),
        atWindowEnd: round((rss.at(-1) ?? Number.NaN) / MIB),
      },
      evaluationsPerSecond: round(lags.count / seconds),
      expectedEvaluationsPerSecond: round(count / POLLING_SECONDS),
      lag: {
        under1sFraction: fractionAtMost(lags, 1),
        p50SecondsSummary: round(median(summaries.map((summary) => summary["0.5"] ?? Number.NaN))),
        p99SecondsSummary: round(Math.max(...summaries.map((summary) => summary["0.99"] ?? Number.NaN))),
        p50SecondsBuckets: round(histogramQuantile(lags, 0.5)),
        p99SecondsBuckets: round(histogramQuantile(lags, 0.99)),
        buckets: lags.buckets.map((bucket) => ({ le: bucket.le, count: bucket.count })),
      },
      pollsPerSecondAtSource: { min: polls.min, p50: polls.p50, max: polls.max, mean: round(polls.mean) },
    };
  } finally {
    await tidal.stop();
  }
}

export async function scaleSection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const metric = await startMetricServer();
  const sizes = options.quick ? [1000, 10000] : [1000, 5000, 10000];
  const results = [];
  let baselineMiB: number;
  let registryMiB: number;
  try {
    // The process with a single object: what every size pays before its objects.
    const single = await TidalRun.start(options.root, [scaleManifests(1, metric.port)]);
    await sleep(10_000);
    baselineMiB = readProcess(single.pid).rssBytes / MIB;
    await single.stop();
    registryMiB = moduleRss(options.root, "src/scalers/registry.ts");
    for (const count of sizes) {
      process.stderr.write(`  scale: ${count} ScaledObjects\n`);
      results.push(await measureSize(options.root, count, metric, options.quick));
    }
  } finally {
    metric.child.disconnect();
    await stopChild(metric.child, 5000);
  }
  const figures: Figure[] = [];
  for (const result of results) {
    const n = result.count.toLocaleString("en");
    const isTarget = result.count === 10000;
    figures.push(
      figure(
        `scale.${result.count}.rssPerObject`,
        `${n} objects: RSS above the one-object process, per object`,
        ((result.rssMiB.max - baselineMiB) * 1024) / result.count,
        "KiB",
      ),
      figure(
        `scale.${result.count}.cpuPercent`,
        `${n} objects: CPU`,
        result.cpuPercent,
        "% of a core",
        isTarget ? { comparison: "at most", value: 100 } : undefined,
      ),
      figure(
        `scale.${result.count}.rssMiB`,
        `${n} objects: RSS (max)`,
        result.rssMiB.max,
        "MiB",
        isTarget ? { comparison: "at most", value: 512 } : undefined,
      ),
      figure(
        `scale.${result.count}.lagP50`,
        `${n} objects: scheduling lag p50`,
        result.lag.p50SecondsSummary * 1000,
        "ms",
      ),
      figure(
        `scale.${result.count}.lagP99`,
        `${n} objects: scheduling lag p99`,
        result.lag.p99SecondsSummary * 1000,
        "ms",
        isTarget ? { comparison: "below", value: 1000 } : undefined,
      ),
      figure(
        `scale.${result.count}.lagUnder1s`,
        `${n} objects: evaluations starting < 1 s late`,
        result.lag.under1sFraction * 100,
        "%",
        isTarget ? { comparison: "at least", value: 99 } : undefined,
      ),
      figure(
        `scale.${result.count}.evaluationsPerSecond`,
        `${n} objects: evaluations per second (asked: ${result.expectedEvaluationsPerSecond})`,
        result.evaluationsPerSecond,
        "/s",
        { comparison: "at least", value: result.expectedEvaluationsPerSecond * 0.97 },
      ),
    );
  }
  return {
    id: "scale",
    title: "2. Scale: ScaledObjects in one tidal run process (metrics-api triggers, 30 s polling)",
    figures,
    details: { pollingSeconds: POLLING_SECONDS, baselineRssMiB: round(baselineMiB), sizes: results },
    notes: [
      "Targets apply at 10,000 objects: within one core (CPU ≤ 100 % of a core) and 512 MiB, lag p99 under 1 s.",
      "CPU and RSS are the tidal process alone; the metric source and the harness run in other processes.",
      `RSS of the same process with one object: ${round(baselineMiB)} MiB; a bare Node process that only imports src/scalers/registry.ts: ${round(registryMiB)} MiB (loaded code, before any object).`,
      `Lag p50/p99 come from the summary added for this (tidal_scheduling_lag_quantiles_seconds, 60 s window, t-digest); the share under 1 s is exact from the histogram bucket le="1".`,
      ...results.map(
        (result) =>
          `${result.count}: startup ${result.startupSeconds} s; RSS ${result.rssMiB.atWindowStart} MiB at the window's start, ${result.rssMiB.atWindowEnd} MiB at its end (median ${result.rssMiB.median}); polls seen by the source per second p50 ${result.pollsPerSecondAtSource.p50}, max ${result.pollsPerSecondAtSource.max} (mean ${result.pollsPerSecondAtSource.mean}); lag from buckets p50 ≈ ${round(result.lag.p50SecondsBuckets * 1000)} ms, p99 ≈ ${round(result.lag.p99SecondsBuckets * 1000)} ms`,
      ),
    ],
  };
}
