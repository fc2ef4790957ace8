/**
 * The forecasting stage of a scale loop (the `autoscaling.tidal.dev/forecast` annotation, and
 * predictkube triggers in `tidal simulate`): one forecaster per metric, fed with every reading of
 * it, that turns a reading into the value to serve. Pure: the caller passes the instant.
 */
import type { TriggerSample } from "../types.ts";
import { Forecaster } from "./forecaster.ts";
import type { SeriesExport } from "./series.ts";
import type { ForecastSettings } from "./settings.ts";

/** The recorded histories of one object's forecast triggers, as kept across restarts. */
export interface ForecastHistory {
  version: 1;
  /** By metric name. */
  series: Record<string, SeriesExport>;
}

export class ForecastStage {
  readonly #settingsOf: (metricName: string) => ForecastSettings | undefined;
  readonly #forecasters = new Map<string, Forecaster>();
  #saved: ForecastHistory["series"] = {};

  /** `settingsOf` names the metrics to forecast and how; undefined leaves a metric as it is. */
  constructor(settingsOf: (metricName: string) => ForecastSettings | undefined) {
    this.#settingsOf = settingsOf;
  }

  #forecaster(metricName: string): Forecaster | undefined {
    let forecaster = this.#forecasters.get(metricName);
    if (forecaster === undefined) {
      const settings = this.#settingsOf(metricName);
      if (settings === undefined) return undefined;
      forecaster = new Forecaster(settings);
      const saved = this.#saved[metricName];
      if (saved !== undefined) forecaster.restore(saved);
      this.#forecasters.set(metricName, forecaster);
    }
    return forecaster;
  }

  /**
   * Records a reading taken at `now` and returns it with the value to serve and how it was chosen.
   * A failed reading passes unchanged (the trigger's error, and KEDA's fallback, stand).
   */
  apply<S extends TriggerSample>(now: number, sample: S): S {
    if (sample.error !== undefined || sample.value === undefined) return sample;
    const forecaster = this.#forecaster(sample.metricName);
    if (forecaster === undefined) return sample;
    forecaster.record(now, sample.value);
    const forecast = forecaster.serve(now, sample.value);
    return { ...sample, value: forecast.served, forecast };
  }

  /** Takes saved histories back; forecasters already running keep theirs. */
  restore(history: ForecastHistory | undefined): void {
    if (history?.version !== 1) return;
    this.#saved = { ...history.series };
    for (const [metricName, saved] of Object.entries(history.series)) {
      this.#forecasters.get(metricName)?.restore(saved);
    }
  }

  export(): ForecastHistory {
    const series: ForecastHistory["series"] = Object.fromEntries(
      Object.entries(this.#saved).filter(([metricName]) => this.#settingsOf(metricName) !== undefined),
    );
    for (const [metricName, forecaster] of this.#forecasters) series[metricName] = forecaster.export();
    return { version: 1, series };
  }
}
