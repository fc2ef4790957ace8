/**
 * The `autoscaling.tidal.dev/forecast` annotation in a scale loop: the object's measurers are
 * wrapped so every reading (polls, HPA syncs, the metrics API) goes through the forecasting stage
 * and comes out as the value to serve. The recorded history is loaded before the first reading and
 * saved at most every ten minutes (and when the loop closes) to the runtime's store: the state
 * folder for `tidal run`, a ConfigMap for the operator.
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { forecastsTrigger, parseForecastAnnotation } from "../engine/forecast/annotation.ts";
import { ForecastStage, type ForecastHistory } from "../engine/forecast/stage.ts";
import type { ForecastSettings } from "../engine/forecast/settings.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";
import type { ConnectedTriggers } from "./scale-loop.ts";

/** Where an object's recorded histories are kept across restarts. */
export interface ForecastHistoryStore {
  load(): Promise<ForecastHistory | undefined>;
  save(history: ForecastHistory): Promise<void>;
}

/** How often the history is saved at most: losing a few minutes of it in a crash costs little. */
const SAVE_EVERY_MS = 10 * 60_000;

export class TriggerForecasting {
  readonly settings: ForecastSettings;
  readonly #stage: ForecastStage;
  readonly #now: () => number;
  readonly #store: ForecastHistoryStore | undefined;
  readonly #forecast = new Set<string>();
  #loaded: Promise<void> | undefined;
  #savedAt: number | undefined;

  /** The object's forecasting, or undefined when its annotation does not ask for it (or is invalid). */
  static of(
    object: ScaledObject,
    now: () => number,
    store: ForecastHistoryStore | undefined,
  ): TriggerForecasting | undefined {
    const annotation = parseForecastAnnotation(object.metadata.annotations);
    return annotation.enabled ? new TriggerForecasting(annotation.settings, now, store) : undefined;
  }

  constructor(settings: ForecastSettings, now: () => number, store: ForecastHistoryStore | undefined) {
    this.settings = settings;
    this.#now = now;
    this.#store = store;
    this.#stage = new ForecastStage((metricName) => (this.#forecast.has(metricName) ? settings : undefined));
  }

  /** The triggers with every forecast trigger's measurer reading through the stage. */
  wrap(triggers: ConnectedTriggers): ConnectedTriggers {
    const measurers = triggers.measurers.map((measurer, index) => {
      const spec = triggers.specs[index];
      if (spec === undefined || !forecastsTrigger(spec)) return measurer;
      this.#forecast.add(spec.metricName);
      return this.#wrapMeasurer(measurer);
    });
    return { ...triggers, measurers };
  }

  #wrapMeasurer(inner: TriggerMeasurer): TriggerMeasurer {
    return {
      prepared: inner.prepared,
      scaler: inner.scaler,
      describe: () => inner.describe(),
      close: () => inner.close(),
      measure: async () => {
        await this.ready();
        const sample = await inner.measure();
        // A source that renamed its metric (external scalers) is forecast under its new name.
        this.#forecast.add(sample.metricName);
        return this.#stage.apply(this.#now(), sample);
      },
    };
  }

  /** Loads the saved history once, before the first reading. */
  ready(): Promise<void> {
    this.#loaded ??= (this.#store?.load() ?? Promise.resolve(undefined))
      .then((history) => this.#stage.restore(history))
      .catch(() => undefined)
      .then(() => {
        this.#savedAt = this.#now();
      });
    return this.#loaded;
  }

  /** Saves the history when the last save is ten minutes old. Never throws. */
  async saveIfDue(): Promise<void> {
    if (this.#savedAt === undefined || this.#now() < this.#savedAt + SAVE_EVERY_MS) return;
    await this.save();
  }

  /** Saves the history now. Never throws: a history that cannot be saved is rebuilt by recording. */
  async save(): Promise<void> {
    if (this.#store === undefined || this.#loaded === undefined) return;
    await this.#loaded;
    this.#savedAt = this.#now();
    await this.#store.save(this.#stage.export()).catch(() => undefined);
  }
}
