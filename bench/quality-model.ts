/**
 * What section 5 compares, shared by its main module and its workers: the service model, the
 * ScaledObjects (KEDA's defaults, a grid of reactive settings, and objects that scale on the
 * arrival rate, forecast by predictkube or read as it is by prometheus, beside the queue), and one
 * simulation through the same function `tidal simulate --workload` runs.
 */
import { scaledObject as scaledObjectSchema, type ScaledObject } from "../src/api/schema/scaled-object.ts";
import { prepareTrigger } from "../src/scalers/prepared-trigger.ts";
import { simulatedForecasts, simulateWorkload, type SimulationMode } from "../src/simulate/index.ts";
import type { ArrivalTrace, TraceShape } from "./traces.ts";
import { BATCH, generateTrace, TRACE_SEEDS, traceArrivals, WEEKLY } from "./traces.ts";

/** Items per second one ready replica drains (equal to the traces' batch size). */
export const SERVICE_RATE = BATCH;
/** Seconds from asking for a replica until it serves. */
export const STARTUP_SECONDS = 10;
/** The SLO: wait p95 at or under this. */
export const SLO_SECONDS = 30;
export const LATE_FRACTION = 0.05;
/** How far the rate-scaled choices may go above the best reactive setting's replica-seconds. */
export const RATE_BUDGET = 1.1;

/** The rate trigger's thresholds (items/s per replica) the rate grid tries. */
export const RATE_THRESHOLDS: readonly number[] = [5, 5.25, 5.5, 5.75, 6];

/** Seconds the rate trigger's arrival rate is averaged over (its query's rate(…[30s])). */
export const RATE_WINDOW_SECONDS = 30;

/**
 * A trigger named `rate` on the arrival rate (items/s; `threshold` items/s per replica) beside a
 * redis trigger named `backlog` on the queue: predictkube forecasts the rate `horizonSeconds`
 * ahead from what it saw; prometheus reads it as it is.
 */
export interface RateTrigger {
  kind: "predictkube" | "prometheus";
  threshold: number;
  backlogListLength: number;
  horizonSeconds?: number;
  /** predictkube's history window and tidalSeason (auto, or a period such as 6300s). */
  historySeconds?: number;
  season?: string;
}

export interface Settings {
  mode: SimulationMode;
  /** With mode hpa: the HPA's sync period (tidal run --hpa-sync-period; 15 s by default). */
  hpaSyncSeconds?: number;
  rate?: RateTrigger;
  pollingInterval?: number;
  cooldownPeriod?: number;
  /** The redis trigger's listLength: queued items per replica (KEDA's default 5). */
  listLength?: number;
  scaleDownStabilizationSeconds?: number;
  /** "default": the HPA's; "fast": up to 100 pods a second, no stabilization. */
  scaleUp?: "default" | "fast";
}

export const KEDA_DEFAULTS: Settings = { mode: "hpa" };

/** The ScaledObject as a plain document (what the YAML file holds). */
export function scaledObjectDocument(name: string, settings: Settings): Record<string, unknown> {
  const behavior: Record<string, unknown> = {};
  if (settings.scaleDownStabilizationSeconds !== undefined) {
    behavior.scaleDown = { stabilizationWindowSeconds: settings.scaleDownStabilizationSeconds };
  }
  if (settings.scaleUp === "fast") {
    behavior.scaleUp = {
      stabilizationWindowSeconds: 0,
      policies: [{ type: "Pods", value: 100, periodSeconds: 1 }],
    };
  }
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name, namespace: "default" },
    spec: {
      scaleTargetRef: { name: "workers" },
      ...(settings.pollingInterval === undefined ? {} : { pollingInterval: settings.pollingInterval }),
      ...(settings.cooldownPeriod === undefined ? {} : { cooldownPeriod: settings.cooldownPeriod }),
      ...(Object.keys(behavior).length === 0
        ? {}
        : { advanced: { horizontalPodAutoscalerConfig: { behavior } } }),
      triggers:
        settings.rate === undefined ? [redisTrigger(settings.listLength)] : rateTriggers(settings.rate),
    },
  };
}

function redisTrigger(listLength: number | undefined, name?: string): Record<string, unknown> {
  return {
    type: "redis",
    ...(name === undefined ? {} : { name }),
    metadata: {
      address: "redis:6379",
      listName: "jobs",
      ...(listLength === undefined ? {} : { listLength: String(listLength) }),
    },
  };
}

