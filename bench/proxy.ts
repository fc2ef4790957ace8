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
import { LoadClient } from "./lib/load-client.ts";
import { comparePaths } from "./lib/path-comparison.ts";
import { figure, type SectionResult } from "./lib/report.ts";
import { distribution, round } from "./lib/stats.ts";
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
    const compared = await comparePaths(
      load,
      { urls: [`http://127.0.0.1:${workerPort}/`] },
      { urls: [`${proxy}/`], headers: { host: "warm.bench" } },
      options,
    );
    const { rounds, durationMs } = compared;

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
    return {
      id: "proxy",
      title: "4. HTTP proxy overhead (HTTPScaledObject, warm pool vs straight to the worker)",
      figures: [
        figure("proxy.addedLatencyP50", "added latency p50 (concurrency 1)", compared.addedP50, "ms", {
          comparison: "at most",
          value: 2,
        }),
        figure("proxy.addedLatencyP99", "added latency p99 (concurrency 1)", compared.addedP99, "ms", {
          comparison: "at most",
          value: 2,
        }),
        figure(
          "proxy.throughputRatio",
          "throughput through the proxy ÷ direct (concurrency 32)",
          compared.throughputRatio,
          "×",
          { comparison: "at least", value: 0.8 },
        ),
        figure(
          "proxy.directThroughput",
          "direct throughput (concurrency 32)",
          compared.directThroughput,
          "req/s",
        ),
        figure(
          "proxy.proxyThroughput",
          "proxy throughput (concurrency 32)",
          compared.proxyThroughput,
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
        warmupMs: compared.warmupMs,
        durationMs,
        ...compared.runs,
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
