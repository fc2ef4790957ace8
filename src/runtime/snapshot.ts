import type { Condition } from "../api/schema/primitives.ts";
import type { ForecastReport, TriggerMetricSpec } from "../engine/types.ts";
import { sampleActive, type TimedSample } from "./readings.ts";

/** One trigger in the status API. */
export interface TriggerSnapshot {
  name: string;
  type: string;
  metricName: string;
  value: number | null;
  target: number;
  active: boolean;
  error: string | null;
  /** How a forecasting trigger chose its value (predictkube, or the forecast annotation); null otherwise. */
  forecast: ForecastReport | null;
}

/** A ScaledObject or ScaledJob as `GET /api/v1/scaledobjects` and `/scaledjobs` show it. */
export interface ObjectSnapshot {
  name: string;
  namespace: string;
  target: { kind: string; name: string };
  /** Current replicas (running jobs for a ScaledJob). */
  replicas: number;
  desiredReplicas: number;
  readyReplicas: number;
  /** minReplicaCount and maxReplicaCount of the object's spec. */
  minReplicas: number;
  maxReplicas: number;
  /** The Ready condition is True: defined correctly, and triggers readable. */
  ready: boolean;
  active: boolean;
  fallback: boolean;
  paused: boolean;
  lastActiveTime: string | null;
  lastEvaluationTime: string | null;
  conditions: Condition[];
  triggers: TriggerSnapshot[];
}

export function conditionIs(
  conditions: readonly Condition[],
  type: string,
  status: Condition["status"],
): boolean {
  return conditions.some((condition) => condition.type === type && condition.status === status);
}

/** The triggers of a snapshot from the last evaluation's readings. */
export function triggerSnapshots(
  specs: readonly TriggerMetricSpec[],
  samples: readonly TimedSample[],
): TriggerSnapshot[] {
  return specs.map((spec, index) => {
    const sample = samples[index];
    return {
      name: spec.name,
      type: spec.type,
      metricName: spec.metricName,
      value: sample?.value ?? null,
      target: spec.target,
      active: sampleActive(spec, sample),
      error: sample?.error ?? null,
      forecast: sample?.forecast ?? null,
    };
  });
}
