/**
 * Section 3, the external metrics API: GETs of external metrics from a separate load process
 * against Tidal's HTTPS metrics server in another process.
 * - Closed loop at rising concurrency: throughput and p50/p99 per step; the highest throughput
 *   whose p99 stays under 5 ms.
 * - Open loop at fixed rates (latency counted from the scheduled send): p50/p99 at 2,000 req/s,
 *   the target, and the highest rate tried whose p99 stays under 5 ms.
 */
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { forkTracked, stopChild } from "./lib/children.ts";
import { LoadClient, type LoadResult } from "./lib/load-client.ts";
import { cpuPercent, readProcess } from "./lib/proc.ts";
import { figure, type SectionResult } from "./lib/report.ts";
import { round } from "./lib/stats.ts";

const OBJECTS = 1000;
const P99_LIMIT_MS = 5;
const TARGET_RATE = 2000;

async function startServer(): Promise<{ child: ChildProcess; port: number; floorPort: number }> {
  const child = forkTracked(fileURLToPath(new URL("./metrics-api-server.ts", import.meta.url)), [
    String(OBJECTS),
  ]);
  const ports = await new Promise<{ port: number; floorPort: number }>((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`metrics server exited with ${code}`)));
  });
  return { child, ...ports };
}

/** The run whose p99 is the median of the runs. */
function medianRun<T extends { p99Ms: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.p99Ms - b.p99Ms)[Math.floor(runs.length / 2)] as T;
}

function step<E extends Record<string, number>>(result: LoadResult, extra: E, cpu: number) {
  return {
    ...extra,
    throughput: round(result.throughput),
    p50Ms: round(result.latencyMs.p50),
    p99Ms: round(result.latencyMs.p99),
    maxMs: round(result.latencyMs.max),
    errors: result.errors,
    serverCpuPercent: round(cpu),
  };
}

