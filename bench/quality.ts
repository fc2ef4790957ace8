/**
 * Section 5, scaling quality: `tidal simulate --workload` on three seeded arrival traces (steady,
 * diurnal, bursty; bench/traces.ts) with one service model — each ready replica drains 5 items/s,
 * a new replica serves 10 s after it is asked for — and one SLO: wait p95 ≤ 30 s.
 *
 * - KEDA's defaults: a ScaledObject with nothing but its redis trigger (pollingInterval 30,
 *   cooldownPeriod 300, listLength 5, the HPA's default behavior), as KEDA runs it (KEDA's loop
 *   every pollingInterval plus an HPA sync every 15 s: --mode hpa); and the same object as
 *   `tidal run` runs it (--mode direct).
 * - Tidal's best settings: a grid of pollingInterval, listLength, cooldownPeriod, scale-down
 *   stabilization and scale-up policy, in direct mode; the fewest replica-seconds within the SLO.
 * - The offline optimum (bench/optimum.ts): lower and upper bounds of the fewest replica-seconds
 *   within the SLO with the whole trace known.
 * The grid runs in-process through simulateWorkload (the CLI's function) in worker threads; the
 * reported figures of each setting come from the CLI itself.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { stringify } from "yaml";
import {
  initialReplicas,
  KEDA_DEFAULTS,
  SERVICE_RATE,
  scaledObjectDocument,
  simulateSettings,
  SLO_SECONDS,
  STARTUP_SECONDS,
  type Outcome,
  type Settings,
} from "./quality-model.ts";
import { figure, type Figure, type SectionResult } from "./lib/report.ts";
import { round } from "./lib/stats.ts";
import { generateTrace, TRACE_SEEDS, TRACE_SHAPES, traceCsv, type TraceShape } from "./traces.ts";

const SEEDS = TRACE_SEEDS;

interface WorkerResult {
  shape: TraceShape;
  gridSize: number;
  gridSeconds: number;
  gridWithinSlo: number;
  chosen: { settings: Settings; outcome: Outcome };
  optimum: {
    lowerBound: number;
    upperBound: number;
    upperBoundWaitP95Seconds: number;
    maxReplicas: number;
    maxQueueUnits: number;
    seconds: number;
    prices: { relaxed: boolean; lambda: number; dual: number }[];
  };
}

function runWorker(shape: TraceShape, seconds: number, quick: boolean): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./quality-worker.ts", import.meta.url), {
      workerData: { shape, seconds, seed: SEEDS[shape], quick },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once(
      "exit",
      (code) => code !== 0 && reject(new Error(`quality worker for ${shape} exited with ${code}`)),
    );
  });
}

/** Runs tasks with at most `limit` at once, keeping their order. */
async function limited<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/** `tidal simulate --workload … -o json`: the summary it prints. */
function cli(
  root: string,
  directory: string,
  name: string,
  settings: Settings,
  csv: string,
  initial: number,
  seconds: number,
): Outcome {
  const file = join(directory, `${name}.yaml`);
  writeFileSync(file, stringify(scaledObjectDocument(name, settings)));
  const output = execFileSync(
    process.execPath,
    [
      "bin/tidal.js",
      "simulate",
      "-f",
      file,
      "--workload",
      csv,
      "--service-rate",
      String(SERVICE_RATE),
      "--startup-delay",
      String(STARTUP_SECONDS),
      "--initial-replicas",
      String(initial),
      "--duration",
      String(seconds),
      "--mode",
      settings.mode,
      "-o",
      "json",
    ],
    { cwd: root, encoding: "utf8", maxBuffer: 256 * 2 ** 20 },
  );
  const { summary } = JSON.parse(output) as { summary: Outcome };
  return {
    replicaSeconds: summary.replicaSeconds,
    waitP95Seconds: summary.waitP95Seconds,
    maxReplicas: summary.maxReplicas,
  };
}

function describe(settings: Settings): string {
  return `pollingInterval ${settings.pollingInterval}, listLength ${settings.listLength}, cooldownPeriod ${settings.cooldownPeriod}, scale-down stabilization ${settings.scaleDownStabilizationSeconds} s, scale-up ${settings.scaleUp === "fast" ? "100 pods/s" : "HPA default"}`;
}

