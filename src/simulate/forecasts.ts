/**
 * Forecasts in a simulation: which metrics are forecast and how (predictkube triggers with their
 * own parameters, every other trigger when the object carries the `autoscaling.tidal.dev/forecast`
 * annotation), and the stage that turns each evaluation's readings into what the triggers serve.
 * The stage records a reading only when an evaluation takes it, so at every simulated instant the
 * model knows the past of the trace and nothing after it.
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { forecastsTrigger, parseForecastAnnotation } from "../engine/forecast/annotation.ts";
import type { ForecastSettings } from "../engine/forecast/settings.ts";
import { ForecastStage } from "../engine/forecast/stage.ts";
import type { TriggerMetricSpec, TriggerSample } from "../engine/types.ts";
import { predictKubeSettings } from "../scalers/predictkube/predictkube.ts";

/** Forecast settings by metric name. */
export type SimulatedForecasts = ReadonlyMap<string, ForecastSettings>;

/**
 * The forecasts of an object's triggers: `params` are each trigger's parsed parameters (by
 * position, as prepared), which predictkube triggers read their settings from.
 */
export function simulatedForecasts(
  object: ScaledObject,
  specs: readonly TriggerMetricSpec[],
  params: readonly (Record<string, unknown> | undefined)[],
): SimulatedForecasts {
  const forecasts = new Map<string, ForecastSettings>();
  const annotation = parseForecastAnnotation(object.metadata.annotations);
  specs.forEach((spec, index) => {
    if (spec.type === "predictkube") {
      const { settings } = predictKubeSettings(params[index] as Parameters<typeof predictKubeSettings>[0]);
      if (settings) forecasts.set(spec.metricName, settings);
    } else if (annotation.enabled && forecastsTrigger(spec)) {
      forecasts.set(spec.metricName, annotation.settings);
    }
  });
  return forecasts;
}

/** The per-run forecasting: applies to each evaluation's samples at their instant. */
export class SimulationForecasts {
  readonly #stage: ForecastStage;
  readonly #forecasts: SimulatedForecasts;

  constructor(forecasts: SimulatedForecasts | undefined) {
    this.#forecasts = forecasts ?? new Map();
    this.#stage = new ForecastStage((metricName) => this.#forecasts.get(metricName));
  }

  get any(): boolean {
    return this.#forecasts.size > 0;
  }

  apply(now: number, samples: readonly TriggerSample[]): TriggerSample[] {
    return this.#forecasts.size === 0
      ? [...samples]
      : samples.map((sample) => this.#stage.apply(now, sample));
  }
}

/**
 * The forecast columns of a step: `NAME forecast` (the trigger's name, or s<index>) holding the
 * value the trigger served, for the triggers that forecast.
 */
export function forecastColumns(
  specs: readonly TriggerMetricSpec[],
  samples: readonly TriggerSample[],
): Record<string, number> {
  const columns: Record<string, number> = {};
  specs.forEach((spec, index) => {
    const forecast = samples[index]?.forecast;
    if (forecast) columns[`${spec.name || `s${spec.index}`} forecast`] = forecast.served;
  });
  return columns;
}
