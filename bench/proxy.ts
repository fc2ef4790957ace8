/**
 * Section 4, the HTTP proxy for HTTPScaledObjects: a real `tidal run` with two ProcessPools of a
 * tiny Node HTTP worker. Requests from a separate load process go straight to a warm worker and
 * through the proxy to the same worker, alternating, in rounds (medians reported):
 * - latency at concurrency 1 (added p50/p99 = proxy − direct);
 * - throughput at concurrency 32 (ratio proxy ÷ direct).
 * Cold start: with the second pool at zero, the time from a request to its response through the
 * proxy (the proxy holds it while the pool scales from zero and the worker starts listening).
 */
import { request } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LoadClient, type LoadResult } from "./lib/load-client.ts";
import { figure, type SectionResult } from "./lib/report.ts";
import { distribution, median, round } from "./lib/stats.ts";
import { TidalRun } from "./lib/tidal.ts";

const WORKER = fileURLToPath(new URL("./fixtures/http-worker.js", import.meta.url));

function manifests(): string {
  const directory = mkdtempSync(join(tmpdir(), "tidal-bench-proxy-"));
  const pool = (name: string) => `apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata:
  name: ${name}
spec:
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(WORKER)}]
  terminationGracePeriodSeconds: 2
`;
  const scaled = (name: string, host: string, min: number) => `apiVersion: http.keda.sh/v1alpha1
kind: HTTPScaledObject
metadata:
  name: ${name}
spec:
  hosts: [${host}]
  scaleTargetRef:
    name: ${name}
  replicas:
    min: ${min}
    max: 1
  scaledownPeriod: 1
  scalingMetric:
    concurrency:
      targetValue: 1000
`;
  const file = join(directory, "proxy.yaml");
  writeFileSync(
    file,
    [pool("warm"), scaled("warm", "warm.bench", 1), pool("cold"), scaled("cold", "cold.bench", 0)].join(
      "---\n",
    ),
  );
  return file;
}

interface PoolView {
  name: string;
  workers: { state: string; port?: number }[];
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One GET with a Host header; resolves with milliseconds from sending to the end of the body. */
function timedGet(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const outgoing = request(url, { headers: { host }, agent: false }, (response) => {
      response.resume();
      response.on("end", () =>
        response.statusCode === 200
          ? resolve(performance.now() - started)
          : reject(new Error(`HTTP ${response.statusCode}`)),
      );
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

export async function proxySection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const tidal = await TidalRun.start(options.root, [manifests()]);
  const load = new LoadClient();
  try {
    const pools = () => tidal.get<PoolView[]>("/api/v1/processpools");
    const workerPort = await waitFor(
      "the warm worker",
      async () =>
        (await pools())
          .find((pool) => pool.name === "warm")
          ?.workers.find((worker) => worker.state === "ready")?.port,
      30_000,
    );
    const proxy = tidal.httpProxyUrl as string;
    const direct = { urls: [`http://127.0.0.1:${workerPort}/`] };
    const proxied = { urls: [`${proxy}/`], headers: { host: "warm.bench" } };
    const warmupMs = options.quick ? 500 : 1000;
    const durationMs = options.quick ? 3000 : 6000;
    const rounds = options.quick ? 1 : 3;
    // Warm-up of both paths (JIT, pooled connections).
    for (const target of [direct, proxied])
      await load.run({ ...target, mode: "closed", concurrency: 32, warmupMs: 0, durationMs: 2000 });
    const results: { round: number; path: string; kind: string; result: LoadResult }[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [kind, concurrency] of [
        ["latency", 1],
        ["throughput", 32],
      ] as const) {
        for (const [path, target] of round % 2 === 0
          ? ([
              ["direct", direct],
              ["proxy", proxied],
            ] as const)
          : ([
              ["proxy", proxied],
              ["direct", direct],
            ] as const)) {
          results.push({
            round,
            path,
            kind,
            result: await load.run({ ...target, mode: "closed", concurrency, warmupMs, durationMs }),
          });
        }
      }
    }
    const pick = (path: string, kind: string) =>
      results.filter((entry) => entry.path === path && entry.kind === kind).map((entry) => entry.result);
    const med = (path: string, kind: string, read: (result: LoadResult) => number) =>
      median(pick(path, kind).map(read));
    const addedP50 =
      med("proxy", "latency", (r) => r.latencyMs.p50) - med("direct", "latency", (r) => r.latencyMs.p50);
    const addedP99 =
      med("proxy", "latency", (r) => r.latencyMs.p99) - med("direct", "latency", (r) => r.latencyMs.p99);
    const throughputRatio =
      med("proxy", "throughput", (r) => r.throughput) / med("direct", "throughput", (r) => r.throughput);

    // Cold starts: wait for zero workers, then one request through the proxy.
    const colds: number[] = [];
    for (let attempt = 0; attempt < (options.quick ? 3 : 7); attempt++) {
      await waitFor(
        "the cold pool at zero",
        async () =>
          (await pools()).find((pool) => pool.name === "cold")?.workers.length === 0 ? true : undefined,
        60_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      colds.push(await timedGet(`${proxy}/`, "cold.bench"));
    }
    const cold = distribution(colds);
    const summary = (path: string, kind: string) =>
      pick(path, kind).map((r) => ({
        throughput: round(r.throughput),
        p50Ms: round(r.latencyMs.p50),
        p99Ms: round(r.latencyMs.p99),
        errors: r.errors,
      }));
    return {
      id: "proxy",
      title: "4. HTTP proxy overhead (HTTPScaledObject, warm pool vs straight to the worker)",
      figures: [
        figure("proxy.addedLatencyP50", "added latency p50 (concurrency 1)", addedP50, "ms", {
          comparison: "at most",
          value: 2,
        }),
        figure("proxy.addedLatencyP99", "added latency p99 (concurrency 1)", addedP99, "ms", {
          comparison: "at most",
          value: 2,
        }),
        figure(
          "proxy.throughputRatio",
          "throughput through the proxy ÷ direct (concurrency 32)",
          throughputRatio,
          "×",
        ),
        figure(
          "proxy.directThroughput",
          "direct throughput (concurrency 32)",
          med("direct", "throughput", (r) => r.throughput),
          "req/s",
        ),
        figure(
          "proxy.proxyThroughput",
          "proxy throughput (concurrency 32)",
          med("proxy", "throughput", (r) => r.throughput),
          "req/s",
        ),
        figure(
          "proxy.coldStartP50",
          `cold start p50 (first request at zero → response, ${colds.length} runs)`,
          cold.p50,
          "ms",
        ),
        figure("proxy.coldStartMax", "cold start max", cold.max, "ms"),
      ],
      details: {
        rounds,
        warmupMs,
        durationMs,
        direct: { latency: summary("direct", "latency"), throughput: summary("direct", "throughput") },
        proxy: { latency: summary("proxy", "latency"), throughput: summary("proxy", "throughput") },
        coldStartsMs: colds.map(round),
      },
      notes: [
        "Target: a warm proxy adds at most a millisecond or two (checked at 2 ms, p50 and p99).",
        `Medians over ${rounds} round(s) of ${durationMs / 1000} s per path and load, paths alternating; the load process, tidal run (the proxy) and the worker are three processes on ${"this machine's"} cores, so at concurrency 32 they compete for CPU and the ratio is a lower bound of what more cores give.`,
        "Cold start includes the scheduler's wake on demand, spawning Node for the worker, and the proxy's TCP readiness wait; the worker is a plain Node HTTP server.",
      ],
    };
  } finally {
    await load.close();
    await tidal.stop();
  }
}
