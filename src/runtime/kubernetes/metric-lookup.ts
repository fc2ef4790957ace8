import type { ScaledObject } from "../../api/schema/scaled-object.ts";
import { serveMetrics } from "../../engine/decide.ts";
import { COMPOSITE_METRIC_NAME } from "../../engine/scaling-modifiers.ts";
import type { ScaledObjectState, TriggerMetricSpec } from "../../engine/types.ts";
import type { TriggerMeasurer } from "../../scalers/prepared-trigger.ts";
import type { LookupResult } from "../metrics-api/index.ts";
import type { TimedSample } from "../readings.ts";

/** What the metrics API needs of a running ScaledObject. */
export interface MetricSource {
  object: ScaledObject;
  specs: readonly TriggerMetricSpec[];
  measurers: readonly TriggerMeasurer[];
  lastSamples?: readonly TimedSample[];
  replicas: number;
  state: ScaledObjectState;
}

/**
 * One external metric as KEDA's metrics server answers it: names match case-insensitively,
 * `composite-metric` reads every trigger, a trigger with useCachedMetrics answers from the last
 * poll, the others are read live; fallback and the formula are applied.
 */
export async function lookupMetric(
  source: MetricSource,
  metricName: string,
  now: number,
): Promise<LookupResult> {
  const wanted = metricName.toLowerCase();
  const composite = wanted === COMPOSITE_METRIC_NAME;
  const wantedIndexes = new Set(
    source.specs.flatMap((spec, index) =>
      composite || spec.metricName.toLowerCase() === wanted ? [index] : [],
    ),
  );
  if (wantedIndexes.size === 0)
    return { error: { status: 404, message: `no matching metrics found for ${metricName}` } };
  const samples = await Promise.all(
    source.specs.map(async (spec, index) => {
      const cached = source.lastSamples?.[index];
      if (!wantedIndexes.has(index))
        return cached ?? { metricName: spec.metricName, error: "not read", latencyMs: 0 };
      if (source.object.spec.triggers[spec.index]?.useCachedMetrics && cached) return cached;
      return (source.measurers[index] as TriggerMeasurer).measure();
    }),
  );
  const served = serveMetrics({
    scaledObject: source.object,
    metricSpecs: source.specs,
    samples,
    currentReplicas: source.replicas,
    readyPods: source.replicas,
    now,
    state: source.state,
  });
  const reading = served.hpaMetricValues.find((metric) => metric.metricName.toLowerCase() === wanted);
  if (reading?.value === undefined) {
    const cause = reading?.error ? `: ${reading.error}` : "";
    return { error: { status: 500, message: `metric:${metricName} encountered error${cause}` } };
  }
  return { items: [{ value: reading.value, timestamp: new Date(now) }] };
}
