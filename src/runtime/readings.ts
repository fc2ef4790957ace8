import type { TriggerMetricSpec, TriggerSample } from "../engine/types.ts";
import type { TidalMetrics } from "../observability/metrics.ts";
import { scalerLabel } from "../observability/scaler-names.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";

export type TimedSample = TriggerSample & { latencyMs: number };

/** Reads every trigger at once; each has its own deadline, so one slow source delays no other. */
export function measureAll(measurers: readonly TriggerMeasurer[]): Promise<TimedSample[]> {
  return Promise.all(measurers.map((measurer) => measurer.measure()));
}

/** Whether a reading counts as active: the scaler's own answer, else value > activation threshold. */
export function sampleActive(spec: TriggerMetricSpec, sample: TriggerSample | undefined): boolean {
  if (sample === undefined || sample.error !== undefined) return false;
  return sample.active ?? (sample.value ?? 0) > spec.activationTarget;
}

/** Writes KEDA's per-trigger metrics for one evaluation. */
export function recordReadings(
  metrics: TidalMetrics,
  object: { kind: "ScaledObject" | "ScaledJob"; namespace: string; name: string },
  specs: readonly TriggerMetricSpec[],
  samples: readonly TimedSample[],
): void {
  for (const [index, spec] of specs.entries()) {
    const sample = samples[index];
    if (sample === undefined) continue;
    const failed = sample.error !== undefined;
    metrics.recordTrigger(
      {
        namespace: object.namespace,
        metric: spec.metricName,
        scaledObject: object.name,
        scaler: scalerLabel(spec),
        triggerIndex: String(spec.index),
        type: object.kind === "ScaledObject" ? "scaledobject" : "scaledjob",
      },
      {
        ...(sample.value === undefined ? {} : { value: sample.value }),
        active: sampleActive(spec, sample),
        latencySeconds: sample.latencyMs / 1000,
        failed,
      },
    );
  }
}
