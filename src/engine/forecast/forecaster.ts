/**
 * One metric's forecaster: its history, its fitted model, and when to fit again. Pure (every
 * instant is passed in): the predictkube trigger loads the history it read from Prometheus, the
 * forecast annotation and the simulator record what the trigger measured, and all of them ask
 * `serve` for the value to hand the HPA.
 */
import type { ForecastReport } from "../types.ts";
import { fitModel, seasonalForecast, trendForecast, trendSteps, type Fit } from "./model.ts";
import { BucketSeries, type SeriesExport } from "./series.ts";
import type { ForecastSettings } from "./settings.ts";

export class Forecaster {
  readonly settings: ForecastSettings;
  readonly history: BucketSeries;
  #fit: Fit | undefined;
  #fittedAt: number | undefined;

  constructor(settings: ForecastSettings) {
    this.settings = settings;
    this.history = new BucketSeries(settings.stepMs, Math.ceil(settings.historyMs / settings.stepMs) + 1);
  }

  /** Adds what the trigger measured at t. */
  record(t: number, value: number): void {
    this.history.record(t, value);
  }

  /** Replaces the history with fetched points and fits at `now`. */
  load(points: readonly { t: number; value: number }[], now: number): void {
    this.history.clear();
    for (const point of points) this.history.record(point.t, point.value);
    this.refit(now);
  }

  refitDue(now: number): boolean {
    return (
      this.#fittedAt === undefined || now >= this.#fittedAt + this.settings.refitMs || now < this.#fittedAt
    );
  }

  refit(now: number): Fit {
    const origin = this.history.bucketOf(now);
    this.#fit = fitModel(this.history.window(origin), origin, this.settings);
    this.#fittedAt = now;
    return this.#fit;
  }

  get fit(): Fit | undefined {
    return this.#fit;
  }

  /**
   * The value to serve at `now` for a trigger whose value is `current` (recorded by the caller):
   * the forecast for now + horizon, never lower than `current`, while the model passes its
   * backtest; else `current`, with the reason. Fits again first when the refit interval passed.
   */
  serve(now: number, current: number): ForecastReport {
    const fit = this.refitDue(now) ? this.refit(now) : (this.#fit as Fit);
    const { settings } = this;
    const base = {
      current,
      horizonSeconds: settings.horizonMs / 1000,
      model: fit.model,
      season: fit.season ?? null,
      backtestError: fit.error,
      baselineError: fit.baselineError,
      maxError: settings.maxError,
      historySteps: this.history.filled(),
      fittedAt: this.#fittedAt ?? now,
      nextFitAt: (this.#fittedAt ?? now) + settings.refitMs,
      ...(fit.note ? { note: fit.note } : {}),
    };
    const predicted = this.#predict(now, fit);
    if (!fit.usable) {
      return {
        ...base,
        mode: "reactive",
        predicted: Number.isFinite(predicted) ? predicted : null,
        served: current,
        reason: fit.reason ?? "the model is not usable",
        reasonCode: fit.reasonCode ?? "history-too-short",
      };
    }
    if (!Number.isFinite(predicted)) {
      return {
        ...base,
        mode: "reactive",
        predicted: null,
        served: current,
        reason: "no history at the forecast's point of the season",
        reasonCode: "no-history-at-target",
      };
    }
    return { ...base, mode: "predictive", predicted, served: Math.max(current, predicted) };
  }

  #predict(now: number, fit: Fit): number {
    const history = this.history;
    const origin = history.bucketOf(now);
    const target = history.bucketOf(now + this.settings.horizonMs);
    const oldest = origin - history.capacity + 1;
    const y = (step: number) => history.at(step);
    if (fit.model === "seasonal" && fit.periodSteps !== undefined) {
      return seasonalForecast(y, target, origin, fit.periodSteps, oldest, undefined, fit.levelSteps);
    }
    const horizon = Math.max(1, Math.round(this.settings.horizonMs / this.settings.stepMs));
    return trendForecast(y, origin, target - origin, trendSteps(horizon), oldest);
  }

  export(): SeriesExport {
    return this.history.export();
  }

  /** Takes a saved history back (a restart); the next serve fits on it. */
  restore(saved: SeriesExport): void {
    this.history.restore(saved);
    this.#fittedAt = undefined;
  }
}
