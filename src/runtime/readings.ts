import type { KedaPollResult } from "../engine/keda-poll.ts";
import { COMPOSITE_METRIC_NAME } from "../engine/scaling-modifiers.ts";
import type { TriggerMetricSpec, TriggerSample } from "../engine/types.ts";
import type { TidalMetrics } from "../observability/metrics.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";
import { findScaler } from "../scalers/registry.ts";

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

/**
 * The `scaler` label KEDA gives a trigger's metrics: the trigger's name, or else the Go type of
 * its scaler, so dashboards built for KEDA keep working.
 */
export function scalerLabel(trigger: { name: string; type: string }): string {
  return trigger.name || (findScaler(trigger.type)?.kedaScalerName ?? trigger.type);
}

interface RecordedObject {
  kind: "ScaledObject" | "ScaledJob";
  namespace: string;
  name: string;
  /** A scalingModifiers formula decides activity: KEDA records none per trigger then. */
  usesFormula?: boolean;
}

/** Writes KEDA's per-trigger metrics for one evaluation. */
export function recordReadings(
  metrics: TidalMetrics,
  object: RecordedObject,
  specs: readonly TriggerMetricSpec[],
  samples: readonly (TimedSample | undefined)[],
): void {
  for (const [index, spec] of specs.entries()) {
    const sample = samples[index];
    if (sample === undefined) continue;
    const failed = sample.error !== undefined;
    const labels = {
      namespace: object.namespace,
      metric: spec.metricName,
      scaledObject: object.name,
      scaler: scalerLabel(spec),
      triggerIndex: String(spec.index),
      type: object.kind === "ScaledObject" ? ("scaledobject" as const) : ("scaledjob" as const),
    };
    if (sample.forecast) metrics.recordForecast(labels, sample.forecast);
    metrics.recordTrigger(labels, {
      ...(sample.value === undefined ? {} : { value: sample.value }),
      ...(failed || object.usesFormula ? {} : { active: sampleActive(spec, sample) }),
      latencySeconds: sample.latencyMs / 1000,
      failed,
      ...(spec.resource ? {} : { target: spec.target, activationTarget: spec.activationTarget }),
    });
  }
}

/**
 * Writes the formula's result as KEDA does when every trigger was read: scaler and metric
 * `composite-metric`, trigger index 0, active when above the formula's activation target.
 */
export function recordComposite(metrics: TidalMetrics, object: RecordedObject, poll: KedaPollResult): void {
  const served = poll.hpaMetricValues[0];
  if (poll.formula === undefined || poll.isError || served?.value === undefined) return;
  metrics.recordTrigger(
    {
      namespace: object.namespace,
      metric: COMPOSITE_METRIC_NAME,
      scaledObject: object.name,
      scaler: COMPOSITE_METRIC_NAME,
      triggerIndex: "0",
      type: "scaledobject",
    },
    { value: served.value, active: served.value > poll.formula.activationTarget },
  );
}
