import { RequestRateWindow } from "./request-rate-window.ts";

/** What the scaler reads for one route. */
export interface RouteMetrics {
  /** Requests in flight: from arrival (including time held for a worker) to the response's end. */
  concurrency: number;
  /** Average requests per `granularity` over the sliding `window` (see RequestRateWindow). */
  requestRate: number;
}

/** `scalingMetric.requestRate.window` and `granularity`, in milliseconds. */
export interface RequestRateSettings {
  windowMs: number;
  granularityMs: number;
}

/** The add-on's defaults: window 1m, granularity 1s. */
export const DEFAULT_REQUEST_RATE: RequestRateSettings = { windowMs: 60_000, granularityMs: 1000 };

/** Milliseconds from a clock that never goes backwards. */
export type Clock = () => number;

/** In-flight count and request rate of one route. */
export class TrafficMeter {
  readonly settings: RequestRateSettings;
  readonly #clock: Clock;
  readonly #rate: RequestRateWindow;
  #concurrency = 0;
  #held = 0;
  /** When the oldest request still held began to wait; undefined when none is held. */
  #heldSince: number | undefined;
  #lastDemandAt: number | undefined;

  constructor(settings: RequestRateSettings, clock: Clock) {
    this.settings = settings;
    this.#clock = clock;
    this.#rate = new RequestRateWindow(settings.windowMs, settings.granularityMs);
  }

  /** A request arrived. */
  arrive(): void {
    this.#concurrency++;
    this.#rate.record(this.#clock());
  }

  /** A request's response ended (or its client went away). */
  depart(): void {
    this.#concurrency--;
  }

  /** A request found no ready worker and waits for one. */
  holdStart(): void {
    this.#lastDemandAt = this.#clock();
    if (this.#held === 0) this.#heldSince = this.#lastDemandAt;
    this.#held++;
  }

  /** A held request stopped waiting (forwarded, timed out or gone). */
  holdEnd(): void {
    this.#held--;
    if (this.#held === 0) this.#heldSince = undefined;
  }

  metrics(): RouteMetrics {
    return { concurrency: this.#concurrency, requestRate: this.#rate.rate(this.#clock()) };
  }

  /** Requests held now, since when the longest-held one waits, and the last demand (clock ms). */
  holding(): { held: number; heldSince?: number; lastDemandAt?: number } {
    return {
      held: this.#held,
      ...(this.#heldSince === undefined ? {} : { heldSince: this.#heldSince }),
      ...(this.#lastDemandAt === undefined ? {} : { lastDemandAt: this.#lastDemandAt }),
    };
  }
}

/** One meter per route key, kept across route updates unless the rate settings change. */
export class TrafficMeters {
  readonly #clock: Clock;
  readonly #meters = new Map<string, TrafficMeter>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The route's meter; a new one (counts start over, as in the add-on) when the route is new or
   * its window or granularity changed. */
  meterFor(route: { key: string; requestRate?: RequestRateSettings }): TrafficMeter {
    const { windowMs, granularityMs } = route.requestRate ?? DEFAULT_REQUEST_RATE;
    const current = this.#meters.get(route.key);
    if (current?.settings.windowMs === windowMs && current.settings.granularityMs === granularityMs)
      return current;
    const meter = new TrafficMeter({ windowMs, granularityMs }, this.#clock);
    this.#meters.set(route.key, meter);
    return meter;
  }

  /** Drops the meters of routes not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#meters.keys()) if (!keys.has(key)) this.#meters.delete(key);
  }

  /** Zeros for an unknown route. */
  metrics(key: string): RouteMetrics {
    return this.#meters.get(key)?.metrics() ?? { concurrency: 0, requestRate: 0 };
  }
}
