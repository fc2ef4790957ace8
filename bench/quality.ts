/**
 * Section 5, scaling quality: `tidal simulate --workload` on four seeded arrival traces (steady,
 * diurnal, bursty, weekly; bench/traces.ts) with one service model — each ready replica drains 5
 * items/s, a new replica serves 10 s after it is asked for — and one SLO: wait p95 ≤ 30 s.
 *
 * - KEDA's defaults: a ScaledObject with nothing but its redis trigger (pollingInterval 30,
 *   cooldownPeriod 300, listLength 5, the HPA's default behavior), with KEDA's loop every
 *   pollingInterval and an HPA sync every 15 s (--mode hpa). `tidal run` runs an object without an
 *   HPA on the same cadence by default (--hpa-sync-period 15s), so this is also `tidal run` with
 *   KEDA's defaults.
 * - Tidal's best reactive settings: a grid of pollingInterval, --hpa-sync-period, listLength,
 *   cooldownPeriod, scale-down stabilization and scale-up policy; the fewest replica-seconds within
 *   the SLO.
 * - Scaling on the arrival rate beside the queue: a trigger `rate` (rate(…[30s]) of the arrivals)
 *   and a redis trigger `backlog`, over a grid of thresholds and listLengths; the rate forecast by
 *   predictkube (horizons 15–60 s; on the weekly trace a season of one compressed week and two
 *   weeks of history recorded in the simulation) or read as it is by prometheus. Of each kind, the
 *   lowest wait p95 within the SLO at no more than 1.10× the best reactive setting's
 *   replica-seconds (`--rate-trigger rate --rate-window 30`); and the predictkube setting with the
 *   fewest replica-seconds within the SLO, for its gap to the optimum, beside the same object with
 *   its rate read as it is (what the forecast adds to it).
 * - The offline optimum (bench/optimum.ts): lower and upper bounds of the fewest replica-seconds
 *   within the SLO with the whole trace known.
 * The weekly trace measures its third week: reactive settings and the optimum run on that week,
 * rate-scaled ones on all three weeks with `--warmup` over the first two. The grids run in-process
 * through simulateWorkload (the CLI's function) in worker threads; the reported figures of each
 * setting come from the CLI itself.
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
  RATE_BUDGET,
  RATE_THRESHOLDS,
  RATE_WINDOW_SECONDS,
  scenario,
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
import { TRACE_SEEDS, TRACE_SHAPES, traceCsv, WEEKLY, type TraceShape } from "./traces.ts";

interface WorkerResult {
  shape: TraceShape;
  gridSize: number;
  gridSeconds: number;
  gridWithinSlo: number;
  chosen: { settings: Settings; outcome: Outcome };
  rateGridSize: number;
  rateSeconds: number;
  predictive: { settings: Settings; outcome: Outcome };
  predictiveCheapest: { settings: Settings; outcome: Outcome };
  cheapestReadReactively: { settings: Settings; outcome: Outcome };
  sameRate: { settings: Settings; outcome: Outcome };
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
      workerData: { shape, seconds, quick },
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
  warmupSeconds = 0,
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
      "--hpa-sync-period",
      `${settings.hpaSyncSeconds ?? 15}s`,
      ...(settings.rate === undefined
        ? []
        : ["--rate-trigger", "rate", "--rate-window", String(RATE_WINDOW_SECONDS)]),
      ...(warmupSeconds > 0 ? ["--warmup", String(warmupSeconds)] : []),
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
  const cadence = `pollingInterval ${settings.pollingInterval}, --hpa-sync-period ${settings.hpaSyncSeconds ?? 15}s`;
  const behavior = `scale-down stabilization ${settings.scaleDownStabilizationSeconds} s, scale-up ${settings.scaleUp === "fast" ? "100 pods/s" : "HPA default"}`;
  const { rate } = settings;
  if (rate === undefined)
    return `${cadence}, listLength ${settings.listLength}, cooldownPeriod ${settings.cooldownPeriod}, ${behavior}`;
  const trigger =
    rate.kind === "predictkube"
      ? `predictkube rate (threshold ${rate.threshold}, predictHorizon ${rate.horizonSeconds}s, historyTimeWindow ${rate.historySeconds}s, tidalSeason ${rate.season})`
      : `prometheus rate (threshold ${rate.threshold})`;
  return `${trigger} + redis backlog (listLength ${rate.backlogListLength}), ${cadence}, ${behavior}`;
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
    const { full, measured, warmupSeconds } = scenario(shape, seconds);
    const measuredSeconds = measured.counts.length;
    const csv = join(directory, `${shape}.csv`);
    writeFileSync(csv, traceCsv(measured));
    const fullCsv = join(directory, `${shape}-with-history.csv`);
    writeFileSync(fullCsv, traceCsv(full));
    const initial = initialReplicas(measured);
    const run = (name: string, settings: Settings) =>
      settings.rate === undefined
        ? cli(options.root, directory, `${shape}-${name}`, settings, csv, initial, measuredSeconds)
        : cli(
            options.root,
            directory,
            `${shape}-${name}`,
            settings,
            fullCsv,
            initialReplicas(full),
            full.counts.length,
            warmupSeconds,
          );
    const keda = run("keda-defaults", KEDA_DEFAULTS);
    const tidal = run("tidal-best", result.chosen.settings);
    const predictive = run("predictive", result.predictive.settings);
    const cheapest = run("predictive-cheapest", result.predictiveCheapest.settings);
    const cheapestTwin = run("predictive-cheapest-read-reactively", result.cheapestReadReactively.settings);
    const sameRate = run("same-rate-reactive", result.sameRate.settings);
    const inProcess = simulateSettings(measured, KEDA_DEFAULTS);
    const agrees =
      inProcess.replicaSeconds === keda.replicaSeconds &&
      result.chosen.outcome.replicaSeconds === tidal.replicaSeconds &&
      result.predictive.outcome.replicaSeconds === predictive.replicaSeconds &&
      result.predictiveCheapest.outcome.replicaSeconds === cheapest.replicaSeconds &&
      result.cheapestReadReactively.outcome.replicaSeconds === cheapestTwin.replicaSeconds &&
      result.sameRate.outcome.replicaSeconds === sameRate.replicaSeconds;
    const { lowerBound, upperBound } = result.optimum;
    const slo = { comparison: "at most" as const, value: SLO_SECONDS };
    const rows: [string, string, Outcome][] = [
      ["keda", "KEDA defaults (also tidal run's default cadence)", keda],
      ["tidal", "Tidal best reactive settings", tidal],
      ["predictive", "predictive (predictkube rate + backlog)", predictive],
      ["predictiveCheapest", "cheapest predictive within the SLO", cheapest],
      [
        "cheapestReadReactively",
        "the cheapest predictive object with its rate read as it is (prometheus)",
        cheapestTwin,
      ],
      ["sameRate", "same rate read reactively (prometheus rate + backlog)", sameRate],
    ];
    for (const [id, label, outcome] of rows) {
      figures.push(
        figure(
          `quality.${shape}.${id}.replicaSeconds`,
          `${shape}: ${label} replica-seconds`,
          outcome.replicaSeconds,
          "replica·s",
        ),
        figure(
          `quality.${shape}.${id}.waitP95`,
          `${shape}: ${label} wait p95`,
          outcome.waitP95Seconds,
          "s",
          slo,
        ),
      );
    }
    const weekly = shape === "weekly";
    const waitReduction = 1 - predictive.waitP95Seconds / Math.max(tidal.waitP95Seconds, 1e-9);
    const costRatio = predictive.replicaSeconds / tidal.replicaSeconds;
    figures.push(
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
        `${shape}: Tidal best reactive ÷ optimum (upper bound; ÷ lower bound ${round(tidal.replicaSeconds / lowerBound)})`,
        tidal.replicaSeconds / upperBound,
        "×",
      ),
      figure(
        `quality.${shape}.predictive.gap`,
        `${shape}: predictive ÷ optimum (upper bound; ÷ lower bound ${round(predictive.replicaSeconds / lowerBound)})`,
        predictive.replicaSeconds / upperBound,
        "×",
      ),
      figure(
        `quality.${shape}.predictiveCheapest.gap`,
        `${shape}: cheapest predictive within the SLO ÷ optimum (upper bound; ÷ lower bound ${round(cheapest.replicaSeconds / lowerBound)})`,
        cheapest.waitP95Seconds <= SLO_SECONDS ? cheapest.replicaSeconds / upperBound : null,
        "×",
        weekly ? { comparison: "at most", value: 1.05 } : undefined,
      ),
      figure(
        `quality.${shape}.predictive.waitReduction`,
        `${shape}: predictive wait p95 below Tidal's best reactive (1 − predictive ÷ reactive)`,
        waitReduction,
        "",
        weekly ? { comparison: "at least", value: 0.3 } : undefined,
      ),
      figure(
        `quality.${shape}.predictive.costRatio`,
        `${shape}: predictive replica-seconds ÷ Tidal's best reactive`,
        costRatio,
        "×",
        weekly ? { comparison: "at most", value: RATE_BUDGET } : undefined,
      ),
    );
    notes.push(
      `${shape}: Tidal's best of ${result.gridSize} reactive settings (${result.gridWithinSlo} within the SLO): ${describe(result.chosen.settings)}. Predictive, of ${result.rateGridSize} rate-scaled settings: ${describe(result.predictive.settings)}; cheapest predictive within the SLO: ${describe(result.predictiveCheapest.settings)} (read reactively: ${round(cheapestTwin.replicaSeconds)} replica·s, wait p95 ${round(cheapestTwin.waitP95Seconds)} s); same rate read reactively: ${describe(result.sameRate.settings)}. Optimum between ${round(lowerBound)} and ${round(upperBound)} replica·s (table up to ${result.optimum.maxReplicas} replicas and ${result.optimum.maxQueueUnits * SERVICE_RATE} queued items, ${round(result.optimum.seconds)} s).${agrees ? "" : " NOTE: the CLI and the in-process simulation disagree."}`,
    );
    details.push({
      shape,
      seed: TRACE_SEEDS[shape],
      seconds: measuredSeconds,
      warmupSeconds,
      items: measured.counts.reduce((sum, count) => sum + count, 0),
      initialReplicas: initial,
      kedaDefaults: keda,
      tidalBest: { settings: result.chosen.settings, ...tidal },
      predictive: { settings: result.predictive.settings, ...predictive },
      predictiveCheapest: { settings: result.predictiveCheapest.settings, ...cheapest },
      cheapestReadReactively: { settings: result.cheapestReadReactively.settings, ...cheapestTwin },
      sameRateReactive: { settings: result.sameRate.settings, ...sameRate },
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
      rateGrid: { size: result.rateGridSize, seconds: round(result.rateSeconds) },
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
      `Service model: each ready replica drains ${SERVICE_RATE} items/s; a replica serves ${STARTUP_SECONDS} s after it is asked for and costs from then; items arrive in batches of ${SERVICE_RATE}. SLO: wait p95 ≤ ${SLO_SECONDS} s. All runs start with the replicas the first minute needs and last exactly the trace (${seconds} s; the weekly trace: ${WEEKLY.historyWeeks} compressed weeks of ${WEEKLY.weekSeconds} s as history, then the measured week).`,
      "KEDA defaults: the ScaledObject with only its trigger (pollingInterval 30, cooldownPeriod 300, listLength 5, minReplicaCount 0, maxReplicaCount 100, HPA default behavior), KEDA's loop every pollingInterval and the HPA's sync every 15 s. tidal run runs an object on that same cadence by default (--hpa-sync-period 15s), so these are also tidal run's figures with KEDA's defaults.",
      `Rate-scaled settings: of each kind (predictkube, prometheus), the lowest wait p95 within the SLO at no more than ${RATE_BUDGET}× the best reactive setting's replica-seconds (else the fewest replica-seconds within the SLO); and the cheapest predictkube setting within the SLO, whose gap to the optimum is the weekly target, beside the same object with its rate read as it is. Grid: thresholds ${RATE_THRESHOLDS.join(", ")} items/s per replica, listLength 100, 125, 150, predictHorizon 15, 30, 45, 60 s (fewer with --quick). The forecast learns only from what the simulation showed it before each instant; on the steady, diurnal and bursty traces it has no earlier day to learn from, so it serves a trend or, when its backtest fails, the current rate.`,
      "Optimum: exact dynamic program per price λ on late items with Lagrangian bisection; lower bound by weak duality over two relaxations (queue cap, replicas above the table), upper bound a feasible plan replayed exactly (proof sketch in bench/optimum.ts). The optimum may leave up to 5 % of items late and a backlog at the end, as the simulator's measure allows.",
      ...notes,
    ],
  };
}