export async function metricsApiSection(options: {
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const { child, port, floorPort } = await startServer();
  const load = new LoadClient();
  const urls = Array.from(
    { length: 200 },
    (_, index) =>
      `https://127.0.0.1:${port}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/s0-redis-jobs` +
      `?labelSelector=${encodeURIComponent(`scaledobject.keda.sh/name=so-${(index * 37) % OBJECTS}`)}`,
  );
  const base = { urls, insecure: true, headers: { accept: "application/json" } };
  const durationMs = options.quick ? 3000 : 8000;
  const warmupMs = options.quick ? 1000 : 2000;
  const measured = async (run: () => Promise<LoadResult>) => {
    const before = readProcess(child.pid as number);
    const result = await run();
    return { result, cpu: cpuPercent(before, readProcess(child.pid as number)) };
  };
  try {
    // Warm-up: JIT, selector cache, and the connections the steps reuse (TLS handshakes happen here).
    await load.run({ ...base, mode: "closed", concurrency: 128, warmupMs: 0, durationMs: 3000 });
    const closed = [];
    for (const concurrency of options.quick ? [1, 4, 16, 64] : [1, 2, 4, 8, 16, 32, 64, 128]) {
      const { result, cpu } = await measured(() =>
        load.run({ ...base, mode: "closed", concurrency, warmupMs, durationMs }),
      );
      closed.push(step(result, { concurrency }, cpu));
    }
    // At the target rate: runs of Tidal's server and of the bare floor server, alternating.
    const repetitions = options.quick ? 1 : 3;
    const floorUrls = [
      `https://127.0.0.1:${floorPort}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/s0-redis-jobs`,
    ];
    await load.run({
      ...base,
      urls: floorUrls,
      mode: "closed",
      concurrency: 128,
      warmupMs: 0,
      durationMs: 2000,
    });
    const targetRuns = [];
    const floorRuns = [];
    for (let run = 0; run < repetitions; run++) {
      const { result, cpu } = await measured(() =>
        load.run({ ...base, mode: "open", rate: TARGET_RATE, maxInFlight: 256, warmupMs, durationMs }),
      );
      targetRuns.push(step(result, { rate: TARGET_RATE }, cpu));
      const floorResult = await load.run({
        ...base,
        urls: floorUrls,
        mode: "open",
        rate: TARGET_RATE,
        maxInFlight: 256,
        warmupMs,
        durationMs,
      });
      floorRuns.push(step(floorResult, { rate: TARGET_RATE }, 0));
    }
    const open = [{ ...medianRun(targetRuns), runs: targetRuns.length }];
    for (const rate of options.quick ? [1000, 4000] : [500, 1000, 3000, 4000, 6000]) {
      const { result, cpu } = await measured(() =>
        load.run({ ...base, mode: "open", rate, maxInFlight: 256, warmupMs, durationMs }),
      );
      open.push({ ...step(result, { rate }, cpu), runs: 1 });
    }
    open.sort((a, b) => a.rate - b.rate);
    const atTarget = open.find((entry) => entry.rate === TARGET_RATE);
    const floor = medianRun(floorRuns);
    const bestClosed = closed.filter((entry) => entry.p99Ms < P99_LIMIT_MS && entry.errors === 0).at(-1);
    const bestClosedRate = Math.max(
      0,
      ...closed
        .filter((entry) => entry.p99Ms < P99_LIMIT_MS && entry.errors === 0)
        .map((entry) => entry.throughput),
    );
    const bestOpen = Math.max(
      0,
      ...open
        .filter(
          (entry) =>
            entry.p99Ms < P99_LIMIT_MS && entry.errors === 0 && entry.throughput >= entry.rate * 0.98,
        )
        .map((entry) => entry.rate),
    );
    return {
      id: "metricsApi",
      title: "3. External metrics API (HTTPS GET external.metrics.k8s.io, separate load process)",
      figures: [
        figure(
          "metricsApi.p50AtTargetRate",
          `p50 at ${TARGET_RATE} req/s (open loop)`,
          atTarget?.p50Ms ?? null,
          "ms",
        ),
        figure(
          "metricsApi.p99AtTargetRate",
          `p99 at ${TARGET_RATE} req/s (open loop${repetitions > 1 ? `, median of ${repetitions} runs` : ""})`,
          atTarget?.p99Ms ?? null,
          "ms",
          { comparison: "below", value: P99_LIMIT_MS },
        ),
        figure(
          "metricsApi.floorP99AtTargetRate",
          `floor: bare Node HTTPS server, p99 at ${TARGET_RATE} req/s`,
          floor.p99Ms,
          "ms",
          undefined,
          "the same client, TLS and machine without Tidal's code: what this machine can show",
        ),
        figure(
          "metricsApi.highestOpenRateP99Under5ms",
          "highest open-loop rate tried with p99 < 5 ms",
          bestOpen,
          "req/s",
          { comparison: "at least", value: TARGET_RATE },
        ),
        figure(
          "metricsApi.highestClosedThroughputP99Under5ms",
          "highest closed-loop throughput with p99 < 5 ms",
          bestClosedRate,
          "req/s",
          { comparison: "at least", value: TARGET_RATE },
          bestClosed ? `at concurrency ${bestClosed.concurrency}` : undefined,
        ),
      ],
      details: {
        objects: OBJECTS,
        warmupMs,
        durationMs,
        closedLoop: closed,
        openLoop: open,
        floor: floorRuns,
      },
      notes: [
        `Server: createExternalMetricsServer (TLS, self-signed P-256 certificate, clientAuth "none"), synchronous lookup over ${OBJECTS} objects, 200 different selectors in turn; keep-alive connections, as the aggregator keeps them.`,
        "Load process separate from the server; on this machine both share its cores with each other, so the client's own CPU limits the highest rates.",
        `Closed loop: ${closed.map((entry) => `c${entry.concurrency} ${entry.throughput}/s p99 ${entry.p99Ms} ms`).join(" · ")}`,
        `Open loop: ${open.map((entry) => `${entry.rate}/s → p50 ${entry.p50Ms} ms p99 ${entry.p99Ms} ms (server CPU ${entry.serverCpuPercent}%)`).join(" · ")}`,
      ],
    };
  } finally {
    await load.close();
    child.disconnect();
    await stopChild(child, 5000);
  }
}
