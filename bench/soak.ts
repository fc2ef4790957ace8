/**
 * Soak: one `tidal run` for a set time under steady work, sampled for growth.
 *
 *   node bench/soak.ts [--minutes 60] [--objects 1000] [--rate 100] [--polling 10] [--sample 10]
 *
 * What runs (every source and load generator in a process of its own, all on 127.0.0.1):
 * - `--objects` ScaledObjects, each scaling its own ProcessPool from a metrics-api trigger polled
 *   every `--polling` seconds; the source answers 0 for most, and a square wave (0 / 15, period
 *   2 minutes) for the first 10, so their pools keep scaling 0 → 2 → 0 with real processes;
 * - an HTTPScaledObject whose pool (a small Node HTTP server) gets `--rate` requests per second
 *   through the proxy for the whole run (open loop), and one scaled to zero that gets a request
 *   every 3 minutes (a cold start each time, after its 10 s scaledownPeriod);
 * - every 5 minutes one manifest file is rewritten (same content), so the watcher reloads.
 *
 * Every `--sample` seconds: RSS, open file descriptors and threads of the tidal process (/proc),
 * its child processes, Node's active resources (`tidal_process_active_resources`) and every timer,
 * unreferenced ones included (`tidal_process_timers`, which TIDAL_COUNT_TIMERS=1 turns on). The verdict (bench/soak-analysis.ts) compares the first and last 10 minutes
 * after a warm-up of 10 minutes (or a sixth of the run, whichever is shorter). Results go to
 * bench/results/soak.json and soak.md; the markdown is printed. Nothing is asserted here.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { forkTracked, stopAll, stopChild, stopChildrenOnExit } from "./lib/children.ts";
import { LoadClient, type LoadResult } from "./lib/load-client.ts";
import { machineInfo } from "./lib/machine.ts";
import { readProcess } from "./lib/proc.ts";
import { parseHistogram } from "./lib/prometheus.ts";
import { round } from "./lib/stats.ts";
import { TidalRun } from "./lib/tidal.ts";
import { analyseSoak, SERIES, type SoakSample } from "./soak-analysis.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const WORKER = fileURLToPath(new URL("./fixtures/http-worker.js", import.meta.url));
const MINUTE = 60_000;
const OSCILLATING = 10;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

if (process.argv.includes("--help")) {
  process.stdout.write(
    "usage: node bench/soak.ts [--minutes 60] [--objects 1000] [--rate 100] [--polling 10] [--sample 10]\n",
  );
  process.exit(0);
}
const minutes = option("minutes", 60);
const objects = option("objects", 1000);
const rate = option("rate", 100);
const pollingSeconds = option("polling", 10);
const sampleSeconds = option("sample", 10);
const durationMs = minutes * MINUTE;

function writeManifests(directory: string, metricPort: number): string {
  const documents: string[] = [];
  for (let index = 0; index < objects; index++) {
    const id = String(index).padStart(5, "0");
    documents.push(`apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata: { name: pool-${id} }
spec:
  command: [sleep, "3600"]
  terminationGracePeriodSeconds: 1
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: so-${id} }
spec:
  scaleTargetRef: { apiVersion: tidal.dev/v1alpha1, kind: ProcessPool, name: pool-${id} }
  pollingInterval: ${pollingSeconds}
  cooldownPeriod: 30
  maxReplicaCount: 2
  triggers:
    - type: metrics-api
      metadata:
        url: http://127.0.0.1:${metricPort}/metric/${index}
        valueLocation: value
        targetValue: "10"
`);
  }
  writeFileSync(join(directory, "objects.yaml"), documents.join("---\n"));
  const http = (name: string, min: number, scaledownPeriod: number) => `apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata: { name: ${name} }
spec:
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(WORKER)}]
  terminationGracePeriodSeconds: 2
---
apiVersion: http.keda.sh/v1alpha1
kind: HTTPScaledObject
metadata: { name: ${name} }
spec:
  hosts: [${name}.soak]
  scaleTargetRef: { name: ${name} }
  replicas: { min: ${min}, max: 2 }
  scaledownPeriod: ${scaledownPeriod}
  scalingMetric: { concurrency: { targetValue: 50 } }
`;
  const httpFile = join(directory, "http.yaml");
  writeFileSync(httpFile, [http("warm", 1, 30), http("cold", 0, 10)].join("---\n"));
  return httpFile;
}

async function startMetricServer(): Promise<{ stop: () => Promise<void>; port: number }> {
  const child = forkTracked(fileURLToPath(new URL("./soak-metric-server.ts", import.meta.url)), [], {
    env: { ...process.env, SOAK_OSCILLATING: String(OSCILLATING) },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port: number }) => resolve(message.port));
    child.once("exit", (code) => reject(new Error(`metric server exited with ${code}`)));
  });
  return { port, stop: () => stopChild(child, 5000) };
}

function countChildren(pid: number): number {
  let count = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) count += 1;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

function statusField(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
}

/** One GET with a Host header: status and milliseconds to the end of the body. */
function timedGet(url: string, host: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const outgoing = request(url, { headers: { host }, agent: false }, (response) => {
      response.resume();
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }),
      );
    });
    outgoing.on("error", () => resolve({ status: 0, ms: performance.now() - started }));
    outgoing.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