export async function qualitySection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const seconds = options.quick ? 1200 : 3600;
  const directory = mkdtempSync(join(tmpdir(), "tidal-bench-quality-"));
  const searched = await limited(
    2,
    TRACE_SHAPES.map((shape) => () => runWorker(shape, seconds, options.quick)),
  );
  const figures: Figure[] = [];
  const details = [];
  const notes: string[] = [];
  for (const result of searched) {
    const { shape } = result;
    const trace = generateTrace(shape, seconds, SEEDS[shape]);
    const csv = join(directory, `${shape}.csv`);
    writeFileSync(csv, traceCsv(trace));
    const initial = initialReplicas(trace);
    const keda = cli(options.root, directory, `${shape}-keda-defaults`, KEDA_DEFAULTS, csv, initial, seconds);
    const kedaDirect = cli(
      options.root,
      directory,
      `${shape}-keda-defaults-direct`,
      { ...KEDA_DEFAULTS, mode: "direct" },
      csv,
      initial,
      seconds,
    );
    const tidal = cli(
      options.root,
      directory,
      `${shape}-tidal-best`,
      result.chosen.settings,
      csv,
      initial,
      seconds,
    );
    const inProcess = simulateSettings(trace, KEDA_DEFAULTS);
    const agrees =
      inProcess.replicaSeconds === keda.replicaSeconds &&
      result.chosen.outcome.replicaSeconds === tidal.replicaSeconds;
    const { lowerBound, upperBound } = result.optimum;
    const slo = { comparison: "at most" as const, value: SLO_SECONDS };
    figures.push(
      figure(
        `quality.${shape}.keda.replicaSeconds`,
        `${shape}: KEDA defaults (hpa) replica-seconds`,
        keda.replicaSeconds,
        "replica·s",
      ),
      figure(
        `quality.${shape}.keda.waitP95`,
        `${shape}: KEDA defaults (hpa) wait p95`,
        keda.waitP95Seconds,
        "s",
        slo,
      ),
      figure(
        `quality.${shape}.kedaDirect.replicaSeconds`,
        `${shape}: KEDA defaults in tidal run (direct) replica-seconds`,
        kedaDirect.replicaSeconds,
        "replica·s",
      ),
      figure(
        `quality.${shape}.kedaDirect.waitP95`,
        `${shape}: KEDA defaults in tidal run (direct) wait p95`,
        kedaDirect.waitP95Seconds,
        "s",
        slo,
      ),
      figure(
        `quality.${shape}.tidal.replicaSeconds`,
        `${shape}: Tidal best settings replica-seconds`,
        tidal.replicaSeconds,
        "replica·s",
      ),
      figure(
        `quality.${shape}.tidal.waitP95`,
        `${shape}: Tidal best settings wait p95`,
        tidal.waitP95Seconds,
        "s",
        slo,
      ),
      figure(
        `quality.${shape}.optimum.lowerBound`,
        `${shape}: offline optimum, lower bound`,
        lowerBound,
        "replica·s",
      ),
      figure(
        `quality.${shape}.optimum.upperBound`,
        `${shape}: offline optimum, upper bound (a feasible plan, p95 ${round(result.optimum.upperBoundWaitP95Seconds)} s)`,
        upperBound,
        "replica·s",
      ),
      figure(
        `quality.${shape}.keda.gap`,
        `${shape}: KEDA defaults ÷ optimum (upper bound; ÷ lower bound ${round(keda.replicaSeconds / lowerBound)})`,
        keda.replicaSeconds / upperBound,
        "×",
      ),
      figure(
        `quality.${shape}.tidal.gap`,
        `${shape}: Tidal best ÷ optimum (upper bound; ÷ lower bound ${round(tidal.replicaSeconds / lowerBound)})`,
        tidal.replicaSeconds / upperBound,
        "×",
      ),
    );
    notes.push(
      `${shape}: Tidal's best of ${result.gridSize} settings (${result.gridWithinSlo} within the SLO): ${describe(result.chosen.settings)}. Optimum between ${round(lowerBound)} and ${round(upperBound)} replica·s (table up to ${result.optimum.maxReplicas} replicas and ${result.optimum.maxQueueUnits * SERVICE_RATE} queued items, ${round(result.optimum.seconds)} s).${agrees ? "" : " NOTE: the CLI and the in-process simulation disagree."}`,
    );
    details.push({
      shape,
      seed: SEEDS[shape],
      seconds,
      items: trace.counts.reduce((sum, count) => sum + count, 0),
      initialReplicas: initial,
      kedaDefaults: keda,
      kedaDefaultsDirect: kedaDirect,
      tidalBest: { settings: result.chosen.settings, ...tidal },
      optimum: {
        lowerBound: round(lowerBound),
        upperBound,
        upperBoundWaitP95Seconds: round(result.optimum.upperBoundWaitP95Seconds),
        seconds: round(result.optimum.seconds),
        relaxationUsedAtBestPrice: result.optimum.prices.find(
          (price) => price.dual === Math.max(...result.optimum.prices.map((p) => p.dual)),
        )?.relaxed,
      },
      grid: { size: result.gridSize, withinSlo: result.gridWithinSlo, seconds: round(result.gridSeconds) },
      cliMatchesInProcess: agrees,
    });
  }
  return {
    id: "quality",
    title: "5. Scaling quality: tidal simulate --workload against KEDA's defaults and the offline optimum",
    figures,
    details: {
      serviceRatePerReplica: SERVICE_RATE,
      startupSeconds: STARTUP_SECONDS,
      sloWaitP95Seconds: SLO_SECONDS,
      traces: details,
    },
    notes: [
      `Service model: each ready replica drains ${SERVICE_RATE} items/s; a replica serves ${STARTUP_SECONDS} s after it is asked for and costs from then; items arrive in batches of ${SERVICE_RATE}. SLO: wait p95 ≤ ${SLO_SECONDS} s. All runs start with the replicas the first minute needs and last exactly the trace (${seconds} s).`,
      "KEDA defaults: the ScaledObject with only its trigger (pollingInterval 30, cooldownPeriod 300, listLength 5, minReplicaCount 0, maxReplicaCount 100, HPA default behavior).",
      "Optimum: exact dynamic program per price λ on late items with Lagrangian bisection; lower bound by weak duality over two relaxations (queue cap, replicas above the table), upper bound a feasible plan replayed exactly (proof sketch in bench/optimum.ts). The optimum may leave up to 5 % of items late and a backlog at the end, as the simulator's measure allows.",
      ...notes,
    ],
  };
}
