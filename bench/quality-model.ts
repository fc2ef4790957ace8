/**
 * What section 5 compares, shared by its main module and its workers: the service model, the
 * ScaledObjects (KEDA's defaults, and a grid of settings), and one simulation through the same
 * function `tidal simulate --workload` runs.
 */
import { scaledObject as scaledObjectSchema, type ScaledObject } from "../src/api/schema/scaled-object.ts";
import { prepareTrigger } from "../src/scalers/prepared-trigger.ts";
import { simulateWorkload, type SimulationMode } from "../src/simulate/index.ts";
import type { ArrivalTrace } from "./traces.ts";
import { BATCH, traceArrivals } from "./traces.ts";

/** Items per second one ready replica drains (equal to the traces' batch size). */
export const SERVICE_RATE = BATCH;
/** Seconds from asking for a replica until it serves. */
export const STARTUP_SECONDS = 10;
/** The SLO: wait p95 at or under this. */
export const SLO_SECONDS = 30;
export const LATE_FRACTION = 0.05;

export interface Settings {
  mode: SimulationMode;
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
      triggers: [
        {
          type: "redis",
          metadata: {
            address: "redis:6379",
            listName: "jobs",
            ...(settings.listLength === undefined ? {} : { listLength: String(settings.listLength) }),
          },
        },
      ],
    },
  };
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

/** One closed-loop simulation, in-process (the function behind `tidal simulate --workload`). */
export function simulateSettings(trace: ArrivalTrace, settings: Settings): Outcome {
  const object = scaledObjectSchema.parse(scaledObjectDocument("grid", settings)) as ScaledObject;
  const trigger = object.spec.triggers[0] as ScaledObject["spec"]["triggers"][number];
  const prepared = prepareTrigger(trigger, 0, { authParams: {}, resolvedEnv: {} }, { asMetricSource: false });
  if (prepared.metricSpec === undefined) throw new Error("the grid's trigger has no metric");
  const { summary } = simulateWorkload({
    scaledObject: object,
    metricSpecs: [prepared.metricSpec],
    arrivals: traceArrivals(trace),
    serviceRatePerReplica: SERVICE_RATE,
    startupDelaySeconds: STARTUP_SECONDS,
    durationSeconds: trace.counts.length,
    mode: settings.mode,
    initialReplicas: initialReplicas(trace),
  });
  return {
    replicaSeconds: summary.replicaSeconds,
    waitP95Seconds: summary.waitP95Seconds,
    maxReplicas: summary.maxReplicas,
  };
}

/** The grid searched for Tidal's best settings (tidal run: direct mode). */
export function settingsGrid(quick: boolean): Settings[] {
  const grid: Settings[] = [];
  const polls = quick ? [1, 15] : [1, 5, 15, 30];
  const lengths = quick ? [25, 50, 100] : [5, 25, 50, 100, 150];
  const cooldowns = quick ? [300] : [30, 300];
  const stabilizations = quick ? [0, 300] : [0, 60, 300];
  for (const pollingInterval of polls)
    for (const listLength of lengths)
      for (const cooldownPeriod of cooldowns)
        for (const scaleDownStabilizationSeconds of stabilizations)
          for (const scaleUp of ["default", "fast"] as const)
            grid.push({
              mode: "direct",
              pollingInterval,
              listLength,
              cooldownPeriod,
              scaleDownStabilizationSeconds,
              scaleUp,
            });
  return grid;
}

/** Fewest replica-seconds within the SLO; without any, the lowest wait p95. */
export function best<T extends { outcome: Outcome }>(candidates: T[]): T {
  const within = candidates.filter((candidate) => candidate.outcome.waitP95Seconds <= SLO_SECONDS);
  const pool = within.length > 0 ? within : candidates;
  const key = within.length > 0 ? (c: T) => c.outcome.replicaSeconds : (c: T) => c.outcome.waitP95Seconds;
  return pool.reduce((a, b) => (key(b) < key(a) ? b : a));
}