stopChildrenOnExit();
const machine = machineInfo(root);
process.stderr.write(
  `soak: ${objects} ScaledObjects (polling ${pollingSeconds} s), ${rate} req/s through the proxy, ${minutes} min; ${String(machine.cores)} cores, load ${loadavg()[0]?.toFixed(1)}\n`,
);
const metric = await startMetricServer();
const directory = mkdtempSync(join(tmpdir(), "tidal-soak-"));
const httpFile = writeManifests(directory, metric.port);
const launched = performance.now();
const tidal = await TidalRun.start(root, [directory], {
  watch: true,
  startTimeoutMs: 15 * MINUTE,
  env: { TIDAL_COUNT_TIMERS: "1" },
});
const startupSeconds = (performance.now() - launched) / 1000;
const proxy = tidal.httpProxyUrl as string;
const started = performance.now();
const elapsed = () => performance.now() - started;
const samples: SoakSample[] = [];
const loadChunks: { at: number; result: LoadResult }[] = [];
const coldStarts: { at: number; status: number; ms: number }[] = [];
const evaluations: { at: number; count: number }[] = [];
let reloads = 0;
const taskFailures: { at: number; error: string }[] = [];
const load = new LoadClient();
let errorLines = 0;
tidal.onLog((line) => {
  if (line.level === "error") errorLines += 1;
});

