/**
 * KEDA's fallback (pkg/fallback/fallback.go): after more than `failureThreshold` consecutive errors a metric is
 * served as `target × replicas`, so the HPA lands exactly on the fallback replica count.
 *
 * Failures are counted once per scale-loop poll (kedaPoll). KEDA's metrics server also counts the
 * HPA's reads; Tidal counts polls only, so `failureThreshold` means "polls in a row", independent of
 * how often an HPA happens to read.
 */
import type { Fallback, ScaledObject } from "../api/schema/scaled-object.ts";
import { parseGoInt } from "../util/go/parse.ts";
import type { MetricHealth, MetricTargetType, TriggerMetricSpec, TriggerSample } from "./types.ts";

/** The fallback configuration when KEDA would use it, else undefined. */
export function usableFallback(scaledObject: ScaledObject): Fallback | undefined {
  const fallback = scaledObject.spec.fallback;
  if (!fallback || fallback.failureThreshold < 0 || fallback.replicas < 0) return undefined;
  const modifiers = scaledObject.spec.advanced?.scalingModifiers;
  if (modifiers?.formula) {
    // With a formula KEDA multiplies by the composite target parsed as an integer.
    const target = parseGoInt(modifiers.target ?? "", 64);
    if (target === undefined || target <= 0) return undefined;
  }
  return fallback;
}

/** A success resets a metric to {0, Happy}; an error (or no sample at all) adds a failure. */
export function updateHealth(
  health: Readonly<Record<string, MetricHealth>>,
  metricSpecs: readonly TriggerMetricSpec[],
  samples: readonly TriggerSample[],
): Record<string, MetricHealth> {
  const next: Record<string, MetricHealth> = { ...health };
  for (const { metricName } of metricSpecs) {
    const sample = samples.find((candidate) => candidate.metricName === metricName);
    const failed = !sample || sample.error !== undefined || sample.value === undefined;
    next[metricName] = failed
      ? { numberOfFailures: (health[metricName]?.numberOfFailures ?? 0) + 1, status: "Failing" }
      : { numberOfFailures: 0, status: "Happy" };
  }
  return next;
}

export function isFallingBack(health: MetricHealth | undefined, fallback: Fallback): boolean {
  return health?.status === "Failing" && health.numberOfFailures > fallback.failureThreshold;
}

/** The replica count the fallback asks for, per `fallback.behavior`. */
export function fallbackReplicas(fallback: Fallback, currentReplicas: number): number {
  switch (fallback.behavior) {
    case "currentReplicas":
      return currentReplicas;
    case "currentReplicasIfHigher":
      return Math.max(currentReplicas, fallback.replicas);
    case "currentReplicasIfLower":
      return Math.min(currentReplicas, fallback.replicas);
    default:
      return fallback.replicas;
  }
}

/**
 * The value that makes the HPA compute `replicas`: target × replicas, per ready pod for Value
 * targets, cut (not rounded) to thousandths as KEDA does, so the HPA never lands one above.
 */
export function fallbackValue(
  target: number,
  targetType: MetricTargetType,
  replicas: number,
  readyPods: number,
): { value: number } | { error: string } {
  if (targetType !== "AverageValue" && readyPods === 0)
    return { error: "fallback for a Value metric needs at least one ready pod, and none is ready" };
  const perPod = targetType === "AverageValue" ? replicas : replicas / readyPods;
  return { value: Math.trunc(target * 1000 * perPod) / 1000 };
}
