/**
 * Direct to a worker vs through a proxy to the same worker, in alternating rounds from one load
 * process: latency at concurrency 1 (added p50/p99 = proxy − direct, medians over rounds) and
 * throughput at concurrency 32 (ratio proxy ÷ direct). Shared by the standalone proxy section and
 * the interceptor on Kubernetes.
 */
import type { LoadClient, LoadJob, LoadResult } from "./load-client.ts";
import { median, round } from "./stats.ts";

type Target = Pick<LoadJob, "urls" | "headers">;

export interface PathComparison {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  addedP50: number;
  addedP99: number;
  throughputRatio: number;
  directThroughput: number;
  proxyThroughput: number;
  /** Every run, per path and load, in round order. */
  runs: {
    direct: { latency: RunSummary[]; throughput: RunSummary[] };
    proxy: { latency: RunSummary[]; throughput: RunSummary[] };
  };
}

interface RunSummary {
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
}

export async function comparePaths(
  load: LoadClient,
  direct: Target,
  proxied: Target,
  options: { quick: boolean },
): Promise<PathComparison> {
  const warmupMs = options.quick ? 500 : 1000;
  const durationMs = options.quick ? 3000 : 6000;
  const rounds = options.quick ? 1 : 3;
  // Warm-up of both paths (JIT, pooled connections).
  for (const target of [direct, proxied])
    await load.run({ ...target, mode: "closed", concurrency: 32, warmupMs: 0, durationMs: 2000 });
  const results: { path: "direct" | "proxy"; kind: "latency" | "throughput"; result: LoadResult }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [kind, concurrency] of [
      ["latency", 1],
      ["throughput", 32],
    ] as const) {
      const order = round % 2 === 0 ? (["direct", "proxy"] as const) : (["proxy", "direct"] as const);
      for (const path of order) {
        const target = path === "direct" ? direct : proxied;
        results.push({
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
  const summary = (path: string, kind: string): RunSummary[] =>
    pick(path, kind).map((r) => ({
      throughput: round(r.throughput),
      p50Ms: round(r.latencyMs.p50),
      p99Ms: round(r.latencyMs.p99),
      errors: r.errors,
      ...(r.firstError === undefined ? {} : { firstError: r.firstError }),
    }));
  const directThroughput = med("direct", "throughput", (r) => r.throughput);
  const proxyThroughput = med("proxy", "throughput", (r) => r.throughput);
  return {
    rounds,
    warmupMs,
    durationMs,
    addedP50:
      med("proxy", "latency", (r) => r.latencyMs.p50) - med("direct", "latency", (r) => r.latencyMs.p50),
    addedP99:
      med("proxy", "latency", (r) => r.latencyMs.p99) - med("direct", "latency", (r) => r.latencyMs.p99),
    throughputRatio: proxyThroughput / directThroughput,
    directThroughput,
    proxyThroughput,
    runs: {
      direct: { latency: summary("direct", "latency"), throughput: summary("direct", "throughput") },
      proxy: { latency: summary("proxy", "latency"), throughput: summary("proxy", "throughput") },
    },
  };
}