function rateTriggers(rate: RateTrigger): Record<string, unknown>[] {
  const query = `sum(rate(jobs_enqueued_total[${RATE_WINDOW_SECONDS}s]))`;
  const trigger =
    rate.kind === "prometheus"
      ? {
          type: "prometheus",
          name: "rate",
          metadata: { serverAddress: "http://prometheus:9090", query, threshold: String(rate.threshold) },
        }
      : {
          type: "predictkube",
          name: "rate",
          metadata: {
            prometheusAddress: "http://prometheus:9090",
            query,
            predictHorizon: `${rate.horizonSeconds ?? 60}s`,
            historyTimeWindow: `${rate.historySeconds ?? 3600}s`,
            queryStep: "15s",
            threshold: String(rate.threshold),
            tidalSeason: rate.season ?? "auto",
            tidalRefitInterval: "300s",
          },
        };
  return [trigger, redisTrigger(rate.backlogListLength, "backlog")];
}

export function initialReplicas(trace: ArrivalTrace): number {
  const first = trace.counts.slice(0, 60);
  return Math.ceil(first.reduce((sum, count) => sum + count, 0) / first.length / SERVICE_RATE);
}

export interface Outcome {
  replicaSeconds: number;
  waitP95Seconds: number;
  maxReplicas: number;
}

/**
 * One closed-loop simulation, in-process (the function behind `tidal simulate --workload`); the
 * summary leaves the first `warmupSeconds` out (a forecast's history is recorded then).
 */
export function simulateSettings(trace: ArrivalTrace, settings: Settings, warmupSeconds = 0): Outcome {
  const object = scaledObjectSchema.parse(scaledObjectDocument("grid", settings)) as ScaledObject;
  const prepared = object.spec.triggers.map((trigger, index) =>
    prepareTrigger(trigger, index, { authParams: {}, resolvedEnv: {} }, { asMetricSource: false }),
  );
  const metricSpecs = prepared.map((entry) => {
    if (entry.metricSpec === undefined) throw new Error("a grid trigger has no metric");
    return entry.metricSpec;
  });
  const { summary } = simulateWorkload({
    scaledObject: object,
    metricSpecs,
    arrivals: traceArrivals(trace),
    serviceRatePerReplica: SERVICE_RATE,
    startupDelaySeconds: STARTUP_SECONDS,
    durationSeconds: trace.counts.length,
    mode: settings.mode,
    hpaSyncSeconds: settings.hpaSyncSeconds ?? 15,
    initialReplicas: initialReplicas(trace),
    forecasts: simulatedForecasts(
      object,
      metricSpecs,
      prepared.map((entry) => entry.params as Record<string, unknown> | undefined),
    ),
    summaryFromSeconds: warmupSeconds,
    ...(settings.rate === undefined ? {} : { rateTrigger: "rate", rateWindowSeconds: RATE_WINDOW_SECONDS }),
  });
  return {
    replicaSeconds: summary.replicaSeconds,
    waitP95Seconds: summary.waitP95Seconds,
    maxReplicas: summary.maxReplicas,
  };
}

/**
 * The grid searched for Tidal's best reactive settings, as `tidal run` runs them: KEDA's loop every
 * pollingInterval and the HPA's sync every --hpa-sync-period (mode hpa).
 */
export function settingsGrid(quick: boolean): Settings[] {
  const grid: Settings[] = [];
  const polls = quick ? [1, 15] : [1, 5, 15, 30];
  const syncs = [1, 15];
  const lengths = quick ? [25, 50, 100] : [5, 25, 50, 100, 150];
  const cooldowns = quick ? [300] : [30, 300];
  const stabilizations = quick ? [0, 300] : [0, 60, 300];
  for (const pollingInterval of polls)
    for (const hpaSyncSeconds of syncs)
      for (const listLength of lengths)
        for (const cooldownPeriod of cooldowns)
          for (const scaleDownStabilizationSeconds of stabilizations)
            for (const scaleUp of ["default", "fast"] as const)
              grid.push({
                mode: "hpa",
                hpaSyncSeconds,
                pollingInterval,
                listLength,
                cooldownPeriod,
                scaleDownStabilizationSeconds,
                scaleUp,
              });
  return grid;
}

/**
 * The grid of objects scaling on the arrival rate and the queue (mode hpa, polling every 15 s, the
 * HPA's 15 s sync, no scale-down stabilization, fast scale-up): the same
 * thresholds with the rate forecast (predictkube: horizons, `season`, `historySeconds`) and read as
 * it is (prometheus).
 *
 * Thresholds run from the service rate (5 items/s per replica: the rate asks for all the replicas
 * it needs) to 6 (five sixths of them, the queue trigger asking for the rest), so the cheapest
 * setting within the SLO is bounded by the SLO, not by the grid: with 5.5 as the largest, the
 * cheapest predictive setting sat on the grid's edge 8 s under the SLO. Above 6 the queue trigger
 * does most of the scaling and the forecast little. Horizons run from one queryStep (15 s) up.
 */