async function sample(): Promise<void> {
  const metrics = await tidal.get<string>(
    "/metrics?name=tidal_process_active_resources&name=tidal_process_timers&name=tidal_scheduling_lag_seconds",
  );
  let resources = 0;
  for (const match of metrics.matchAll(/^tidal_process_active_resources\{type="[^"]+"\} (\d+)$/gm))
    resources += Number(match[1]);
  const timers = Number(/^tidal_process_timers (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
  evaluations.push({ at: elapsed(), count: parseHistogram(metrics, "tidal_scheduling_lag_seconds").count });
  samples.push({
    at: elapsed(),
    rssMiB: round(readProcess(tidal.pid).rssBytes / 2 ** 20),
    fds: readdirSync(`/proc/${tidal.pid}/fd`).length,
    threads: statusField(tidal.pid, "Threads"),
    children: countChildren(tidal.pid),
    resources,
    timers,
  });
}

function progress(): void {
  const last = samples.at(-1);
  const chunk = loadChunks.at(-1)?.result;
  if (!last) return;
  process.stderr.write(
    `  ${(last.at / MINUTE).toFixed(1)} min: RSS ${last.rssMiB} MiB, fds ${last.fds}, timers ${last.timers}, resources ${last.resources}, children ${last.children}` +
      (chunk
        ? `, proxy ${chunk.throughput.toFixed(0)} req/s, ${chunk.errors} errors, p99 ${chunk.latencyMs.p99.toFixed(1)} ms`
        : "") +
      "\n",
  );
}

const over = () => elapsed() >= durationMs;
/** Sleeps, but never past the end of the run. */
const pause = (ms: number) => sleep(Math.max(0, Math.min(ms, durationMs - elapsed())));
/** Runs `task` every `everyMs` (the first time after `offsetMs`) until the run is over. */
const every = (everyMs: number, offsetMs: number, task: () => Promise<void>) =>
  (async () => {
    await pause(offsetMs);
    while (!over()) {
      const next = performance.now() + everyMs;
      // A failed sample or request (a connection reset on a loaded machine) is counted and the
      // run goes on: one failure must not end an hour's run.
      await task().catch((error: unknown) => {
        taskFailures.push({
          at: elapsed(),
          error: (error as Error).cause ? String((error as Error).cause) : String(error),
        });
      });
      await pause(next - performance.now());
    }
  })();

try {
  await Promise.all([
    every(0, 0, async () => {
      const remaining = durationMs - elapsed();
      if (remaining < 1000) return;
      const result = await load.run({
        urls: [`${proxy}/`],
        headers: { host: "warm.soak" },
        mode: "open",
        rate,
        maxInFlight: 64,
        warmupMs: 0,
        durationMs: Math.min(MINUTE, remaining),
      });
      loadChunks.push({ at: elapsed(), result });
    }),
    every(3 * MINUTE, 30_000, async () => {
      coldStarts.push({ at: elapsed(), ...(await timedGet(`${proxy}/`, "cold.soak")) });
    }),
    every(5 * MINUTE, 5 * MINUTE, async () => {
      writeFileSync(httpFile, readFileSync(httpFile, "utf8"));
      reloads += 1;
    }),
    every(sampleSeconds * 1000, 0, async () => {
      await sample();
      if (samples.length % Math.max(1, Math.round(300 / sampleSeconds)) === 1) progress();
    }),
  ]);
  await sample();
  progress();
} finally {
  await load.close();
  await tidal.stop();
  await metric.stop();
  await stopAll();
}

const warmupMs = Math.min(10 * MINUTE, durationMs / 6);
const windowMs = Math.min(10 * MINUTE, (durationMs - warmupMs) / 3);
const analysis = analyseSoak(samples, { warmupMs, windowMs });
const requests = loadChunks.reduce((sum, chunk) => sum + chunk.result.requests, 0);
const errors = loadChunks.reduce((sum, chunk) => sum + chunk.result.errors, 0);
const evaluationRate =
  evaluations.length > 1
    ? ((evaluations.at(-1)!.count - evaluations[0]!.count) / (evaluations.at(-1)!.at - evaluations[0]!.at)) *
      1000
    : 0;

/** The curve: a row every five minutes (shorter runs: a twelfth of the run), the sample nearest each mark. */
const rows: string[] = [];
const rowEvery = Math.min(5 * MINUTE, Math.max(MINUTE / 6, durationMs / 12));
for (let mark = 0; mark <= durationMs; mark += rowEvery) {
  const nearest = samples.reduce((best, sample) =>
    Math.abs(sample.at - mark) < Math.abs(best.at - mark) ? sample : best,
  );
  const chunk = loadChunks.find((entry) => entry.at >= nearest.at) ?? loadChunks.at(-1);
  rows.push(
    `| ${(nearest.at / MINUTE).toFixed(1)} | ${nearest.rssMiB} | ${nearest.fds} | ${nearest.threads} | ${nearest.children} | ${nearest.resources} | ${nearest.timers} | ${chunk ? chunk.result.throughput.toFixed(0) : ""} | ${chunk ? chunk.result.latencyMs.p99.toFixed(1) : ""} |`,
  );
}
const markdown = `# Soak: ${objects} ScaledObjects, ${rate} req/s through the proxy, ${minutes} minutes

Machine: ${String(machine.cores)} cores, ${String(machine.cpuModel)}, Node ${process.version}, commit ${String(machine.commit ?? "")}; load average at the end ${loadavg()
  .map((value) => value.toFixed(1))
  .join(
    " ",
  )}. Start of tidal run: ${startupSeconds.toFixed(1)} s. Evaluations: ${evaluationRate.toFixed(1)}/s (${objects} objects every ${pollingSeconds} s ask for ${(objects / pollingSeconds).toFixed(1)}/s, plus HPA syncs). Proxy: ${requests} requests, ${errors} errors. Cold starts: ${coldStarts.length} (${coldStarts.filter((entry) => entry.status === 200).length} answered 200, slowest ${Math.max(0, ...coldStarts.map((entry) => entry.ms)).toFixed(0)} ms). Reloads: ${reloads}. Error log lines: ${errorLines}. Failed samples or requests of this harness: ${taskFailures.length}${taskFailures.length > 0 ? ` (first: ${taskFailures[0]!.error})` : ""}.

| minute | RSS MiB | fds | threads | children | active resources | timers | proxy req/s | proxy p99 ms |
| -----: | ------: | --: | ------: | -------: | ---------------: | -----: | ----------: | -----------: |
${rows.join("\n")}

Growth after a ${(warmupMs / MINUTE).toFixed(0)}-minute warm-up (first vs last ${(windowMs / MINUTE).toFixed(0)} minutes, medians):

| series | first | last | allowed | slope per hour | grows |
| ------ | ----: | ---: | ------: | -------------: | ----- |
${analysis.verdicts
  .map(
    (verdict) =>
      `| ${verdict.series} | ${verdict.firstWindowMedian} | ${verdict.lastWindowMedian} | +${verdict.allowance} | ${verdict.slopePerHour} | ${verdict.grows ? "**yes**" : "no"} |`,
  )
  .join("\n")}

Verdict: ${analysis.grows ? "**something grows**" : "no growth after warm-up"}.
`;
const results = join(root, "bench", "results");
mkdirSync(results, { recursive: true });
writeFileSync(
  join(results, "soak.json"),
  `${JSON.stringify({ machine, objects, rate, minutes, pollingSeconds, startupSeconds, samples, loadChunks, coldStarts, evaluations, reloads, errorLines, taskFailures, analysis, series: SERIES }, null, 2)}\n`,
);
writeFileSync(join(results, "soak.md"), markdown);
process.stdout.write(markdown);
