/** Builders shared by the engine's and the simulator's tests. */
import { type ScaledObject, scaledObject } from "../api/schema/scaled-object.ts";
import type { TriggerMetricSpec, TriggerSample } from "./types.ts";
import { KEDA_API_VERSION } from "../api/names.ts";

export const T0 = Date.UTC(2026, 0, 1);
export const at = (seconds: number): number => T0 + seconds * 1000;

export interface ScaledObjectOptions {
  spec?: Record<string, unknown>;
  annotations?: Record<string, string>;
  triggers?: Record<string, unknown>[];
}

/** A ScaledObject with the schema's defaults applied (pollingInterval 30, cooldownPeriod 300, …). */
export function makeScaledObject(options: ScaledObjectOptions = {}): ScaledObject {
  return scaledObject.parse({
    apiVersion: KEDA_API_VERSION,
    kind: "ScaledObject",
    metadata: {
      name: "orders",
      namespace: "default",
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      scaleTargetRef: { name: "orders" },
      triggers: options.triggers ?? [{ type: "redis", metadata: { listName: "jobs" } }],
      ...options.spec,
    },
  });
}

export function metricSpec(overrides: Partial<TriggerMetricSpec> = {}): TriggerMetricSpec {
  return {
    index: 0,
    name: "",
    type: "redis",
    metricName: "s0-redis-jobs",
    targetType: "AverageValue",
    target: 10,
    activationTarget: 0,
    ...overrides,
  };
}

export const valueSample = (value: number, metricName = "s0-redis-jobs"): TriggerSample => ({
  metricName,
  value,
});
export const errorSample = (error: string, metricName = "s0-redis-jobs"): TriggerSample => ({
  metricName,
  error,
});