export function rateGrid(quick: boolean, forecast: { season: string; historySeconds: number }): Settings[] {
  const grid: Settings[] = [];
  const thresholds = quick ? [5, 5.5, 6] : RATE_THRESHOLDS;
  const lengths = quick ? [100, 150] : [100, 125, 150];
  const horizons = quick ? [15, 30, 60] : [15, 30, 45, 60];
  const common = {
    mode: "hpa" as const,
    hpaSyncSeconds: 15,
    pollingInterval: 15,
    scaleDownStabilizationSeconds: 0,
    scaleUp: "fast" as const,
  };
  for (const threshold of thresholds)
    for (const backlogListLength of lengths) {
      grid.push({ ...common, rate: { kind: "prometheus", threshold, backlogListLength } });
      for (const horizonSeconds of horizons)
        grid.push({
          ...common,
          rate: { kind: "predictkube", threshold, backlogListLength, horizonSeconds, ...forecast },
        });
    }
  return grid;
}

/**
 * The rate-scaled setting to show beside the best reactive one (`budget` replica·s): the lowest
 * wait p95 within the SLO at no more than `budget`; without any, the fewest replica-seconds within
 * the SLO (best).
 */
export function bestWithin<T extends { outcome: Outcome }>(candidates: T[], budget: number): T {
  const affordable = candidates.filter(
    (candidate) =>
      candidate.outcome.waitP95Seconds <= SLO_SECONDS && candidate.outcome.replicaSeconds <= budget,
  );
  if (affordable.length === 0) return best(candidates);
  return affordable.reduce((a, b) =>
    b.outcome.waitP95Seconds < a.outcome.waitP95Seconds ||
    (b.outcome.waitP95Seconds === a.outcome.waitP95Seconds &&
      b.outcome.replicaSeconds < a.outcome.replicaSeconds)
      ? b
      : a,
  );
}

/**
 * The same object with its rate read as it is (prometheus) instead of forecast: what the forecast
 * adds to a predictkube setting.
 */
export function readReactively<T extends { settings: Settings }>(
  candidates: T[],
  of: Settings,
): T | undefined {
  const rate = of.rate;
  if (rate === undefined) return undefined;
  return candidates.find(
    (candidate) =>
      candidate.settings.rate?.kind === "prometheus" &&
      candidate.settings.rate.threshold === rate.threshold &&
      candidate.settings.rate.backlogListLength === rate.backlogListLength,
  );
}

/** Fewest replica-seconds within the SLO; without any, the lowest wait p95. */
export function best<T extends { outcome: Outcome }>(candidates: T[]): T {
  const within = candidates.filter((candidate) => candidate.outcome.waitP95Seconds <= SLO_SECONDS);
  const pool = within.length > 0 ? within : candidates;
  const key = within.length > 0 ? (c: T) => c.outcome.replicaSeconds : (c: T) => c.outcome.waitP95Seconds;
  return pool.reduce((a, b) => (key(b) < key(a) ? b : a));
}

/**
 * A shape's traces: `full` is what runs, `measured` what the summaries cover (from `warmupSeconds`
 * on). The weekly trace runs two compressed weeks of history before the measured week; reactive
 * settings and the optimum, which need no history, run on the measured week alone.
 */
export interface Scenario {
  shape: TraceShape;
  full: ArrivalTrace;
  measured: ArrivalTrace;
  warmupSeconds: number;
  forecast: { season: string; historySeconds: number };
}

export function scenario(shape: TraceShape, seconds: number): Scenario {
  if (shape !== "weekly") {
    const trace = generateTrace(shape, seconds, TRACE_SEEDS[shape]);
    return {
      shape,
      full: trace,
      measured: trace,
      warmupSeconds: 0,
      forecast: { season: "auto", historySeconds: 3600 },
    };
  }
  const warmupSeconds = WEEKLY.weekSeconds * WEEKLY.historyWeeks;
  const full = generateTrace(shape, warmupSeconds + WEEKLY.weekSeconds, TRACE_SEEDS[shape]);
  return {
    shape,
    full,
    measured: { ...full, counts: full.counts.slice(warmupSeconds) },
    warmupSeconds,
    forecast: { season: `${WEEKLY.weekSeconds}s`, historySeconds: warmupSeconds },
  };
}
